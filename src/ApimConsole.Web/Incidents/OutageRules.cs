using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Web.Incidents;

/// <summary>One component an outage took down (<c>Down</c>) or cut off (<c>Unreachable</c>) in a snapshot.</summary>
public readonly record struct Consequence(string DatacenterId, string ComponentId, string ComponentKind, string State)
{
    public const string Down = "Down";
    public const string Unreachable = "Unreachable";

    public string Key => $"{DatacenterId}/{ComponentId}";
}

/// <summary>
/// How scenarios group into outages, one incident each: which scenario is part of which outage, when an outage is
/// still going on though its own scenario is no longer in force, and what it took down. Pure: no I/O, no clock.
/// </summary>
/// <remarks>
/// The outages are a datacenter down, a cut link, a lost quorum and one component down. A datacenter "unreachable"
/// (the console lost it and no witness has spoken yet) is the deciding stretch of one of the first two, or a short
/// outage of its own when it resolves into neither. A component scenario raised a moment before its datacenter or
/// quorum was named (components fall one by one) is part of that outage.
/// </remarks>
public static class OutageRules
{
    /// <summary>
    /// How long before an outage was named a narrower incident may have started and still be part of it: the time the
    /// probes of one datacenter take to fall one by one (a probe interval and timeout, with room).
    /// </summary>
    public static readonly TimeSpan NoticeWindow = TimeSpan.FromSeconds(30);

    private static bool IsComponentKind(string kind) => kind is nameof(FailoverScenarioKind.GatewayInstanceDown)
        or nameof(FailoverScenarioKind.AdminNodeManagerDown) or nameof(FailoverScenarioKind.CassandraNodeDown);

    /// <summary>
    /// Whether an open incident (<paramref name="narrowKind"/> in <paramref name="narrowDatacenter"/>, started at
    /// <paramref name="narrowStarted"/>) is part of the outage <paramref name="scenario"/> names: its deciding stretch
    /// (always), or a part noticed within <see cref="NoticeWindow"/> before it was named.
    /// </summary>
    public static bool Absorbs(FailoverScenario scenario, string narrowKind, string? narrowDatacenter, DateTimeOffset narrowStarted, EstateSnapshot snapshot)
    {
        var deciding = narrowKind == nameof(FailoverScenarioKind.DatacenterUnreachable);
        if (!deciding && narrowStarted < scenario.Since - NoticeWindow)
            return false;
        var sameDc = string.Equals(scenario.DatacenterId, narrowDatacenter, StringComparison.OrdinalIgnoreCase);
        return scenario.Kind switch
        {
            FailoverScenarioKind.InterDatacenterLinkDown => deciding
                || (IsPartKind(narrowKind) && snapshot.Find(narrowDatacenter ?? "") is { State: DatacenterState.Unreachable }),
            FailoverScenarioKind.DatacenterDown => sameDc && (deciding || IsPartKind(narrowKind)),
            FailoverScenarioKind.DatacenterUnreachable => sameDc && IsPartKind(narrowKind),
            FailoverScenarioKind.CassandraQuorumLost => sameDc && narrowKind == nameof(FailoverScenarioKind.CassandraNodeDown),
            _ => false,
        };
    }

    private static bool IsPartKind(string kind) => IsComponentKind(kind) || kind == nameof(FailoverScenarioKind.CassandraQuorumLost);

    /// <summary>
    /// Whether <paramref name="scenario"/>, newly in force, is the open incident's own outage going on under another
    /// name (a datacenter that was down coming back through "unreachable, deciding"; one node still down after a lost
    /// quorum), so that it opens nothing new.
    /// </summary>
    public static bool Continues(string openKind, string? openDatacenter, FailoverScenario scenario)
    {
        var sameDc = string.Equals(scenario.DatacenterId, openDatacenter, StringComparison.OrdinalIgnoreCase);
        return openKind switch
        {
            nameof(FailoverScenarioKind.DatacenterDown) => sameDc && scenario.Kind == FailoverScenarioKind.DatacenterUnreachable,
            nameof(FailoverScenarioKind.InterDatacenterLinkDown) => scenario.Kind == FailoverScenarioKind.DatacenterUnreachable,
            nameof(FailoverScenarioKind.CassandraQuorumLost) => sameDc && scenario.Kind == FailoverScenarioKind.CassandraNodeDown,
            _ => false,
        };
    }

