using ApimConsole.Core.Estate;
using ApimConsole.Core.Peer;

namespace ApimConsole.Core.Health;

/// <summary>
/// Turns what the probes observed into the estate snapshot people read: the state of each datacenter, of the
/// inter-DC link, and of components that cannot be judged from here. Pure: the same inputs give the same snapshot.
/// </summary>
/// <remarks>
/// From inside one datacenter, "the other DC is down" and "the link is down" look the same: nothing over there
/// answers. The global load balancer reaches both DCs without the link, so its pool view is the witness:
/// the other DC still serving means the link is down; not serving means the DC is down. With no witness the
/// console says exactly that it cannot tell.
/// The load balancer's health checks run on their own schedule, so it sees a datacenter fail later than the console's
/// probes may. "Still serving" is only evidence of a cut link once the pools were read at least
/// <c>witnessLag</c> (the load balancer's health-check interval plus one check's timeout, times its fall count) after the console lost the datacenter;
/// until then the datacenter is Unreachable and the link Unknown ("deciding"). "Not serving" is fresh evidence at
/// once: the load balancer only takes a pool out after its own checks failed. The same race runs the other way when
/// a datacenter comes back: the load balancer may see it serving again before the console's probes have risen, so a
/// datacenter that was Down and is seen serving again is "deciding" for <c>witnessLag</c> from that moment too.
/// The console in the other datacenter (<c>peer</c>) is the second witness, and the better one: it probes its own
/// datacenter directly, without the link and without a load balancer's health-check lag. Its "serving" counts only on
/// answers its probes got after this console's silence began (<see cref="DatacenterSnapshot.SilentSince"/>, see
/// <see cref="PeerSees"/>): then it names the link down at once (and the datacenter's components are shown as the
/// peer sees them, <see cref="DatacenterSnapshot.SeenBy"/>); "down" names the datacenter down. A peer that does not
/// answer is no witness, never a verdict.
/// </remarks>
public static class EstateAssessor
{
    public static EstateSnapshot Assess(
        string estateName,
        string consoleDatacenter,
        IReadOnlyList<DatacenterSnapshot> observed,
        LoadBalancerView? loadBalancer,
        EstateSnapshot? previous,
        DateTimeOffset now,
        TimeSpan witnessLag = default,
        PeerWitness? peer = null)
    {
        var witness = loadBalancer is { State: ComponentState.Up } ? loadBalancer : null;
        var datacenters = new List<DatacenterSnapshot>(observed.Count);
        var remoteVerdicts = new List<(string Id, LinkState Link, string Reason)>();

        // Schema agreement: every Cassandra node that answers reports the same schema version.
        var schemaVersions = observed.SelectMany(d => d.CassandraNodes)
            .Where(n => n.State == ComponentState.Up && n.SchemaVersion is not null)
            .Select(n => n.SchemaVersion!.Value).Distinct().Count();

        foreach (var source in observed)
        {
            var dc = source with
            {
                CassandraNodes = source.CassandraNodes.Select(n => n with
                {
                    InSchemaAgreement = n.State == ComponentState.Up && n.SchemaVersion is not null ? schemaVersions == 1 : null,
                }).ToList(),
            };
            var isRemote = !string.Equals(dc.Id, consoleDatacenter, StringComparison.OrdinalIgnoreCase);
            var components = dc.AllComponents().ToList();
            // Silent: everything is Down, or everything's latest probe failed and some are already Down. The second
            // catches a datacenter being cut off while its components are still falling one by one, so the
            // first component to fall is not shown as a component outage of its own.
            var nothingAnswers = components.Count > 0
                && (components.All(c => c.State == ComponentState.Down)
                    || (components.All(c => c.State == ComponentState.Down || c.Failing) && components.Any(c => c.State == ComponentState.Down)));
            var pool = witness?.Pools.FirstOrDefault(p => string.Equals(p.DatacenterId, dc.Id, StringComparison.OrdinalIgnoreCase));

            DatacenterState state;
            string? reason;
            var assessed = dc;
            var peerView = peer?.Evidence is { } pv && string.Equals(pv.Datacenter, dc.Id, StringComparison.OrdinalIgnoreCase) ? pv : null;
            var silentSince = nothingAnswers && isRemote ? SilentSince(components, now) : (DateTimeOffset?)null;
            if (silentSince is { } silent && peerView is not null && PeerSees(peerView, silent) is { } sighting)
            {
                var seenBy = new PeerSighting(peerView.Datacenter, peerView.At);
                if (sighting)
                {
                    state = DatacenterState.Unreachable;
                    reason = $"Unreachable from {consoleDatacenter}, but the console in {peerView.Datacenter} sees it serving ({peerView.Own.State}, "
                             + $"{seenBy.At.UtcDateTime:HH:mm:ss}): the inter-DC link is down.";
                    remoteVerdicts.Add((dc.Id, LinkState.Down, reason));
                }
                else
                {
                    state = DatacenterState.Down;
                    reason = $"Nothing answers {consoleDatacenter}, and the console in {peerView.Datacenter} sees its own datacenter down "
                             + $"({seenBy.At.UtcDateTime:HH:mm:ss}): the datacenter is down.";
                    remoteVerdicts.Add((dc.Id, LinkState.Unknown, $"Cannot be judged while {dc.Id} is down."));
                }
                assessed = SeenThroughPeer(dc, peerView, seenBy);
            }
            else if (nothingAnswers && isRemote)
            {
                // When the console lost this DC: the start of its current silence (Unreachable or Down), else now.
                var before = previous?.Find(dc.Id);
                // A datacenter the load balancer had taken out (Down) that it now sees serving again is coming back:
                // its health checks saw that before the console's probes rose, so "serving" is evidence from now on,
                // not from when the datacenter was lost (the soak's second race: a link "cut" named while dc2 recovered).
                var returning = before is { State: DatacenterState.Down } && pool is { Serving: true };
                var lostAt = returning ? now : before is { State: DatacenterState.Unreachable or DatacenterState.Down } ? before.Since : now;
                var poolsReadAt = witness?.PoolsReadAt ?? now;
                if (pool is { Serving: true } && (returning || poolsReadAt < lostAt + witnessLag))
                {
                    state = DatacenterState.Unreachable;
                    reason = returning
                        ? $"{dc.Name} unreachable (coming back or link down), deciding: the load balancer sees it serving again, "
                          + $"and {consoleDatacenter}'s probes have not seen it answer yet (up to {witnessLag.TotalSeconds:0.#} s)."
                        : $"{dc.Name} unreachable (DC down or link down), deciding: the load balancer still sees it serving, "
                          + $"but its health checks may not have run since {consoleDatacenter} lost it (up to {witnessLag.TotalSeconds:0.#} s).";
                    remoteVerdicts.Add((dc.Id, LinkState.Unknown, reason));
                    assessed = MarkUnknown(dc, $"not reachable from {consoleDatacenter} (DC down or link down, deciding)");
                }
                else if (pool is { Serving: true })
                {
                    state = DatacenterState.Unreachable;
                    reason = $"Unreachable from {consoleDatacenter}, but the load balancer sees it serving ({pool.HealthyDestinations}/{pool.Destinations} healthy): the inter-DC link is down.";
                    remoteVerdicts.Add((dc.Id, LinkState.Down, reason));
                    assessed = MarkUnknown(dc, $"not reachable from {consoleDatacenter}: inter-DC link down");
                }
                else if (pool is not null)
                {
                    state = DatacenterState.Down;
                    assessed = MarkFallen(dc, "not answering: the datacenter is down");
                    reason = "Nothing answers and the load balancer sees no healthy gateway in it: the datacenter is down.";
                    remoteVerdicts.Add((dc.Id, LinkState.Unknown, $"Cannot be judged while {dc.Id} is down."));
                }
                else
                {
                    state = DatacenterState.Unreachable;
                    reason = $"{dc.Name} unreachable (DC down or link down): no witness can tell which{NoWitness(loadBalancer, dc.Id)}{NoPeer(peer)}.";
                    remoteVerdicts.Add((dc.Id, LinkState.Unknown, reason));
                    assessed = MarkUnknown(dc, $"not reachable from {consoleDatacenter} (DC down or link down)");
                }
            }
            else if (nothingAnswers)
            {
                state = DatacenterState.Down;
                reason = "No component of this datacenter answers.";
            }
            else
            {
                if (isRemote && components.Any(c => c.State == ComponentState.Up))
                    remoteVerdicts.Add((dc.Id, LinkState.Up, "The other datacenter answers."));
                (state, reason) = Summarize(components);
            }

            datacenters.Add(KeepSince(assessed with { State = state, Reason = reason, SilentSince = silentSince }, previous?.Find(dc.Id), now));
        }

        var link = AssessLink(remoteVerdicts);
        var previousLink = previous?.Link;
        var linkSince = previousLink is not null && previousLink.State == link.State ? previousLink.Since : now;
        return new EstateSnapshot(now, estateName, consoleDatacenter, datacenters, link with { Since = linkSince }, loadBalancer) { Peer = peer };
    }

