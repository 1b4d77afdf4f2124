using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Scenarios;

/// <summary>The runbook of each scenario, from the product documentation's recovery procedures.</summary>
internal static class Runbooks
{
    public static IReadOnlyList<RunbookStep> RestartInstance(DatacenterSnapshot dc, GatewayInstanceStatus instance) =>
    [
        new(1, $"Restart gateway instance {instance.Name} in {dc.Name} through the Admin Node Manager (stop it first if it still runs).",
            $"POST /api/management/start/{instance.GroupId}/{instance.Id}"),
        new(2, $"Check that it answers its health check and is back in the load balancer's {dc.Name} pool.", "GET /healthcheck"),
    ];

    public static IReadOnlyList<RunbookStep> RestartAdminNodeManager(DatacenterSnapshot dc, ComponentStatus anm) =>
    [
        new(1, $"Restart the Admin Node Manager {anm.Name} on its host in {dc.Name}; do not deploy to {dc.Name} until it answers.", null),
        new(2, "Check that it answers the topology request.", "GET /api/topology"),
    ];

    public static IReadOnlyList<RunbookStep> RestartCassandraNode(DatacenterSnapshot dc, CassandraNodeStatus node) =>
    [
        new(1, $"Restart Cassandra node {node.Name} ({node.Address}) in {dc.Name}.", null),
        new(2, "Wait until it has rejoined the cluster: Up/Normal in nodetool status and in schema agreement.", "nodetool status"),
        new(3, $"Run nodetool repair on {node.Name}.", "nodetool repair"),
    ];

    public static IReadOnlyList<RunbookStep> RestoreQuorum(DatacenterSnapshot dc, IReadOnlyList<CassandraNodeStatus> down) =>
    [
        new(1, $"Restart the Cassandra nodes that are down in {dc.Name}: {string.Join(", ", down.Select(n => $"{n.Name} ({n.Address})"))}.", null),
        new(2, $"Wait until every Cassandra node of {dc.Name} is Up/Normal and in schema agreement: LOCAL_QUORUM holds again.", "nodetool describecluster"),
        new(3, "Run nodetool repair on each node that was down.", "nodetool repair"),
    ];

    public static IReadOnlyList<RunbookStep> RestartDatacenter(DatacenterSnapshot dc) =>
    [
        new(1, $"Restart every Cassandra node of {dc.Name} first: {Names(dc.CassandraNodes)}.", null),
        new(2, $"Wait until all Cassandra nodes of {dc.Name} are Up and in schema agreement. Do not start any gateway instance before.",
            "nodetool describecluster"),
        new(3, $"Only then restart the gateway instances of {dc.Name} through the Admin Node Manager: {Names(dc.GatewayInstances)}.",
            "POST /api/management/start/{groupId}/{instanceId}"),
        new(4, $"Check that the load balancer's {dc.Name} pool is serving again, then follow the repair advisories.", null),
    ];

    public static IReadOnlyList<RunbookStep> WaitForLink() =>
    [
        new(1, "Wait for the inter-datacenter link to return. Do not deploy configuration or KPS table structure meanwhile; "
            + "each datacenter's logs and traffic are read from its own console.", null),
        new(2, "When it returns, Cassandra resyncs automatically: check that all six nodes see each other and agree on the schema.",
            "nodetool describecluster"),
        new(3, "If it was down for more than 2 h: run nodetool repair on all six Cassandra nodes, then restart the gateway instances "
            + "so they resync from Cassandra.", "nodetool repair"),
    ];

    public static IReadOnlyList<RunbookStep> FindOut(DatacenterSnapshot dc, EstateSnapshot snapshot) =>
    [
        new(1, $"Find out whether {dc.Name} is down or only the link is: ask the global load balancer whether its {dc.Name} pool serves, "
            + $"or open the console running in {dc.Name}.", null),
        new(2, $"If {dc.Name} is down: follow the datacenter runbook (Cassandra nodes first, gateway instances only when all are Up and in schema agreement).", null),
        new(3, "If the link is down: wait for it to return, then repair if it was down for more than 2 h.", null),
        new(4, $"Either way, do not deploy configuration or KPS table structure until {dc.Name} answers "
            + $"{FailoverScenarioClassifier.NameOf(snapshot, snapshot.ConsoleDatacenter)} again.", null),
    ];

    private static string Names(IEnumerable<ComponentStatus> components)
    {
        var names = components.Select(c => c.Name).ToList();
        return names.Count == 0 ? "none known" : string.Join(", ", names);
    }
}
