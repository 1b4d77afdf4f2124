namespace ApimConsole.Storage.Records;

/// <summary>
/// A component an outage took down or cut off, from when it fell (<see cref="From"/>) to when it was back up or the
/// outage ended (<see cref="Until"/>, null while it lasts).
/// </summary>
public sealed class IncidentConsequence
{
    public long Id { get; set; }
    public long IncidentId { get; set; }
    public required string DatacenterId { get; set; }
    public required string ComponentId { get; set; }
    /// <summary>e.g. <c>GatewayInstance</c>, <c>AdminNodeManager</c>, <c>CassandraNode</c>.</summary>
    public required string ComponentKind { get; set; }
    /// <summary>
    /// <c>Down</c> (seen down) or <c>Unreachable</c> (Unknown: the console could not reach it, so it says nothing of
    /// whether it ran); the worst seen while the outage lasted.
    /// </summary>
    public required string State { get; set; }
    public DateTimeOffset From { get; set; }
    public DateTimeOffset? Until { get; set; }
}