    /// <summary>
    /// Whether the outage of an open incident whose own scenario is no longer in force still goes on: its datacenter
    /// still cut off or down, the link still not known up with a datacenter cut off, a node of the lost quorum still
    /// down, its component still down (inside a datacenter that went down since, where no component scenario is raised).
    /// </summary>
    public static bool StillOn(string kind, string? datacenterId, string? componentKey, EstateSnapshot snapshot)
    {
        if (!Enum.TryParse<FailoverScenarioKind>(kind, out var k))
            return false;
        if (k == FailoverScenarioKind.InterDatacenterLinkDown)
        {
            return snapshot.Link.State == LinkState.Down || (snapshot.Link.State == LinkState.Unknown
                && snapshot.Datacenters.Any(d => d.State == DatacenterState.Unreachable));
        }
        var dc = snapshot.Find(datacenterId ?? "");
        if (dc is null)
            return false;
        return k switch
        {
            FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.DatacenterUnreachable =>
                dc.State is DatacenterState.Down or DatacenterState.Unreachable,
            FailoverScenarioKind.CassandraQuorumLost => dc.CassandraNodes.Any(n => n.State == ComponentState.Down),
            _ => dc.AllComponents().Any(c => c.Key == componentKey && c.State == ComponentState.Down),
        };
    }

    /// <summary>
    /// The components an outage holds down or cut off in <paramref name="snapshot"/>: every component not Up of the
    /// datacenter it is about (of every datacenter cut off, for the link), the Cassandra nodes down for a lost quorum,
    /// the component itself when down. Unknown is <see cref="Consequence.Unreachable"/>, never Down.
    /// </summary>
    public static IReadOnlyList<Consequence> Consequences(string kind, string? datacenterId, string? componentKey, EstateSnapshot snapshot)
    {
        if (!Enum.TryParse<FailoverScenarioKind>(kind, out var k))
            return [];
        IEnumerable<ComponentStatus> scope = k switch
        {
            FailoverScenarioKind.InterDatacenterLinkDown => snapshot.Datacenters
                .Where(d => d.State == DatacenterState.Unreachable).SelectMany(d => d.AllComponents()),
            FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.DatacenterUnreachable =>
                snapshot.Find(datacenterId ?? "")?.AllComponents() ?? [],
            FailoverScenarioKind.CassandraQuorumLost => (snapshot.Find(datacenterId ?? "")?.CassandraNodes ?? [])
                .Where(n => n.State == ComponentState.Down),
            _ => (snapshot.Find(datacenterId ?? "")?.AllComponents() ?? []).Where(c => c.Key == componentKey && c.State == ComponentState.Down),
        };
        return scope.Where(c => c.State != ComponentState.Up)
            .Select(c => new Consequence(c.DatacenterId, c.Id, c.Kind.ToString(), c.State == ComponentState.Down ? Consequence.Down : Consequence.Unreachable))
            .ToList();
    }

    /// <summary>
    /// Whether a remote component seen Down in <paramref name="snapshot"/> may merely be the first of its datacenter to
    /// fall silent (another component's latest probe fails while it is still Up): then it is not recorded Down yet. The
    /// next snapshots tell: the datacenter unreachable (it was cut off, never Down) or the others answering again.
    /// </summary>
    public static bool MayBeFallingSilent(ComponentStatus component, EstateSnapshot snapshot)
    {
        if (component.State != ComponentState.Down || !IsRemote(component, snapshot))
            return false;
        var dc = snapshot.Find(component.DatacenterId);
        return dc is not null && dc.AllComponents().Any(c => c.Key != component.Key && c.State == ComponentState.Up && c.Failing);
    }

    public static bool IsRemote(ComponentStatus component, EstateSnapshot snapshot) =>
        !string.Equals(component.DatacenterId, snapshot.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a remote component Down in a datacenter that answers again may only carry what its probes saw while it
    /// was cut off (a component last stored Unknown): it is not recorded Down until a probe since says so, or the hold
    /// (<see cref="NoticeWindow"/>) runs out.
    /// </summary>
    public static bool IsComingBack(ComponentStatus component, EstateSnapshot snapshot) =>
        component.State == ComponentState.Down && IsRemote(component, snapshot)
        && snapshot.Find(component.DatacenterId) is { State: DatacenterState.Up or DatacenterState.Degraded };

    /// <summary>The worse of two consequence states: Down wins over Unreachable.</summary>
    public static string Worse(string a, string b) => a == Consequence.Down || b == Consequence.Down ? Consequence.Down : Consequence.Unreachable;
}
