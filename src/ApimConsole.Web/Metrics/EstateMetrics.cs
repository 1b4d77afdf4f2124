using System.Globalization;
using System.Text;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Peer;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.Engine;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// The console's Prometheus metrics: one registry of its own (no process-wide state, so two consoles in one process do
/// not mix), gauges rewritten from the live state just before each scrape, and the probe-duration histogram
/// (<see cref="ProbeDurations"/>) in the same registry. A scrape reads what the feeds hold now; it never probes or waits on a peer.
/// </summary>
/// <remarks>
/// States are "one-hot": one series per possible state, 1 for the state that holds and 0 for the others. An unknown
/// state is its own series (<c>state="unknown"</c>), never a 0 read as "down". Label values are the console's own
/// names in snake case (<c>gateway_instance</c>, <c>inter_datacenter_link_down</c>).
/// </remarks>
public sealed class EstateMetrics
{
    public const string Prefix = "apimconsole_";

    public static readonly IReadOnlyList<string> ComponentStates = Names<ComponentState>();
    public static readonly IReadOnlyList<string> DatacenterStates = Names<DatacenterState>();
    public static readonly IReadOnlyList<string> LinkStates = Names<LinkState>();
    public static readonly IReadOnlyList<string> Decisions = Names<GuardrailDecision>();
    public static readonly IReadOnlyList<string> WitnessStates = ["unknown", "up", "down"];
    public static readonly IReadOnlyList<string> LogTailStates = ["not_polled", "tailing", "unreachable"];

    private readonly MetricSources _sources;
    private readonly CollectorRegistry _registry;
    private readonly Lock _refresh = new();
    private readonly Gauge _snapshotAge;
    private readonly LabelledGauge _info, _datacenter, _component, _link, _scenarios, _guardrail, _witness, _witnessUnread, _poolServing,
        _poolHealthy, _poolDestinations, _trafficRate, _trafficFailures, _trafficErrorRatio, _trafficCollected, _logTail,
        _logLag, _deployments;
    private readonly Gauge _scenariosInForce;
    private readonly Gauge? _outboxDepth, _outboxDead, _outboxAge;