    /// <summary>
    /// A time by which this console had seen every component of a silent datacenter fail and heard nothing from it
    /// since: the latest start of a component's current run of failures (<see cref="ComponentStatus.FailingSince"/>).
    /// A component Down with no failure in its latest probe (rising again) answered lately: then <paramref name="now"/>,
    /// and only what a witness sees from now on counts.
    /// </summary>
    private static DateTimeOffset SilentSince(List<ComponentStatus> components, DateTimeOffset now)
    {
        var latest = DateTimeOffset.MinValue;
        foreach (var component in components)
        {
            if (component.FailingSince is not { } failing)
                return now;
            if (failing > latest)
                latest = failing;
        }
        return latest;
    }

    /// <summary>
    /// True: the peer sees its datacenter serving after <paramref name="silentSince"/>; false: it sees it down; null: its
    /// view is no evidence (yet).
    /// </summary>
    /// <remarks>
    /// "Serving" is never taken from stale evidence. The peer's datacenter must be Up or Degraded with no component
    /// falling (a probe failing on a component not Down yet: it may be going down with its datacenter right now), and
    /// every component the peer reports Up must have answered a probe that <b>started</b> at or after
    /// <paramref name="silentSince"/> (<see cref="PeerView.Answered"/>), among them at least one gateway instance of a DMZ
    /// group (of any group when the datacenter has no DMZ group): a datacenter serves through its DMZ gateways. A
    /// probe that started after this console's silence began and succeeded proves the datacenter answered after this
    /// console lost it, so it was not down: the link is. Components the peer reports Down or Unknown are shown, but
    /// prove nothing either way. The two consoles' clocks are compared: they are expected to be synchronised (NTP); a
    /// peer whose clock runs ahead by s makes its answers look up to s fresher than they are.
    /// "Down" counts at once: the peer's own probes have failed often enough to take every component down.
    /// </remarks>
    private static bool? PeerSees(PeerView view, DateTimeOffset silentSince)
    {
        if (view.Own.State == DatacenterState.Down)
            return false;
        if (view.Own.State is not (DatacenterState.Up or DatacenterState.Degraded) || view.FailingComponents > 0 || view.Answered is not { } answered)
            return null;
        bool Fresh(ComponentStatus c) => answered.TryGetValue(c.Key, out var started) && started >= silentSince;
        if (!view.Own.AllComponents().Where(c => c.State == ComponentState.Up).All(Fresh))
            return null;
        var dmz = view.Own.Groups.Where(g => g.Zone == GatewayZone.Dmz).ToList();
        var front = (dmz.Count > 0 ? dmz : view.Own.Groups).SelectMany(g => g.Instances);
        return front.Any(i => i.State == ComponentState.Up) ? true : null;
    }

