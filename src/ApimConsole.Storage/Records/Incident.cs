namespace ApimConsole.Storage.Records;

/// <summary>
/// One outage from the moment the console first noticed it (<see cref="StartedAt"/>) to the moment it stopped
/// (<see cref="EndedAt"/>, null while open): a datacenter down, a cut link, a lost quorum or one component down. The
/// components it took down are its <see cref="Consequences"/>; a "deciding" stretch (datacenter unreachable, witness not
/// yet heard) is the same row, whose <see cref="Key"/> and <see cref="Kind"/> become what it resolved into. At most one
/// open incident per <see cref="Key"/>: the store enforces it.
/// </summary>
public sealed class Incident
{
    public long Id { get; set; }
    /// <summary>The scenario's stable key: <c>GatewayInstanceDown:dc2/instance-2</c>, <c>InterDatacenterLinkDown</c>.</summary>
    public required string Key { get; set; }
    /// <summary>The scenario kind's name (<c>DatacenterDown</c>).</summary>
    public required string Kind { get; set; }
    public string? DatacenterId { get; set; }
    /// <summary>The component the scenario is about (<c>dc2/instance-2</c>), for component scenarios.</summary>
    public string? ComponentKey { get; set; }
    public required string Title { get; set; }
    /// <summary><c>Warning</c> or <c>Critical</c>; the worst seen while the incident was open.</summary>
    public required string Severity { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>
    /// The Cassandra nodes the outage touched (<c>dc2/cassandra-1,dc2/cassandra-2</c>), taken from the estate while it
    /// was open; empty for scenarios that touch no Cassandra data. The repair checklist has one item per node.
    /// </summary>
    public string CassandraNodes { get; set; } = "";
    /// <summary>
    /// When the console found the recovery after this incident complete (nodes back and agreeing, repairs marked done);
    /// null while it is not, or for incidents that need none. A completed recovery is not judged again.
    /// </summary>
    public DateTimeOffset? RecoveredAt { get; set; }

    /// <summary>
    /// Set on an incident opened for a part of an outage before the outage itself was named (a Cassandra node down a
    /// moment before the second one took the quorum): it is closed and shown inside the outage it belongs to.
    /// </summary>
    public long? ParentId { get; set; }

    /// <summary>Who acknowledged the incident (a user name or <c>token:name</c>), and when; null until someone does.</summary>
    public string? AcknowledgedBy { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }

    public List<RepairCheck> RepairChecks { get; set; } = [];

    public List<IncidentConsequence> Consequences { get; set; } = [];

    public List<IncidentNote> Notes { get; set; } = [];
}
