using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;

namespace ApimConsole.Core.Tests.Scenarios;

/// <summary>Builds estates the way the status engine does: observed datacenters run through <see cref="EstateAssessor"/>.</summary>
internal static class ScenarioEstate
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private static readonly Guid Schema = Guid.NewGuid();

    public static DatacenterSnapshot Dc(string id, ComponentState state = ComponentState.Up) => new(
        id, id.ToUpperInvariant(), DatacenterState.Unknown, default, null,
        [new ComponentStatus(id, "anm", "anm", ComponentKind.AdminNodeManager, state, T0, null)],
        [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
        [
            new GatewayInstanceStatus(id, "instance-1", "instance-1", state, T0, null, "group-3", "127.0.2.1", null),
            new GatewayInstanceStatus(id, "instance-2", "instance-2", state, T0, null, "group-3", "127.0.2.2", null),
        ])],
        Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", state, T0, null,
            $"127.0.1.{i}:9042", id, "rack1", "4.1.3", Schema, Guid.NewGuid(), null)).ToList());

    public static DatacenterSnapshot WithInstance(this DatacenterSnapshot dc, string instanceId, ComponentState state, DateTimeOffset? since = null) => dc with
    {
        Groups = dc.Groups.Select(g => g with
        {
            Instances = g.Instances.Select(i => i.Id == instanceId ? i with { State = state, Since = since ?? T0, Reason = Reason(state) } : i).ToList(),
        }).ToList(),
    };

    public static DatacenterSnapshot WithAnm(this DatacenterSnapshot dc, ComponentState state, DateTimeOffset? since = null) => dc with
    {
        AdminNodeManagers = dc.AdminNodeManagers.Select(a => a with { State = state, Since = since ?? T0, Reason = Reason(state) }).ToList(),
    };

    public static DatacenterSnapshot WithCassandra(this DatacenterSnapshot dc, int node, ComponentState state, DateTimeOffset? since = null) => dc with
    {
        CassandraNodes = dc.CassandraNodes.Select(n => n.Id == $"cassandra-{node}" ? n with { State = state, Since = since ?? T0, Reason = Reason(state) } : n).ToList(),
    };

    /// <summary>The estate as seen from the console in dc1; <paramref name="witness"/> is the load balancer's pools (null: no witness).</summary>
    public static EstateSnapshot Assess(DatacenterSnapshot dc1, DatacenterSnapshot dc2, (bool Dc1, bool Dc2)? witness = null,
        EstateSnapshot? previous = null, DateTimeOffset? at = null)
    {
        LoadBalancerView? lb = witness is { } w
            ? new LoadBalancerView(ComponentState.Up, T0, null,
                [new LoadBalancerPool("dc1", w.Dc1, w.Dc1 ? 2 : 0, 2), new LoadBalancerPool("dc2", w.Dc2, w.Dc2 ? 2 : 0, 2)])
            : null;
        return EstateAssessor.Assess("lab", "dc1", [dc1, dc2], lb, previous, at ?? T0);
    }

    private static string? Reason(ComponentState state) => state == ComponentState.Down ? "connection refused" : null;
}