    /// <param name="registry">The console's registry (which <see cref="ProbeDurations"/> shares); null: a new one.</param>
    public EstateMetrics(MetricSources sources, CollectorRegistry? registry = null)
    {
        _sources = sources;
        _registry = registry ?? PrometheusMetrics.NewCustomRegistry();
        var f = PrometheusMetrics.WithCustomRegistry(_registry);
        // Published once set: a series the console has no value for is absent, never a made-up 0.
        Gauge Plain(string name, string help, params string[] labels) =>
            f.CreateGauge(Prefix + name, help, labels, new GaugeConfiguration { SuppressInitialValue = true });
        LabelledGauge G(string name, string help, params string[] labels) => new(Plain(name, help, labels));

        _info = G("info", "This console: always 1, with its estate, its datacenter and its version as labels.", "estate", "console_datacenter", "version");
        _snapshotAge = Plain("estate_snapshot_age_seconds", "Seconds since the status engine last assessed the estate (grows when it stalls).");
        _datacenter = G("datacenter_state", "A datacenter's state as this console sees it, one-hot: 1 for the state that holds.", "datacenter", "state");
        _component = G("component_state", "A component's state (Admin Node Manager, gateway instance, Cassandra node), one-hot: 1 for the state that holds.",
            "datacenter", "component", "kind", "state");
        _link = G("link_state", "The inter-datacenter link's state, one-hot: 1 for the state that holds.", "state");
        _scenariosInForce = Plain("scenarios_in_force", "Failover scenarios in force, all kinds together.");
        _scenarios = G("scenarios", "Failover scenarios in force, by kind, datacenter (empty: the estate as a whole) and severity.", "kind", "datacenter", "severity");
        _guardrail = G("guardrail_decision", "The deployment guardrail's published decision per kind of change and target datacenter, one-hot.",
            "kind", "datacenter", "decision");
        _witness = G("witness_state", "A witness that tells a datacenter down from the link down (load_balancer, peer), one-hot; absent when not configured.",
            "witness", "state");
        _witnessUnread = G("witness_unread_members", "Members of a witness with several (Estate:LoadBalancer:StatusUrls) that its last read could not read while others answered; present while the witness is up.",
            "witness");
        _poolServing = G("load_balancer_pool_serving", "1 when the global load balancer serves the datacenter's pool (read while the witness is up).", "datacenter");
        _poolHealthy = G("load_balancer_pool_healthy_destinations", "Healthy members of the datacenter's pool, as the load balancer reports.", "datacenter");
        _poolDestinations = G("load_balancer_pool_destinations", "Members of the datacenter's pool, as the load balancer reports.", "datacenter");
        _trafficRate = G("traffic_requests_per_second", "Requests per second in the datacenter's latest covered minute; absent when the console could not read it.", "datacenter");
        _trafficFailures = G("traffic_failures_per_second", "Failed requests per second in the datacenter's latest covered minute.", "datacenter");
        _trafficErrorRatio = G("traffic_error_ratio", "Share of the latest covered minute's requests that failed (0-1); absent when there were none.", "datacenter");
        _trafficCollected = G("traffic_collected", "1 when the console's last traffic poll of the datacenter read it, 0 when it could not (a gap).", "datacenter");
        _logTail = G("log_tail_state", "The datacenter's trace log tail, one-hot: not_polled, tailing, unreachable.", "datacenter", "state");
        _logLag = G("log_tail_lag_seconds", "Seconds since the datacenter's log source last answered; absent before it first did.", "datacenter");
        _deployments = G("deployments", "Deployments in the console's store by state (pending, running, succeeded, partially_applied, stopped, failed, interrupted).", "state");
        if (sources.Outbox is not null)
        {
            // Only with the notifications feature registered: without it the outbox is not "empty", there is none.
            _outboxDepth = Plain("notification_outbox_depth", "Notifications raised and not yet delivered.");
            _outboxDead = Plain("notification_outbox_dead_letters", "Notifications whose delivery retries ran out.");
            _outboxAge = Plain("notification_outbox_oldest_age_seconds", "Age of the oldest notification not yet delivered; 0 when none is pending.");
        }
        // A scrape reads the live state first: each gauge is set from the feeds' current values, all under one lock.
        _registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>The metrics in the Prometheus text exposition format (version 0.0.4).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, ExpositionFormat.PrometheusText, cancellationToken);

