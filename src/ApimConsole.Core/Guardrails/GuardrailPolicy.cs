using System.Globalization;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Recovery;

namespace ApimConsole.Core.Guardrails;

/// <summary>
/// The deployment guardrail: whether gateway configuration and KPS table structure may be deployed now, from the
/// estate as the console sees it. Pure: the same inputs give the same verdicts.
/// </summary>
/// <remarks>
/// <para>The documentation's rule: while a datacenter is down or the inter-DC link is down, do not deploy either kind.
/// The console extends it where it cannot know better: a datacenter it cannot reach, an estate picture older than
/// <c>staleAfter</c>, and a component of a target datacenter in an unknown state all block, because unknown is
/// never treated as up. An outage whose recovery is not complete (Cassandra not all Up and in schema agreement,
/// repair not done after 2 h) blocks as well: the estate is not back to the state a deployment assumes.</para>
/// <para>Where the two kinds differ: KPS table structure is a Cassandra schema change that has to reach every node
/// of both datacenters, so schema disagreement blocks it, and the Cassandra nodes of every datacenter matter to it,
/// not only those of the targets. Gateway configuration is files on the instances of the target datacenters:
/// schema disagreement only warns, and only the target datacenters' components count.</para>
/// <para>Deny beats allow: each finding gives a decision per kind; a kind's verdict is the worst of them, with the
/// reasons of every finding that did not allow, worst first.</para>
/// </remarks>
public static class GuardrailPolicy
{
    /// <summary>How many publisher periods an estate picture may miss before it counts as stale.</summary>
    public const int StaleAfterProbeIntervals = 4;

    /// <summary>The floor of <see cref="StaleAfter"/>, so a short probe interval does not turn a GC pause into a block.</summary>
    public static readonly TimeSpan MinimumStaleAfter = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How old the estate picture may be before the guardrail stops trusting it. The status engine reassesses at
    /// least once per probe interval, so a healthy engine's picture is never more than about one interval old;
    /// four missed in a row (the same count <c>Probes:Fall</c> needs to call a component down) means the engine is
    /// stopped or starved, not late. The floor keeps very short test intervals from flapping under load.
    /// </summary>
    public static TimeSpan StaleAfter(TimeSpan probeInterval)
    {
        if (probeInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(probeInterval), probeInterval, "The probe interval must be positive.");
        var intervals = probeInterval * StaleAfterProbeIntervals;
        return intervals > MinimumStaleAfter ? intervals : MinimumStaleAfter;
    }

    /// <summary>One verdict per <see cref="ChangeKind"/>, in the enum's order.</summary>
    /// <param name="snapshot">The estate as the console sees it.</param>
    /// <param name="now">The moment of the decision; the verdicts carry it as their <c>AsOf</c>.</param>
    /// <param name="incompleteRecoveries">Outages that are over but not recovered from yet.</param>
    /// <param name="targetDatacenters">The datacenters the change would go to (ids, case-insensitive); empty: all of them.</param>
    /// <param name="staleAfter">How old <paramref name="snapshot"/> may be (see <see cref="StaleAfter"/>).</param>
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate, or <paramref name="staleAfter"/> is not positive.</exception>
    public static IReadOnlyList<GuardrailVerdict> Decide(
        EstateSnapshot snapshot,
        DateTimeOffset now,
        IReadOnlyList<IncompleteRecovery> incompleteRecoveries,
        IReadOnlyCollection<string> targetDatacenters,
        TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(incompleteRecoveries);
        ArgumentNullException.ThrowIfNull(targetDatacenters);
        if (staleAfter <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(staleAfter), staleAfter, "staleAfter must be positive.");

        var targets = ResolveTargets(snapshot, targetDatacenters);
        var findings = new List<Finding>();
        Staleness(snapshot, now, staleAfter, findings);
        Link(snapshot, now, findings);
        foreach (var dc in snapshot.Datacenters)
            Datacenter(dc, targets.Contains(dc.Id), snapshot, now, findings);
        Schema(snapshot, findings);
        foreach (var reason in RecoveryReasons(incompleteRecoveries, now))
            findings.Add(Finding.Both(GuardrailDecision.Block, reason));

        return Enum.GetValues<ChangeKind>().Select(kind => Verdict(kind, findings, now)).ToList();
    }

