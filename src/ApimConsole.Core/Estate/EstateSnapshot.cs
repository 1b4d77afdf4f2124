using System.Text.Json.Serialization;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.Estate;

/// <summary>The whole estate as the console sees it at <see cref="AsOf"/>. Immutable; the status engine publishes new ones.</summary>
public sealed record EstateSnapshot(
    DateTimeOffset AsOf,
    string EstateName,
    string ConsoleDatacenter,
    IReadOnlyList<DatacenterSnapshot> Datacenters,
    InterDatacenterLink Link,
    LoadBalancerView? LoadBalancer)
{
    private IReadOnlyList<FailoverScenario>? _scenarios;

    // A copy made with `with` is a new snapshot: it classifies again (the field is not copied).
    private EstateSnapshot(EstateSnapshot original)
    {
        AsOf = original.AsOf;
        EstateName = original.EstateName;
        ConsoleDatacenter = original.ConsoleDatacenter;
        Datacenters = original.Datacenters;
        Link = original.Link;
        LoadBalancer = original.LoadBalancer;
        Peer = original.Peer;
    }

    /// <summary>The console in the other datacenter as a witness: available or not, and why (null: none configured).</summary>
    public global::ApimConsole.Core.Peer.PeerWitness? Peer { get; init; }

    /// <summary>
    /// The failover scenarios in force in this snapshot, worst first, with repair advice as of <see cref="AsOf"/>:
    /// classified once per snapshot, on first read, and shared by every reader (screens, hub, API, incident
    /// recorder). A reader that shows durations as the clock moves asks for <see cref="FailoverScenarios.At"/>.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<FailoverScenario> Scenarios
    {
        get
        {
            if (Volatile.Read(ref _scenarios) is { } scenarios)
                return scenarios;
            // Two first readers may both classify; the result is the same and one of them is kept.
            Interlocked.CompareExchange(ref _scenarios, FailoverScenarioClassifier.Classify(this, AsOf), null);
            return _scenarios!;
        }
    }

    public bool Equals(EstateSnapshot? other) =>
        other is not null && AsOf == other.AsOf && EstateName == other.EstateName && ConsoleDatacenter == other.ConsoleDatacenter
        && Equals(Datacenters, other.Datacenters) && Equals(Link, other.Link) && Equals(LoadBalancer, other.LoadBalancer) && Equals(Peer, other.Peer);

    public override int GetHashCode() => HashCode.Combine(AsOf, EstateName, ConsoleDatacenter, Datacenters, Link, LoadBalancer);

    public DatacenterSnapshot? Find(string datacenterId) =>
        Datacenters.FirstOrDefault(d => string.Equals(d.Id, datacenterId, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every component of every datacenter, for searches and diffs.</summary>
    public IEnumerable<ComponentStatus> AllComponents() => Datacenters.SelectMany(d => d.AllComponents());
}

public sealed record DatacenterSnapshot(
    string Id,
    string Name,
    DatacenterState State,
    DateTimeOffset Since,
    string? Reason,
    IReadOnlyList<ComponentStatus> AdminNodeManagers,
    IReadOnlyList<GatewayGroupStatus> Groups,
    IReadOnlyList<CassandraNodeStatus> CassandraNodes)
{
    public IEnumerable<ComponentStatus> AllComponents() =>
        AdminNodeManagers.Concat(Groups.SelectMany(g => g.Instances)).Concat(CassandraNodes);

    /// <summary>
    /// Set when the state and components are not this console's own observation but its peer's (the datacenter is cut
    /// off from here and the console that lives in it reported them): shown "as seen by the console in dc2, hh:mm:ss".
    /// </summary>
    public global::ApimConsole.Core.Peer.PeerSighting? SeenBy { get; init; }

    /// <summary>
    /// For a datacenter that went silent from this console (nothing answers it): a time by which this console had seen
    /// every one of its components fail, so a witness's sighting counts only when it was made after it
    /// (<see cref="Health.EstateAssessor"/>). Null when the datacenter answers.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? SilentSince { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<GatewayInstanceStatus> GatewayInstances => Groups.SelectMany(g => g.Instances);
}

/// <summary>A component and its state. <see cref="Key"/> is unique in the estate: <c>dc1/instance-2</c>.</summary>
public record ComponentStatus(
    string DatacenterId,
    string Id,
    string Name,
    ComponentKind Kind,
    ComponentState State,
    DateTimeOffset Since,
    string? Reason)
{
    public string Key => $"{DatacenterId}/{Id}";

    /// <summary>
    /// The latest probe failed (the component may still be Up until enough failures add up). Lets the assessment
    /// see a whole datacenter going silent before every component has finished falling.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Failing { get; init; }

    /// <summary>
    /// When the first failed probe of the current run of failures completed (null while the latest probe succeeded):
    /// by then this console had seen the component fail.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>
    /// When the latest successful probe started (null: none yet). A probe that started after T and succeeded proves the
    /// component answered after T: what the console in the other datacenter needs from its peer's view.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? LastSuccessStarted { get; init; }
}

public sealed record GatewayGroupStatus(string Id, string Name, GatewayZone Zone, IReadOnlyList<GatewayInstanceStatus> Instances);

public sealed record GatewayInstanceStatus(
    string DatacenterId,
    string Id,
    string Name,
    ComponentState State,
    DateTimeOffset Since,
    string? Reason,
    string GroupId,
    string HostName,
    /// <summary>What the ANM says of the process: Running, Stopped, or null when the ANM did not answer.</summary>
    string? ManagementStatus)
    : ComponentStatus(DatacenterId, Id, Name, ComponentKind.GatewayInstance, State, Since, Reason);

public sealed record CassandraNodeStatus(
    string DatacenterId,
    string Id,
    string Name,
    ComponentState State,
    DateTimeOffset Since,
    string? Reason,
    string Address,
    /// <summary>What the node itself reports in system.local (null when it never answered).</summary>
    string? ReportedDatacenter,
    string? Rack,
    string? ReleaseVersion,
    Guid? SchemaVersion,
    Guid? HostId,
    /// <summary>True when this node's schema version equals that of every other reachable node.</summary>
    bool? InSchemaAgreement)
    : ComponentStatus(DatacenterId, Id, Name, ComponentKind.CassandraNode, State, Since, Reason);

public sealed record InterDatacenterLink(LinkState State, DateTimeOffset Since, string? Reason);

/// <summary>
/// The global load balancer's own view of its pools: reached without the inter-DC link. <see cref="PoolsReadAt"/> is
/// when the console last read the pools (null when unknown, taken as the moment of assessment).
/// <see cref="UnreadMembers"/>: of a load balancer with several members (<c>Estate:LoadBalancer:StatusUrls</c>), those the
/// last read that others answered could not read, each "its URL: why" (null when every member answered, or one is read).
/// </summary>
public sealed record LoadBalancerView(
    ComponentState State,
    DateTimeOffset Since,
    string? Reason,
    IReadOnlyList<LoadBalancerPool> Pools,
    DateTimeOffset? PoolsReadAt = null,
    IReadOnlyList<string>? UnreadMembers = null);

public sealed record LoadBalancerPool(string DatacenterId, bool Serving, int HealthyDestinations, int Destinations);
