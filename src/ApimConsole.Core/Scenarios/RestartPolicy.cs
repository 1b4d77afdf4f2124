using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Scenarios;

/// <summary>What the console does to a gateway instance through its Admin Node Manager.</summary>
public enum RestartAction
{
    /// <summary><c>POST /api/management/start/{group}/{instance}</c>: the process does not run.</summary>
    Start,
    /// <summary>Stop, then start: the process runs (perhaps hung, perhaps fine).</summary>
    Restart,
}

/// <summary>
/// Whether the console may start or restart one gateway instance now. <see cref="Action"/> is what fits the
/// instance's state; <see cref="Blocked"/> says why not, in words a person can act on, or is null when allowed.
/// </summary>
public sealed record RestartDecision(
    string DatacenterId,
    string InstanceId,
    string InstanceName,
    string GroupId,
    RestartAction Action,
    string? Blocked)
{
    public string Key => $"{DatacenterId}/{InstanceId}";
    public bool Allowed => Blocked is null;
}

/// <summary>
/// The restart order of the runbooks as rules on a snapshot. Pure. An instance may be started only when its
/// datacenter is reachable and serving, its Admin Node Manager answers, and every Cassandra node of its datacenter is
/// Up and in schema agreement: gateways started before Cassandra is whole read an incomplete store.
/// </summary>
/// <remarks>Rules are checked from the widest to the narrowest, and the first that blocks is the reason given.</remarks>
public static class RestartPolicy
{
    /// <summary>The decision for every gateway instance of the estate, datacenter by datacenter.</summary>
    public static IReadOnlyList<RestartDecision> Evaluate(EstateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.Datacenters
            .SelectMany(dc => dc.GatewayInstances.Select(i => Decide(snapshot, dc, i, requested: null)))
            .ToList();
    }

    /// <summary>The decision for one instance, or null when the estate has no such instance.</summary>
    public static RestartDecision? For(EstateSnapshot snapshot, string datacenterId, string instanceId) =>
        Permit(snapshot, datacenterId, instanceId, requested: null);

    /// <summary>
    /// The decision for performing <paramref name="requested"/> on one instance now (null: whichever fits its
    /// state), or null when the estate has no such instance. Starting an instance that already runs is refused
    /// (restart it instead); restarting one that does not run is allowed (stop is harmless, start brings it up).
    /// </summary>
    public static RestartDecision? Permit(EstateSnapshot snapshot, string datacenterId, string instanceId, RestartAction? requested)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var dc = snapshot.Find(datacenterId);
        var instance = dc?.GatewayInstances.FirstOrDefault(i => string.Equals(i.Id, instanceId, StringComparison.OrdinalIgnoreCase));
        return dc is null || instance is null ? null : Decide(snapshot, dc, instance, requested);
    }

    /// <summary>Running according to the ANM, or answering its health check (which the ANM would call running).</summary>
    public static bool Runs(GatewayInstanceStatus instance) =>
        instance.State == ComponentState.Up || string.Equals(instance.ManagementStatus, "Running", StringComparison.OrdinalIgnoreCase);

    private static RestartDecision Decide(EstateSnapshot snapshot, DatacenterSnapshot dc, GatewayInstanceStatus instance, RestartAction? requested)
    {
        var fits = Runs(instance) ? RestartAction.Restart : RestartAction.Start;
        var action = requested ?? fits;
        var blocked = WhyNot(snapshot, dc, instance);
        if (blocked is null && action == RestartAction.Start && fits == RestartAction.Restart)
            blocked = $"{instance.Name} ({instance.Key}) already runs: restart it (stop, then start) instead of starting it.";
        return new RestartDecision(dc.Id, instance.Id, instance.Name, instance.GroupId, action, blocked);
    }

    private static string? WhyNot(EstateSnapshot snapshot, DatacenterSnapshot dc, GatewayInstanceStatus instance)
    {
        var here = FailoverScenarioClassifier.NameOf(snapshot, snapshot.ConsoleDatacenter);
        var remote = !string.Equals(dc.Id, snapshot.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase);

        if (remote && snapshot.Link.State == LinkState.Down)
            return $"The inter-datacenter link is down: this console (in {here}) cannot reach the Admin Node Manager of {dc.Name}. "
                + $"Restart it from the console in {dc.Name}, or wait for the link.";

        switch (dc.State)
        {
            case DatacenterState.Down:
                return $"{dc.Name} is down. Cassandra first: restart every Cassandra node of {dc.Name}; its gateway instances can be "
                    + "started once its Admin Node Manager answers and all its Cassandra nodes are Up and in schema agreement.";
            case DatacenterState.Unreachable:
                return $"{dc.Name} is unreachable from {here} (DC down or link down): its Admin Node Manager cannot be reached. "
                    + $"Find out which first; if {dc.Name} is down, restart its Cassandra nodes before any gateway instance.";
        }

        if (dc.AdminNodeManagers.Count == 0 || dc.AdminNodeManagers.All(a => a.State != ComponentState.Up))
        {
            var anm = dc.AdminNodeManagers.FirstOrDefault();
            var state = anm is null ? "none is configured" : $"{anm.Key} is {Describe(anm.State, anm.Reason)}";
            return $"The Admin Node Manager of {dc.Name} does not answer ({state}): restart it first; the console starts gateway instances through it.";
        }

        var notReady = dc.CassandraNodes.Where(n => n.State != ComponentState.Up || n.InSchemaAgreement != true).ToList();
        if (notReady.Count > 0)
        {
            var what = string.Join(", ", notReady.Select(n => n.State != ComponentState.Up
                ? $"{n.Key} is {Describe(n.State, null)}"
                : $"{n.Key} is not in schema agreement"));
            return $"Cassandra first: restart every Cassandra node of {dc.Name} and wait until all are Up and in schema agreement — {what}.";
        }

        if (instance.State == ComponentState.Unknown)
            return $"The state of {instance.Key} is not known yet: wait for its next probe.";

        return null;
    }

    private static string Describe(ComponentState state, string? reason) => state switch
    {
        ComponentState.Down => string.IsNullOrWhiteSpace(reason) ? "Down" : $"Down: {reason}",
        ComponentState.Unknown => "Unknown (not probed yet)",
        _ => state.ToString(),
    };
}
