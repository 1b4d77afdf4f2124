using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Scenarios;

/// <summary>
/// Names every failover scenario in force in an estate snapshot, worst first, with what the system does about it
/// (in the product documentation's words), the runbook and the repair advisories for its duration so far.
/// Pure: the same snapshot and <c>now</c> give the same list. Every snapshot carries its own classification
/// (<see cref="EstateSnapshot.Scenarios"/>, classified once); readers use that rather than classifying again.
/// </summary>
/// <remarks>
/// Component scenarios are not raised inside a datacenter that is Down or Unreachable: the datacenter scenario
/// covers them. Unknown is not Down: a component nobody could judge raises nothing.
/// </remarks>
public static class FailoverScenarioClassifier
{
    public static IReadOnlyList<FailoverScenario> Classify(EstateSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var scenarios = new List<FailoverScenario>();

        if (snapshot.Link.State == LinkState.Down)
            scenarios.Add(LinkDown(snapshot, now));

        foreach (var dc in snapshot.Datacenters)
        {
            switch (dc.State)
            {
                case DatacenterState.Down:
                    scenarios.Add(DatacenterDown(dc, snapshot, now));
                    continue;
                case DatacenterState.Unreachable:
                    // With the link known to be down, the link scenario says why this DC cannot be reached.
                    if (snapshot.Link.State != LinkState.Down)
                        scenarios.Add(Unreachable(dc, snapshot, now));
                    continue;
            }

            foreach (var group in dc.Groups)
            {
                // Once per group, not once per down instance: a large group with many down stays linear.
                var up = group.Instances.Where(i => i.State == ComponentState.Up).ToList();
                foreach (var instance in group.Instances.Where(i => i.State == ComponentState.Down))
                    scenarios.Add(InstanceDown(dc, group, instance, up, now));
            }

            foreach (var anm in dc.AdminNodeManagers.Where(a => a.State == ComponentState.Down))
                scenarios.Add(AdminNodeManagerDown(dc, anm, now));

            var cassandraDown = dc.CassandraNodes.Where(n => n.State == ComponentState.Down).OrderBy(n => n.Since).ThenBy(n => n.Key, StringComparer.Ordinal).ToList();
            if (cassandraDown.Count == 1)
                scenarios.Add(CassandraNodeDown(dc, cassandraDown[0], now));
            else if (cassandraDown.Count > 1)
                scenarios.Add(QuorumLost(dc, cassandraDown, now));
        }

        return scenarios
            .OrderByDescending(s => s.Severity)
            .ThenBy(s => Rank(s.Kind))
            .ThenBy(s => s.Since)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The order scenarios of equal severity are shown in: datacenter and link first, then components.</summary>
    public static int Rank(FailoverScenarioKind kind) => kind switch
    {
        FailoverScenarioKind.DatacenterDown => 0,
        FailoverScenarioKind.InterDatacenterLinkDown => 1,
        FailoverScenarioKind.DatacenterUnreachable => 2,
        FailoverScenarioKind.CassandraQuorumLost => 3,
        FailoverScenarioKind.CassandraNodeDown => 4,
        FailoverScenarioKind.GatewayInstanceDown => 5,
        FailoverScenarioKind.AdminNodeManagerDown => 6,
        _ => 7,
    };

    private const string BlockDeployments = "Configuration and KPS table-structure deployments are blocked until it is over.";

    /// <summary>Instances that are up are named in a scenario up to this many; beyond, they are counted.</summary>
    private const int NamedInstances = 3;

    /// <param name="up">The group's instances that are up (so never <paramref name="instance"/>, which is down).</param>
    private static FailoverScenario InstanceDown(DatacenterSnapshot dc, GatewayGroupStatus group, GatewayInstanceStatus instance, IReadOnlyList<GatewayInstanceStatus> up, DateTimeOffset now)
    {
        var whatHappens = group.Instances.Count == 1
            ? $"{instance.Name} is the only instance of {group.Name} in {dc.Name}: that group serves nothing in {dc.Name}; the load balancer sends its traffic to the other datacenter."
            : up.Count == 0
                ? $"No other instance of {group.Name} is up in {dc.Name} to serve its requests."
                : up.Count <= NamedInstances
                    ? $"The other instance in {dc.Name} ({string.Join(", ", up.Select(i => i.Name))}) serves its requests."
                    : $"The {up.Count} other instances of {group.Name} that are up in {dc.Name} serve its requests.";
        return Make(FailoverScenarioKind.GatewayInstanceDown, instance.Key, dc.Id, instance.Key, ScenarioSeverity.Warning, instance.Since, now,
            $"Gateway instance {instance.Name} down in {dc.Name}",
            whatHappens + Reason(instance.Reason),
            Runbooks.RestartInstance(dc, instance));
    }

    private static FailoverScenario AdminNodeManagerDown(DatacenterSnapshot dc, ComponentStatus anm, DateTimeOffset now) =>
        Make(FailoverScenarioKind.AdminNodeManagerDown, anm.Key, dc.Id, anm.Key, ScenarioSeverity.Warning, anm.Since, now,
            $"{ComponentText.Named(anm)} down in {dc.Name}",
            $"Traffic is unaffected; {dc.Name} cannot be managed or deployed to until it is back." + Reason(anm.Reason),
            Runbooks.RestartAdminNodeManager(dc, anm));

    private static FailoverScenario CassandraNodeDown(DatacenterSnapshot dc, CassandraNodeStatus node, DateTimeOffset now) =>
        Make(FailoverScenarioKind.CassandraNodeDown, node.Key, dc.Id, node.Key, ScenarioSeverity.Warning, node.Since, now,
            $"Cassandra node {node.Name} down in {dc.Name}",
            $"Tolerated: at most one node per datacenter may be lost with full consistency; LOCAL_QUORUM (2 of 3) still holds in {dc.Name}."
                + Reason(node.Reason),
            Runbooks.RestartCassandraNode(dc, node));

    private static FailoverScenario QuorumLost(DatacenterSnapshot dc, IReadOnlyList<CassandraNodeStatus> down, DateTimeOffset now)
    {
        // Quorum was lost when the second node went down; the repair rules follow the node down longest.
        var lostAt = down[1].Since;
        var longest = now - down[0].Since;
        var scenario = Make(FailoverScenarioKind.CassandraQuorumLost, dc.Id, dc.Id, null,
            ScenarioSeverity.Critical, lostAt, now,
            $"Cassandra quorum lost in {dc.Name}: {down.Count} nodes down",
            $"{string.Join(", ", down.Select(n => n.Name))} are down: LOCAL_QUORUM reads and writes fail in {dc.Name} "
                + "(API Manager catalog, client registry, settings, KPS data and Cassandra-held quotas and tokens there). "
                + BlockDeployments,
            Runbooks.RestoreQuorum(dc, down));
        return scenario with { Advisories = RepairAdvisor.Advise(FailoverScenarioKind.CassandraQuorumLost, Positive(longest)), RepairClockFrom = down[0].Since };
    }

    private static FailoverScenario DatacenterDown(DatacenterSnapshot dc, EstateSnapshot snapshot, DateTimeOffset now)
    {
        var others = Others(snapshot, dc);
        return Make(FailoverScenarioKind.DatacenterDown, dc.Id, dc.Id, null,
            ScenarioSeverity.Critical, dc.Since, now,
            $"{dc.Name} down",
            $"The load balancer sends all traffic to {others}. Quotas stay the same, spread over fewer servers. "
                + "End users may have to start their sessions again: OAuth tokens and custom caches held in Ehcache in "
                + $"{dc.Name} are lost. " + BlockDeployments,
            Runbooks.RestartDatacenter(dc));
    }

    private static FailoverScenario LinkDown(EstateSnapshot snapshot, DateTimeOffset now) =>
        Make(FailoverScenarioKind.InterDatacenterLinkDown, null, null, null,
            ScenarioSeverity.Critical, snapshot.Link.Since, now,
            "Inter-datacenter link down, both datacenters serving",
            "Both datacenters keep serving. Ehcache data in each datacenter is unaffected. Cassandra data (API Manager "
                + "catalog, client registry, settings, KPS data) is not synchronized and diverges until the link returns, then "
                + "resyncs automatically. One console reaches each datacenter separately: this one sees only "
                + $"{NameOf(snapshot, snapshot.ConsoleDatacenter)}. " + BlockDeployments,
            Runbooks.WaitForLink());

    private static FailoverScenario Unreachable(DatacenterSnapshot dc, EstateSnapshot snapshot, DateTimeOffset now) =>
        Make(FailoverScenarioKind.DatacenterUnreachable, dc.Id, dc.Id, null,
            ScenarioSeverity.Critical, dc.Since, now,
            $"{dc.Name} unreachable (DC down or link down)",
            $"Nothing in {dc.Name} answers {NameOf(snapshot, snapshot.ConsoleDatacenter)} and no witness can tell why: either {dc.Name} is down "
                + "(the load balancer sends all traffic to the other datacenter) or the inter-datacenter link is down (both serve, "
                + "Cassandra data diverges until it returns). " + BlockDeployments,
            Runbooks.FindOut(dc, snapshot));

    private static FailoverScenario Make(FailoverScenarioKind kind, string? keySuffix, string? dcId, string? componentKey, ScenarioSeverity severity,
        DateTimeOffset since, DateTimeOffset now, string title, string whatHappens, IReadOnlyList<RunbookStep> runbook)
    {
        return new FailoverScenario(kind, keySuffix is null ? kind.ToString() : $"{kind}:{keySuffix}", dcId, componentKey, severity, since, title, whatHappens, runbook,
            RepairAdvisor.Advise(kind, Positive(now - since)))
        {
            RepairClockFrom = since,
        };
    }

    private static TimeSpan Positive(TimeSpan span) => span < TimeSpan.Zero ? TimeSpan.Zero : span;

    private static string Reason(string? reason) => ComponentText.ReasonSentence(reason);

    private static string Others(EstateSnapshot snapshot, DatacenterSnapshot dc)
    {
        var names = snapshot.Datacenters.Where(d => d.Id != dc.Id).Select(d => d.Name).ToList();
        return names.Count == 0 ? "the other datacenter" : string.Join(" and ", names);
    }

    internal static string NameOf(EstateSnapshot snapshot, string datacenterId) => snapshot.Find(datacenterId)?.Name ?? datacenterId;
}