    /// <summary>The verdict for one kind of change.</summary>
    public static GuardrailVerdict Decide(
        ChangeKind kind,
        EstateSnapshot snapshot,
        DateTimeOffset now,
        IReadOnlyList<IncompleteRecovery> incompleteRecoveries,
        IReadOnlyCollection<string> targetDatacenters,
        TimeSpan staleAfter) =>
        Decide(snapshot, now, incompleteRecoveries, targetDatacenters, staleAfter).Single(v => v.Kind == kind);

    /// <summary>The ids in <paramref name="requested"/> that the estate does not have, for callers that validate input.</summary>
    public static IReadOnlyList<string> UnknownDatacenters(EstateSnapshot snapshot, IEnumerable<string> requested) =>
        requested.Where(id => snapshot.Find(id) is null).ToList();

    private static HashSet<string> ResolveTargets(EstateSnapshot snapshot, IReadOnlyCollection<string> requested)
    {
        var unknown = UnknownDatacenters(snapshot, requested);
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"Unknown datacenter {string.Join(", ", unknown.Select(u => $"'{u}'"))}: the estate has {string.Join(", ", snapshot.Datacenters.Select(d => d.Id))}.",
                nameof(requested));
        }
        var ids = requested.Count == 0 ? snapshot.Datacenters.Select(d => d.Id) : requested.Select(id => snapshot.Find(id)!.Id);
        return new HashSet<string>(ids, StringComparer.OrdinalIgnoreCase);
    }

    private static void Staleness(EstateSnapshot snapshot, DateTimeOffset now, TimeSpan staleAfter, List<Finding> findings)
    {
        var age = now - snapshot.AsOf;
        if (age <= staleAfter)
            return;
        findings.Add(Finding.Both(GuardrailDecision.Block,
            // No running age in the text: the reason stays the same while the state stays stale.
            $"The estate state is older than {Duration(staleAfter)} (last assessed {Clock(snapshot.AsOf, now)}): the status engine has "
            + "stopped reporting, so nothing is known to be up. Deploy when the estate state is current again."));
    }

    private static void Link(EstateSnapshot snapshot, DateTimeOffset now, List<Finding> findings)
    {
        if (snapshot.Datacenters.Count < 2)
            return;
        var link = snapshot.Link;
        var console = NameOf(snapshot, snapshot.ConsoleDatacenter);
        switch (link.State)
        {
            case LinkState.Down:
                var cutOff = snapshot.Datacenters.Where(d => d.State == DatacenterState.Unreachable).Select(Name).ToList();
                var serving = cutOff.Count > 0 ? $"{string.Join(" and ", cutOff)} still serving but unreachable from {console}" : "both datacenters serving";
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"Inter-DC link down {Since(link.Since, now)}: {serving}. Cassandra data diverges between the datacenters and a deployment "
                    + "would reach only one side. Deploy when the link is back up and the Cassandra nodes are Up and in schema agreement."));
                break;
            case LinkState.Unknown:
                // A datacenter that is down or unreachable is its own, more precise reason.
                if (snapshot.Datacenters.Any(d => d.State is DatacenterState.Down or DatacenterState.Unreachable))
                    break;
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"Inter-DC link state unknown{SinceSuffix(link.Since, now)}{Because(link.Reason)}: unknown blocks. "
                    + "Deploy when the console has seen the other datacenter answer."));
                break;
        }
    }

    private static void Datacenter(DatacenterSnapshot dc, bool isTarget, EstateSnapshot snapshot, DateTimeOffset now, List<Finding> findings)
    {
        var others = string.Join(" and ", snapshot.Datacenters.Where(d => d.Id != dc.Id).Select(Name));
        if (others.Length == 0)
            others = "the other datacenter";
        switch (dc.State)
        {
            case DatacenterState.Down:
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"{Name(dc)} down {Since(dc.Since, now)}: the load balancer sends everything to {others}. "
                    + $"Deploy when {Name(dc)} is back and its Cassandra nodes are Up and in schema agreement."));
                return;
            case DatacenterState.Unreachable:
                // With the link known down, the link's reason names this datacenter already.
                if (snapshot.Link.State != LinkState.Down)
                {
                    findings.Add(Finding.Both(GuardrailDecision.Block,
                        $"{Name(dc)} unreachable {Since(dc.Since, now)}: datacenter down or inter-DC link down, and no witness can tell which. "
                        + $"Deploy when {Name(dc)} answers again and its Cassandra nodes are Up and in schema agreement."));
                }
                return;
            case DatacenterState.Unknown:
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"{Name(dc)} state unknown{Because(dc.Reason)}: unknown blocks. Deploy when the console has probed it."));
                return;
        }

        // Up or Degraded: judge its components.
        foreach (var anm in dc.AdminNodeManagers)
        {
            if (anm.State == ComponentState.Down && isTarget)
            {
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"Admin Node Manager {Describe(anm)} down {Since(anm.Since, now)}{Why(anm.Reason)}. Deployments to {Name(dc)} go through it: "
                    + "deploy when it is back up."));
            }
        }

        foreach (var group in dc.Groups)
        {
            var down = group.Instances.Where(i => i.State == ComponentState.Down).ToList();
            if (!isTarget || down.Count == 0)
                continue;
            if (down.Count == group.Instances.Count)
            {
                findings.Add(Finding.Both(GuardrailDecision.Block,
                    $"No instance of {group.Name} is up in {Name(dc)} ({string.Join(", ", down.Select(i => Describe(i)))} down): "
                    + "the group cannot take the deployment. Deploy when at least one is back up."));
                continue;
            }
            foreach (var instance in down)
            {
                findings.Add(Finding.Both(GuardrailDecision.Warn,
                    $"Gateway instance {Describe(instance)} in {group.Name} down {Since(instance.Since, now)}{Why(instance.Reason)}. It will not receive "
                    + "this deployment and comes back on its old configuration: confirm, and deploy to it again once it is restarted."));
            }
        }

        var cassandraDown = dc.CassandraNodes.Where(n => n.State == ComponentState.Down).ToList();
        if (cassandraDown.Count > 1)
        {
            // Quorum is estate-wide trouble: KPS and API Manager data in that DC fail whichever DC is deployed to.
            findings.Add(Finding.Both(GuardrailDecision.Block,
                $"Cassandra quorum lost in {Name(dc)}: {string.Join(", ", cassandraDown.Select(n => $"{Describe(n)} down {Since(n.Since, now)}"))}. "
                + $"LOCAL_QUORUM reads and writes fail in {Name(dc)}. Deploy when at most one node there is down."));
        }
        else if (cassandraDown.Count == 1)
        {
            var node = cassandraDown[0];
            var reason = $"Cassandra node {Describe(node)} down {Since(node.Since, now)}{Why(node.Reason)}. Tolerated (LOCAL_QUORUM holds in {Name(dc)}), "
                + "but it misses writes until it is restarted and repaired.";
            // KPS structure is a schema change for every node, wherever the deployment goes.
            findings.Add(new Finding(
                isTarget ? GuardrailDecision.Warn : GuardrailDecision.Allow,
                GuardrailDecision.Warn,
                reason + " Confirm the deployment.",
                reason + " A KPS table-structure change reaches it only when it rejoins; confirm the deployment."));
        }

        foreach (var component in dc.AllComponents().Where(c => c.State == ComponentState.Unknown))
        {
            // KPS structure needs every Cassandra node; everything else counts only where the change goes.
            var kps = isTarget || component.Kind == ComponentKind.CassandraNode ? GuardrailDecision.Block : GuardrailDecision.Allow;
            var gateway = isTarget ? GuardrailDecision.Block : GuardrailDecision.Allow;
            if (kps == GuardrailDecision.Allow)
                continue;
            findings.Add(new Finding(gateway, kps,
                $"{KindName(component.Kind)} {Describe(component)} state unknown{Why(component.Reason)}. Unknown blocks: deploy when it has been probed."));
        }
    }

    private static void Schema(EstateSnapshot snapshot, List<Finding> findings)
    {
        // Nodes in a datacenter that is down, unreachable or unknown are covered by that datacenter's reason.
        var nodes = snapshot.Datacenters
            .Where(d => d.State is DatacenterState.Up or DatacenterState.Degraded)
            .SelectMany(d => d.CassandraNodes)
            .Where(n => n.State == ComponentState.Up)
            .ToList();

        var unreported = nodes.Where(n => n.SchemaVersion is null || n.InSchemaAgreement is null).ToList();
        if (unreported.Count > 0)
        {
            findings.Add(new Finding(GuardrailDecision.Allow, GuardrailDecision.Block,
                $"Cassandra schema agreement unknown: {string.Join(", ", unreported.Select(n => Describe(n)))} did not report a schema version. "
                + "A KPS table-structure change needs every node to agree first. Deploy when they do (nodetool describecluster)."));
        }

        var versions = nodes.Where(n => n.SchemaVersion is not null).GroupBy(n => n.SchemaVersion!.Value)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Min(n => n.Key), StringComparer.Ordinal).ToList();
        if (versions.Count < 2 && !nodes.Any(n => n.InSchemaAgreement == false))
            return;
        var differing = versions.Skip(1).SelectMany(g => g).Select(n => Describe(n)).ToList();
        var what = versions.Count < 2
            ? "Cassandra nodes report schema disagreement"
            : $"Cassandra schema versions disagree ({versions.Count} versions; {string.Join(", ", differing)} {(differing.Count == 1 ? "differs" : "differ")} from the rest)";
        findings.Add(new Finding(GuardrailDecision.Warn, GuardrailDecision.Block,
            $"{what}: gateway configuration does not change the schema, but the cluster is still settling. Confirm, or wait for agreement (nodetool describecluster).",
            $"{what}: a KPS table-structure change now could conflict with the change still spreading and be lost. Deploy when every node agrees (nodetool describecluster)."));
    }

    /// <summary>
    /// One reason per cause: recoveries still waiting for the same things (every outage of the link leaves the same
    /// Cassandra nodes to come back) are one sentence that names each outage once, not one near-copy per outage.
    /// </summary>
    private static IReadOnlyList<string> RecoveryReasons(IReadOnlyList<IncompleteRecovery> recoveries, DateTimeOffset now) =>
        recoveries
            .Select(r => (Recovery: r, Waiting: r.Waiting.Select(Clause).Where(w => w.Length > 0).ToList()))
            .GroupBy(r => string.Join("\n", r.Waiting), StringComparer.Ordinal)
            .Select(g => RecoveryReason(g.Select(r => r.Recovery).OrderBy(r => r.Ended).ToList(), g.First().Waiting, now))
            .ToList();

    private static string RecoveryReason(IReadOnlyList<IncompleteRecovery> outages, IReadOnlyList<string> waiting, DateTimeOffset now)
    {
        var titles = outages.Select(o => Clause(o.Title)).Distinct(StringComparer.Ordinal).Select(t => $"\"{t}\"").ToList();
        var last = outages[^1];
        var when = outages.Count == 1
            ? $"over {Since(last.Ended, now)}"
            : $"{outages.Count} outages, the last over {Since(last.Ended, now)}";
        var missing = waiting.Count == 0 ? "" : ": " + string.Join("; ", waiting);
        return $"Recovery from {string.Join(" and ", titles)} ({when}) is not complete{missing}. Deploy when it is.";
    }

    /// <summary>A sentence made a clause, to be joined with others: no surrounding blanks, no closing full stop.</summary>
    private static string Clause(string text) => text.Trim().TrimEnd('.', ';', ' ');

    private static GuardrailVerdict Verdict(ChangeKind kind, List<Finding> findings, DateTimeOffset now)
    {
        var applying = findings
            .Select(f => (Decision: f.DecisionFor(kind), Reason: f.ReasonFor(kind)))
            .Where(f => f.Decision != GuardrailDecision.Allow)
            .ToList();
        // Deny beats allow: the worst decision wins; OrderByDescending is stable, so equal decisions keep rule order.
        var decision = applying.Count == 0 ? GuardrailDecision.Allow : applying.Max(f => f.Decision);
        var reasons = applying.OrderByDescending(f => f.Decision).Select(f => f.Reason).Distinct().ToList();
        return new GuardrailVerdict(kind, decision, reasons, now);
    }

    /// <summary>What one rule found, decided per kind (<see cref="GuardrailDecision.Allow"/>: does not concern that kind).</summary>
    private sealed record Finding(GuardrailDecision Gateway, GuardrailDecision Kps, string Reason, string? KpsReason = null)
    {
        public static Finding Both(GuardrailDecision decision, string reason) => new(decision, decision, reason);

        public GuardrailDecision DecisionFor(ChangeKind kind) => kind switch
        {
            ChangeKind.GatewayConfiguration => Gateway,
            ChangeKind.KpsTableStructure => Kps,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown change kind."),
        };

        public string ReasonFor(ChangeKind kind) => kind == ChangeKind.KpsTableStructure ? KpsReason ?? Reason : Reason;
    }

    private static string NameOf(EstateSnapshot snapshot, string id) => snapshot.Find(id) is { } dc ? Name(dc) : id;

    private static string Name(DatacenterSnapshot dc) =>
        string.IsNullOrWhiteSpace(dc.Name) || string.Equals(dc.Name, dc.Id, StringComparison.OrdinalIgnoreCase) ? dc.Id : $"{dc.Name} ({dc.Id})";

    private static string Describe(ComponentStatus c) =>
        string.IsNullOrWhiteSpace(c.Name) || c.Name == c.Id ? c.Key : $"{c.Name} ({c.Key})";

    private static string KindName(ComponentKind kind) => kind switch
    {
        ComponentKind.AdminNodeManager => "Admin Node Manager",
        ComponentKind.GatewayInstance => "Gateway instance",
        ComponentKind.CassandraNode => "Cassandra node",
        _ => kind.ToString(),
    };

    private static string Because(string? reason) => string.IsNullOrWhiteSpace(reason) ? "" : $" ({reason.Trim().TrimEnd('.')})";

    private static string Why(string? reason) => string.IsNullOrWhiteSpace(reason) ? "" : $": {reason.Trim().TrimEnd('.')}";

    /// <summary>
    /// "since 14:02:00 UTC (12 min)"; the date is added when it is not today's. No seconds in the duration: the
    /// reason (and so the banner) changes at most once a minute while the state stays.
    /// </summary>
    internal static string Since(DateTimeOffset since, DateTimeOffset now)
    {
        if (since == default)
            return "since an unknown time";
        var elapsed = now - since;
        return $"since {Clock(since, now)} ({(elapsed < TimeSpan.FromMinutes(1) ? "under a minute" : Duration(elapsed))})";
    }

    private static string SinceSuffix(DateTimeOffset since, DateTimeOffset now) => since == default ? "" : " " + Since(since, now);

    private static string Clock(DateTimeOffset at, DateTimeOffset now)
    {
        var utc = at.ToUniversalTime();
        var format = utc.Date == now.ToUniversalTime().Date ? "HH:mm:ss" : "d MMM HH:mm:ss";
        return utc.ToString(format, CultureInfo.InvariantCulture) + " UTC";
    }

    internal static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
            span = TimeSpan.Zero;
        if (span.TotalMinutes < 1)
            return $"{(int)span.TotalSeconds} s";
        if (span.TotalHours < 1)
            return $"{(int)span.TotalMinutes} min";
        if (span.TotalDays < 1)
            return $"{(int)span.TotalHours} h {span.Minutes:00} min";
        return $"{(int)span.TotalDays} d {span.Hours} h";
    }
}
