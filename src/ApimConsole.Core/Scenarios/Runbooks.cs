using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Scenarios;

/// <summary>
/// The runbook of each scenario, from the product documentation's recovery procedures. Each takes the names to put in
/// its text, so the live runbooks and the read-ahead catalog (<see cref="RunbookCatalog"/>) say the same thing.
/// </summary>
internal static class Runbooks
{
    public static IReadOnlyList<RunbookStep> RestartInstance(DatacenterSnapshot dc, GatewayInstanceStatus instance) =>
        RestartInstance(dc.Name, instance.Name, instance.GroupId, instance.Id);

    public static IReadOnlyList<RunbookStep> RestartInstance(string dcName, string instanceName, string groupId, string instanceId) =>
    [
        new(1, $"Restart gateway instance {instanceName} in {dcName} through the Admin Node Manager (stop it first if it still runs).",
            $"POST /api/management/start/{groupId}/{instanceId}"),
        new(2, $"Check that it answers its health check and is back in the load balancer's {dcName} pool.", "GET /healthcheck"),
    ];

    public static IReadOnlyList<RunbookStep> RestartAdminNodeManager(DatacenterSnapshot dc, ComponentStatus anm) =>
        RestartAdminNodeManager(dc.Name, anm.Name);

    public static IReadOnlyList<RunbookStep> RestartAdminNodeManager(string dcName, string anmName) =>
    [
        new(1, $"Restart {ComponentText.Named(ComponentKind.AdminNodeManager, anmName)} on its host in {dcName}; do not deploy to {dcName} until it answers.", null),
        new(2, "Check that it answers the topology request.", "GET /api/topology"),
    ];

    public static IReadOnlyList<RunbookStep> RestartCassandraNode(DatacenterSnapshot dc, CassandraNodeStatus node) =>
        RestartCassandraNode(dc.Name, $"{node.Name} ({node.Address})", node.Name);

    public static IReadOnlyList<RunbookStep> RestartCassandraNode(string dcName, string nodeWithAddress, string nodeName) =>
    [
        new(1, $"Restart Cassandra node {nodeWithAddress} in {dcName}.", null),
        new(2, "Wait until it has rejoined the cluster: Up/Normal in nodetool status and in schema agreement.", "nodetool status"),
        new(3, $"Run nodetool repair on {nodeName}.", "nodetool repair"),
    ];

    public static IReadOnlyList<RunbookStep> RestoreQuorum(DatacenterSnapshot dc, IReadOnlyList<CassandraNodeStatus> down) =>
        RestoreQuorum(dc.Name, string.Join(", ", down.Select(n => $"{n.Name} ({n.Address})")));

    public static IReadOnlyList<RunbookStep> RestoreQuorum(string dcName, string downNodes) =>
    [
        new(1, $"Restart the Cassandra nodes that are down in {dcName}: {downNodes}.", null),
        new(2, $"Wait until every Cassandra node of {dcName} is Up/Normal and in schema agreement: LOCAL_QUORUM holds again.", "nodetool describecluster"),
        new(3, "Run nodetool repair on each node that was down.", "nodetool repair"),
    ];

    public static IReadOnlyList<RunbookStep> RestartDatacenter(DatacenterSnapshot dc) =>
        RestartDatacenter(dc.Name, Names(dc.CassandraNodes), Names(dc.GatewayInstances));

    public static IReadOnlyList<RunbookStep> RestartDatacenter(string dcName, string cassandraNodes, string gatewayInstances) =>
    [
        new(1, $"Restart every Cassandra node of {dcName} first: {cassandraNodes}.", null),
        new(2, $"Wait until all Cassandra nodes of {dcName} are Up and in schema agreement. Do not start any gateway instance before.",
            "nodetool describecluster"),
        new(3, $"Only then restart the gateway instances of {dcName} through the Admin Node Manager: {gatewayInstances}.",
            "POST /api/management/start/{groupId}/{instanceId}"),
        new(4, $"Check that the load balancer's {dcName} pool is serving again, then follow the repair advisories.", null),
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
        FindOut(dc.Name, FailoverScenarioClassifier.NameOf(snapshot, snapshot.ConsoleDatacenter));

    public static IReadOnlyList<RunbookStep> FindOut(string dcName, string consoleDcName) =>
    [
        new(1, $"Find out whether {dcName} is down or only the link is: ask the global load balancer whether its {dcName} pool serves, "
            + $"or open the console running in {dcName}.", null),
        new(2, $"If {dcName} is down: follow the datacenter runbook (Cassandra nodes first, gateway instances only when all are Up and in schema agreement).", null),
        new(3, "If the link is down: wait for it to return, then repair if it was down for more than 2 h.", null),
        new(4, $"Either way, do not deploy configuration or KPS table structure until {dcName} answers {consoleDcName} again.", null),
    ];

    private static string Names(IEnumerable<ComponentStatus> components)
    {
        var names = components.Select(c => c.Name).ToList();
        return names.Count == 0 ? "none known" : string.Join(", ", names);
    }
}
