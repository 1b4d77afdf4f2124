namespace ApimConsole.Core.Scenarios;

/// <summary>The runbook of one kind of scenario, for reading ahead: names stand as placeholders in angle brackets.</summary>
public sealed record RunbookEntry(
    FailoverScenarioKind Kind,
    string Title,
    ScenarioSeverity Severity,
    string WhatHappens,
    IReadOnlyList<RunbookStep> Steps,
    /// <summary>What the repair rules add when the outage lasts (empty when they do not apply).</summary>
    IReadOnlyList<string> WhenItLasts);

/// <summary>
/// Every kind of failover scenario with its generic runbook, in the order the console shows scenarios. Pure; the
/// steps come from the same builders as the live runbooks, so reading ahead and acting read the same words.
/// </summary>
public static class RunbookCatalog
{
    private const string Instance = "<instance>";
    private const string Datacenter = "<datacenter>";

    public static IReadOnlyList<RunbookEntry> All { get; } = Build();

    public static RunbookEntry For(FailoverScenarioKind kind) => All.Single(e => e.Kind == kind);

    private static List<RunbookEntry> Build()
    {
        IReadOnlyList<string> repair = [
            "Over 2 h: nodetool repair, as the repair advisory of the scenario says.",
            "Over 3 h (max_hint_window): the hints are gone; the missed writes come back only through the repair.",
            "Over 10 days (gc_grace_seconds): do not repair; replace the nodes instead.",
        ];
        var entries = new List<RunbookEntry>
        {
            new(FailoverScenarioKind.GatewayInstanceDown, "One gateway instance down", ScenarioSeverity.Warning,
                "The other instance of its group in the same datacenter serves its requests.",
                Runbooks.RestartInstance(Datacenter, Instance, "{groupId}", "{instanceId}"), []),
            new(FailoverScenarioKind.AdminNodeManagerDown, "Admin Node Manager down", ScenarioSeverity.Warning,
                "Traffic is unaffected; the datacenter cannot be managed or deployed to until it is back.",
                Runbooks.RestartAdminNodeManager(Datacenter, "<admin node manager>"), []),
            new(FailoverScenarioKind.CassandraNodeDown, "One Cassandra node down", ScenarioSeverity.Warning,
                "Tolerated: at most one node per datacenter may be lost with full consistency; LOCAL_QUORUM (2 of 3) still holds.",
                Runbooks.RestartCassandraNode(Datacenter, "<node> (<address>)", "<node>"), repair),
            new(FailoverScenarioKind.CassandraQuorumLost, "Cassandra quorum lost: two or more nodes down in one datacenter", ScenarioSeverity.Critical,
                "LOCAL_QUORUM reads and writes fail in that datacenter (API Manager catalog, client registry, settings, KPS data and "
                    + "Cassandra-held quotas and tokens there). Configuration and KPS table-structure deployments are blocked.",
                Runbooks.RestoreQuorum(Datacenter, "<nodes down>"), repair),
            new(FailoverScenarioKind.DatacenterDown, "A whole datacenter down", ScenarioSeverity.Critical,
                "The load balancer sends all traffic to the other datacenter. Quotas stay the same, spread over fewer servers. End users "
                    + "may have to start their sessions again (Ehcache). Configuration and KPS table-structure deployments are blocked.",
                Runbooks.RestartDatacenter(Datacenter, "<every Cassandra node>", "<every gateway instance>"), repair),
            new(FailoverScenarioKind.InterDatacenterLinkDown, "Inter-datacenter link down, both datacenters serving", ScenarioSeverity.Critical,
                "Both datacenters keep serving; Ehcache data is unaffected. Cassandra data diverges until the link returns, then resyncs "
                    + "automatically. One console reaches each datacenter separately. Configuration and KPS table-structure deployments are blocked.",
                Runbooks.WaitForLink(),
                [
                    "Over 2 h: when the link returns, nodetool repair on all six Cassandra nodes, then restart the gateway instances so they resync from Cassandra.",
                    "Over 10 days (gc_grace_seconds): the datacenters have diverged too far to repair; replace the Cassandra nodes of one datacenter.",
                ]),
            new(FailoverScenarioKind.DatacenterUnreachable, "A datacenter unreachable, no witness to tell why", ScenarioSeverity.Critical,
                "Either that datacenter is down or the inter-datacenter link is: the console cannot tell without the load balancer's view. "
                    + "Configuration and KPS table-structure deployments are blocked all the same.",
                Runbooks.FindOut(Datacenter, "<this console's datacenter>"), repair),
        };
        return entries.OrderBy(e => FailoverScenarioClassifier.Rank(e.Kind)).ToList();
    }
}
