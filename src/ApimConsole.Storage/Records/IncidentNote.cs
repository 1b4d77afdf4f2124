namespace ApimConsole.Storage.Records;

/// <summary>A note on an incident for its post-mortem: who wrote it, when, and what. Audited with its write.</summary>
public sealed class IncidentNote
{
    public const int MaxText = 4000;

    public long Id { get; set; }
    public long IncidentId { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Author { get; set; }
    public required string Text { get; set; }
}
