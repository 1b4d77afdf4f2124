namespace ApimConsole.Storage.Records;

/// <summary>One Cassandra node's repair (or replacement) after an incident, marked done by a person. One per incident and node.</summary>
public sealed class RepairCheck
{
    public long Id { get; set; }
    public long IncidentId { get; set; }
    /// <summary>The node, <c>dc2/cassandra-1</c>.</summary>
    public required string NodeKey { get; set; }
    /// <summary><c>repair</c> (nodetool repair) or <c>replace</c> (down past gc_grace).</summary>
    public required string Action { get; set; }
    public required string DoneBy { get; set; }
    public DateTimeOffset DoneAt { get; set; }
    public string? Note { get; set; }

    public Incident? Incident { get; set; }
}
