using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Web.Incidents;

/// <summary>
/// The pure rules behind the incident timeline: which Cassandra nodes an outage touched, when an open incident may be
/// closed, and what a repair must be. No I/O, no clock: the same inputs give the same answer.
/// </summary>
public static class IncidentRules
{
    /// <summary>The scenarios whose outage touches Cassandra data, and so may need a repair afterwards.</summary>
    public static bool TouchesCassandra(FailoverScenarioKind kind) => kind is
        FailoverScenarioKind.CassandraNodeDown or FailoverScenarioKind.CassandraQuorumLost
        or FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.InterDatacenterLinkDown
        or FailoverScenarioKind.DatacenterUnreachable;

    public static bool TouchesCassandra(string kind) => Enum.TryParse<FailoverScenarioKind>(kind, out var k) && TouchesCassandra(k);

    /// <summary>
    /// The Cassandra nodes an outage touched: the node itself; every node of the datacenter (DC down, quorum lost);
    /// every node of every datacenter (link down, DC unreachable: either side may have missed writes).
    /// </summary>
    public static IReadOnlyList<string> AffectedCassandraNodes(FailoverScenario scenario, EstateSnapshot snapshot) => scenario.Kind switch
    {
        FailoverScenarioKind.CassandraNodeDown when scenario.ComponentKey is not null => [scenario.ComponentKey],
        FailoverScenarioKind.CassandraQuorumLost or FailoverScenarioKind.DatacenterDown =>
            snapshot.Find(scenario.DatacenterId ?? "")?.CassandraNodes.Select(n => n.Key).ToList() ?? [],
        FailoverScenarioKind.InterDatacenterLinkDown or FailoverScenarioKind.DatacenterUnreachable =>
            snapshot.Datacenters.SelectMany(d => d.CassandraNodes).Select(n => n.Key).ToList(),
        _ => [],
    };

    /// <summary>
    /// Whether an open incident whose scenario is no longer in force may be closed on this snapshot: only when the
    /// console has judged what the scenario is about. Everything Unknown (a console that has just started, a
    /// datacenter not probed yet, a component behind a cut link) proves nothing, so the incident stays open; this is
    /// what keeps a restart from closing an outage that is still going on and then opening it again.
    /// </summary>
    /// <param name="kind">The incident's scenario kind.</param>
    /// <param name="datacenterId">The incident's datacenter, if any.</param>
    /// <param name="componentKey">The incident's component (<c>dc2/instance-2</c>), for component scenarios.</param>
    public static bool IsJudged(string kind, string? datacenterId, string? componentKey, EstateSnapshot snapshot)
    {
        if (!Enum.TryParse<FailoverScenarioKind>(kind, out var k))
            return true; // A kind this console no longer knows can never come back into force.
        if (k == FailoverScenarioKind.InterDatacenterLinkDown)
            return snapshot.Link.State != LinkState.Unknown;

        var dc = snapshot.Find(datacenterId ?? "");
        if (dc is null)
            return true; // The datacenter is no longer configured.
        if (dc.State == DatacenterState.Unknown)
            return false;

        switch (k)
        {
            case FailoverScenarioKind.DatacenterDown:
            case FailoverScenarioKind.DatacenterUnreachable:
                // "Unreachable" while the load balancer (the witness) has not answered yet may still turn out to be
                // "down": a console started during a DC outage must not close that outage before its witness speaks.
                return !(dc.State == DatacenterState.Unreachable && snapshot.LoadBalancer is { State: ComponentState.Unknown });
            case FailoverScenarioKind.CassandraQuorumLost:
                return dc.CassandraNodes.All(n => n.State != ComponentState.Unknown);
            default:
                var component = dc.AllComponents().FirstOrDefault(c => c.Key == componentKey);
                if (component is not null)
                    return component.State != ComponentState.Unknown;
                // Gateway instances come from the ANM's topology: one missing while the ANM is not up may merely
                // not be discovered yet. Configured components (ANM, Cassandra) missing means configuration changed.
                return k != FailoverScenarioKind.GatewayInstanceDown || dc.AdminNodeManagers.Any(a => a.State == ComponentState.Up);
        }
    }

    /// <summary>
    /// Whether a scenario in force is settled enough to open an incident for. "Unreachable" while a configured
    /// witness has not answered yet is the console not knowing yet (it will say "down" or "link down" in a moment),
    /// so it opens nothing; without a witness configured, "unreachable" is the verdict and opens at once.
    /// </summary>
    public static bool IsSettled(FailoverScenario scenario, EstateSnapshot snapshot) =>
        !(scenario.Kind == FailoverScenarioKind.DatacenterUnreachable && snapshot.LoadBalancer is { State: ComponentState.Unknown });

    public const string Repair = "repair";
    public const string Replace = "replace";

    /// <summary>
    /// What each affected node needs after an outage of <paramref name="outage"/>: nothing up to 2 h,
    /// <c>nodetool repair</c> past 2 h, replacement past gc_grace (10 days). Thresholds are strict, as in <see cref="RepairAdvisor"/>.
    /// </summary>
    public static string? RequiredAction(TimeSpan outage) =>
        outage > RepairAdvisor.GcGrace ? Replace : outage > RepairAdvisor.RepairAfter ? Repair : null;

    public static IReadOnlyList<string> SplitNodes(string nodes) =>
        nodes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string JoinNodes(IEnumerable<string> nodes) => string.Join(',', nodes.Distinct(StringComparer.Ordinal));
}