    /// <summary>The exposition as a string (tests, diagnostics).</summary>
    public async Task<string> ToTextAsync(CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream();
        await WriteAsync(stream, cancellationToken);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void Refresh()
    {
        lock (_refresh)
        {
            var now = _sources.Time.GetUtcNow();
            var snapshot = _sources.Estate.Current;
            _info.Set(1, snapshot.EstateName, snapshot.ConsoleDatacenter, PeerProtocol.ConsoleVersion);
            _snapshotAge.Set(Math.Max(0, (now - snapshot.AsOf).TotalSeconds));
            Estate(snapshot);
            Witnesses(snapshot);
            if (_sources.Guardrail is { } guardrail)
            {
                foreach (var (kind, dc, decision) in guardrail())
                    _guardrail.SetOneHot(Decisions, Snake(decision.ToString()), Snake(kind.ToString()), dc);
            }
            Traffic();
            Logs(now);
            if (_sources.Deployments?.Invoke() is { } deployments)
            {
                foreach (var state in Enum.GetValues<DeploymentState>())
                    _deployments.Set(deployments.GetValueOrDefault(state), Snake(state.ToString()));
            }
            if (_sources.Outbox?.Read() is { } outbox)
            {
                _outboxDepth!.Set(outbox.Pending);
                _outboxDead!.Set(outbox.DeadLettered);
                _outboxAge!.Set(outbox.OldestPendingSince is { } oldest ? Math.Max(0, (now - oldest).TotalSeconds) : 0);
            }
            foreach (var gauge in (LabelledGauge[])[_info, _datacenter, _component, _link, _scenarios, _guardrail, _witness, _witnessUnread, _poolServing, _poolHealthy,
                         _poolDestinations, _trafficRate, _trafficFailures, _trafficErrorRatio, _trafficCollected, _logTail, _logLag, _deployments])
                gauge.EndRound();
        }
    }

    private void Estate(EstateSnapshot snapshot)
    {
        foreach (var dc in snapshot.Datacenters)
        {
            _datacenter.SetOneHot(DatacenterStates, Snake(dc.State.ToString()), dc.Id);
            foreach (var c in dc.AllComponents())
                _component.SetOneHot(ComponentStates, Snake(c.State.ToString()), c.DatacenterId, c.Id, Snake(c.Kind.ToString()));
        }
        _link.SetOneHot(LinkStates, Snake(snapshot.Link.State.ToString()));
        var scenarios = snapshot.Scenarios;
        _scenariosInForce.Set(scenarios.Count);
        foreach (var group in scenarios.GroupBy(s => (s.Kind, Dc: s.DatacenterId ?? "", s.Severity)))
            _scenarios.Set(group.Count(), Snake(group.Key.Kind.ToString()), group.Key.Dc, Snake(group.Key.Severity.ToString()));
    }

    private void Witnesses(EstateSnapshot snapshot)
    {
        if (snapshot.LoadBalancer is { } lb)
        {
            _witness.SetOneHot(WitnessStates, Snake(lb.State.ToString()), "load_balancer");
            // Pools only from a witness that answers now: a down load balancer's last pools are history, not state.
            if (lb.State == ComponentState.Up)
            {
                _witnessUnread.Set(lb.UnreadMembers?.Count ?? 0, "load_balancer");
                foreach (var pool in lb.Pools)
                {
                    _poolServing.Set(pool.Serving ? 1 : 0, pool.DatacenterId);
                    _poolHealthy.Set(pool.HealthyDestinations, pool.DatacenterId);
                    _poolDestinations.Set(pool.Destinations, pool.DatacenterId);
                }
            }
        }
        if (snapshot.Peer is { } peer)
            _witness.SetOneHot(WitnessStates, peer.Available ? "up" : peer.ReadAt is null ? "unknown" : "down", "peer");
    }

    private void Traffic()
    {
        if (_sources.Traffic is not { } traffic)
            return;
        foreach (var dc in traffic())
        {
            if (dc.Polled)
                _trafficCollected.Set(dc.Collected ? 1 : 0, dc.DatacenterId);
            if (dc.Latest is not { RequestsPerSecond: { } rate } point)
                continue;
            _trafficRate.Set(rate, dc.DatacenterId);
            _trafficFailures.Set(rate * (point.ErrorRate ?? 0), dc.DatacenterId);
            if (point.ErrorRate is { } ratio)
                _trafficErrorRatio.Set(ratio, dc.DatacenterId);
        }
    }

    private void Logs(DateTimeOffset now)
    {
        if (_sources.LogTails is not { } tails)
            return;
        foreach (var tail in tails())
        {
            // Before its first poll a tail is neither reachable nor unreachable: it has not been asked.
            var state = tail.Reachable ? "tailing" : tail.LastSuccess is null && tail.Error is null ? "not_polled" : "unreachable";
            _logTail.SetOneHot(LogTailStates, state, tail.DatacenterId);
            if (tail.LastSuccess is { } last)
                _logLag.Set(Math.Max(0, (now - last).TotalSeconds), tail.DatacenterId);
        }
    }

    /// <summary><c>GatewayInstance</c> → <c>gateway_instance</c>; <c>InterDatacenterLinkDown</c> → <c>inter_datacenter_link_down</c>.</summary>
    public static string Snake(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                builder.Append('_');
            builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static string[] Names<TEnum>() where TEnum : struct, Enum => Enum.GetNames<TEnum>().Select(Snake).ToArray();
}