    private static string NoPeer(PeerWitness? peer) => peer is { Available: false } ? $"; no peer witness ({peer.Reason})" : "";

    /// <summary>The datacenter's components as the peer reported them, marked with who saw them and when.</summary>
    private static DatacenterSnapshot SeenThroughPeer(DatacenterSnapshot dc, PeerView view, PeerSighting seenBy)
    {
        var label = seenBy.Label;
        T Mark<T>(T c) where T : ComponentStatus => c with { Reason = c.Reason is null ? label : $"{c.Reason} ({label})", Failing = false };
        var own = view.Own;
        return dc with
        {
            AdminNodeManagers = own.AdminNodeManagers.Select(Mark).ToList(),
            Groups = own.Groups.Select(g => g with { Instances = g.Instances.Select(Mark).ToList() }).ToList(),
            CassandraNodes = own.CassandraNodes.Select(n => Mark(n) with { InSchemaAgreement = null }).ToList(),
            SeenBy = seenBy,
        };
    }

    /// <summary>Why there is no witness: none configured, not read yet, or the load balancer's own reason for being Down.</summary>
    private static string NoWitness(LoadBalancerView? loadBalancer, string datacenterId) => loadBalancer switch
    {
        null => "",
        { State: ComponentState.Unknown } => " yet (the load balancer has not been read)",
        { State: ComponentState.Up } => $" (the load balancer's status has no pool for {datacenterId})",
        _ => $" (the load balancer: {loadBalancer.Reason ?? "down"})",
    };

