namespace ApimConsole.Storage.Records;

/// <summary>Who did what to which part of the estate, kept for the Audit page.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>The signed-in user, or <c>system</c> for the console's own actions.</summary>
    public required string Actor { get; set; }
    /// <summary>A short verb such as <c>deployment.blocked</c>.</summary>
    public required string Action { get; set; }
    /// <summary>What the action was about, e.g. <c>dc1/instance-2</c>.</summary>
    public required string Target { get; set; }
    public string? Details { get; set; }
}