    private static InterDatacenterLink AssessLink(List<(string Id, LinkState Link, string Reason)> verdicts)
    {
        if (verdicts.Count == 0)
            return new InterDatacenterLink(LinkState.Unknown, default, "No other datacenter has been observed yet.");
        // With more than two DCs the worst verdict wins: one unreachable DC is enough to stop deployments.
        var worst = verdicts.FirstOrDefault(v => v.Link == LinkState.Down);
        if (worst.Id is null)
            worst = verdicts.FirstOrDefault(v => v.Link == LinkState.Unknown);
        if (worst.Id is null)
            return new InterDatacenterLink(LinkState.Up, default, null);
        return new InterDatacenterLink(worst.Link, default, worst.Reason);
    }

    private static (DatacenterState, string?) Summarize(List<ComponentStatus> components)
    {
        if (components.Count == 0 || components.All(c => c.State == ComponentState.Unknown))
            return (DatacenterState.Unknown, "Not probed yet.");
        var down = components.Where(c => c.State == ComponentState.Down).ToList();
        var unknown = components.Count(c => c.State == ComponentState.Unknown);
        if (down.Count == 0 && unknown == 0)
            return (DatacenterState.Up, null);
        var parts = new List<string>();
        if (down.Count > 0)
            parts.Add($"{down.Count} down: {string.Join(", ", down.Select(c => c.Name))}");
        if (unknown > 0)
            parts.Add($"{unknown} unknown");
        return (DatacenterState.Degraded, string.Join("; ", parts) + ".");
    }

    private static DatacenterSnapshot MarkUnknown(DatacenterSnapshot dc, string reason) => dc with
    {
        AdminNodeManagers = dc.AdminNodeManagers.Select(a => a with { State = ComponentState.Unknown, Reason = reason }).ToList(),
        Groups = dc.Groups.Select(g => g with
        {
            Instances = g.Instances.Select(i => i with { State = ComponentState.Unknown, Reason = reason, ManagementStatus = null }).ToList(),
        }).ToList(),
        CassandraNodes = dc.CassandraNodes.Select(n => n with { State = ComponentState.Unknown, Reason = reason, InSchemaAgreement = null }).ToList(),
    };

    /// <summary>Components still Up only because their failures have not added up yet are shown Down with their DC.</summary>
    private static DatacenterSnapshot MarkFallen(DatacenterSnapshot dc, string reason)
    {
        T Fall<T>(T c) where T : ComponentStatus => c.State == ComponentState.Up && c.Failing ? c with { State = ComponentState.Down, Reason = reason } : c;
        return dc with
        {
            AdminNodeManagers = dc.AdminNodeManagers.Select(Fall).ToList(),
            Groups = dc.Groups.Select(g => g with { Instances = g.Instances.Select(Fall).ToList() }).ToList(),
            CassandraNodes = dc.CassandraNodes.Select(Fall).ToList(),
        };
    }

    /// <summary>"Since" is when the state last changed, so it survives every snapshot where the state stays.</summary>
    private static DatacenterSnapshot KeepSince(DatacenterSnapshot dc, DatacenterSnapshot? before, DateTimeOffset now)
    {
        var since = before is not null && before.State == dc.State ? before.Since : now;
        if (before is null)
            return dc with { Since = since };

        var previousByKey = before.AllComponents().ToDictionary(c => c.Key, c => c);
        T Keep<T>(T c) where T : ComponentStatus =>
            previousByKey.TryGetValue(c.Key, out var p) && p.State == c.State && p.Since < c.Since ? c with { Since = p.Since } : c;

        return dc with
        {
            Since = since,
            AdminNodeManagers = dc.AdminNodeManagers.Select(Keep).ToList(),
            Groups = dc.Groups.Select(g => g with { Instances = g.Instances.Select(Keep).ToList() }).ToList(),
            CassandraNodes = dc.CassandraNodes.Select(Keep).ToList(),
        };
    }
}
