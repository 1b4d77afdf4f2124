using System.Collections.Concurrent;
using ApimConsole.Core.Alerts;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Guardrails;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Alerts;

/// <summary>
/// Turns what the console already knows into alerts: the scenarios and witnesses of each estate snapshot, the
/// guardrail's decisions, the store's health, repairs falling due, deployments' outcomes (<see cref="DeploymentAlertWatch"/>).
/// It subscribes to the live feeds like any page and only writes to the store (<see cref="AlertStore"/>): raising
/// never waits for a receiver.
/// </summary>
public sealed class AlertRaiser(
    IEstateStatus estate,
    ILiveFeed<GuardrailState> guardrail,
    ConsoleStoreHealth storeHealth,
    AlertStore store,
    DeploymentAlertWatch deployments,
    TimeProvider time,
    IOptions<AlertOptions> options,
    ILogger<AlertRaiser> logger,
    ILiveFeed<DriftState>? drift = null) : BackgroundService
{
    // The conditions last written per kind; a kind whose write failed is forgotten, so the next pass writes it again.
    private readonly ConcurrentDictionary<AlertKind, string> _written = new();
    private readonly ConcurrentDictionary<AlertKind, IReadOnlyList<AlertSignal>> _latest = new();
    // The guardrail's latest Warn/Block signals and since when each key has held.
    private readonly HoldDown _guardrailHold = new(options.Value.GuardrailHoldDown);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Subscribed before anything is read, so nothing published in between is missed.
        var snapshots = estate.Subscribe(capacity: 1);
        var verdicts = guardrail.Subscribe(capacity: 1);
        var health = storeHealth.Subscribe(capacity: 1);
        var drifts = drift?.Subscribe(capacity: 1);
        return Task.WhenAll(
            FollowAsync(snapshots, OnSnapshot, stoppingToken),
            FollowAsync(verdicts, v => OnGuardrail(v, stoppingToken), stoppingToken),
            FollowAsync(health, OnStoreHealth, stoppingToken),
            drifts is null ? Task.CompletedTask : FollowAsync(drifts, d => Submit(AlertKind.Drift, DriftSignals(d, _latest.GetValueOrDefault(AlertKind.Drift))), stoppingToken),
            WatchAsync(stoppingToken));
    }

    /// <summary>
    /// One alert per gateway group whose instances run different archives (the ANMs' deployed archive ids, as the
    /// Overview's drift notice shows them), from when this console first saw it; ended once they run the same again.
    /// </summary>
    /// <remarks>
    /// A group read while it was being deployed differs because its instances load one after another (dc1's before
    /// dc2's): no news, so its drift opens no alert until a reading begun after the deployment ended still shows it
    /// (the deployment's own alert says at once when one lands only partly). A drift alert already in force
    /// (<paramref name="inForce"/>) stays through a new deployment of its group until a reading finds the group equal.
    /// </remarks>
    internal static IReadOnlyList<AlertSignal> DriftSignals(DriftState state, IReadOnlyList<AlertSignal>? inForce = null) =>
        state.Groups.Where(g => !g.Deploying || inForce?.Any(s => s.Key == "drift:" + g.GroupId) == true)
            .Select(g => new AlertSignal(AlertKind.Drift, "drift:" + g.GroupId, AlertSeverity.Warning, null,
            $"Drift: {g.GroupName} runs different archives", g.Summary, g.Since)).ToList();

    private async Task FollowAsync<T>(FeedSubscription<T> subscription, Func<T, Task> handle, CancellationToken cancellationToken)
    {
        using (subscription)
        {
            await Guarded(() => handle(subscription.Snapshot), cancellationToken);
            try
            {
                await foreach (var value in subscription.Updates.ReadAllAsync(cancellationToken))
                    await Guarded(() => handle(value), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// The guardrail's decisions become alerts once held for <see cref="AlertOptions.GuardrailHoldDown"/>: each kind's
    /// Warn or Block is timed from when it was first seen (a change between them keeps the time); a kind back at Allow
    /// forgets it. A decision not held long enough yet is looked at again when it would be.
    /// </summary>
    private Task OnGuardrail(GuardrailState state, CancellationToken stoppingToken)
    {
        _guardrailHold.Observe(EstateAlertConditions.Guardrail(state.Changes, state.AsOf), time.GetUtcNow());
        return SubmitGuardrail(stoppingToken);
    }

    private async Task RecheckGuardrailAsync(TimeSpan after, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(after, time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Guarded(() => SubmitGuardrail(stoppingToken), stoppingToken);
    }

    /// <summary>
    /// Submits the guardrail's latest decisions that have been held long enough, and looks again when the next one
    /// will have: a timer that fires a moment early finds it still pending and waits the rest, rather than dropping it
    /// until the guardrail next publishes (once a minute, when its reason's "since" moves).
    /// </summary>
    private Task SubmitGuardrail(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var (held, next) = _guardrailHold.Due(now);
        if (next is { } due)
            _ = RecheckGuardrailAsync(due - now, stoppingToken);
        return Submit(AlertKind.Guardrail, held);
    }

    private Task OnSnapshot(EstateSnapshot snapshot) =>
        Task.WhenAll(
            Submit(AlertKind.Scenario, EstateAlertConditions.Scenarios(snapshot)),
            Submit(AlertKind.Witness, EstateAlertConditions.Witnesses(snapshot)));

    /// <summary>
    /// Whether the estate as now seen proves an open alert's condition ended: as for incidents
    /// (<see cref="Incidents.IncidentRules.IsJudged"/>), what is still Unknown proves nothing.
    /// </summary>
    private bool Judged(OpenAlert alert)
    {
        var snapshot = estate.Current;
        switch (alert.Kind)
        {
            case AlertKind.Scenario:
                // scenario:<Kind>[:<datacenter>|:<datacenter>/<component>]
                var parts = alert.Key.Split(':', 3);
                var component = parts.Length == 3 && parts[2].Contains('/', StringComparison.Ordinal) ? parts[2] : null;
                return Incidents.IncidentRules.IsJudged(parts.Length > 1 ? parts[1] : "", alert.DatacenterId, component, snapshot);
            case AlertKind.Witness:
                return alert.Key != "witness:load-balancer" || snapshot.LoadBalancer is not { State: ComponentState.Unknown };
            case AlertKind.Drift:
                // A datacenter whose ANM cannot be read may still differ: only a full reading ends a drift.
                return drift is null || drift.Current is { AsOf: not null, Unread.Count: 0 };
            default:
                return true;
        }
    }

    /// <summary>Every datacenter seen Up, Down or Unreachable: before that, the guardrail blocks only because it knows nothing yet.</summary>
    private bool EstateJudged() => estate.Current.Datacenters.All(d => d.State != DatacenterState.Unknown);

    private Task OnStoreHealth(ConsoleStoreStatus status) =>
        Submit(AlertKind.Store, status.Failing
            ? [new AlertSignal(AlertKind.Store, "store", AlertSeverity.Critical, null, "The console's own store is failing",
                $"Writes to the console's store fail since {status.FailingSince:u}: {status.Problem}. Audited actions are refused until it recovers.", status.FailingSince!.Value)]
            : []);

    /// <summary>
    /// Writes the conditions of <paramref name="kind"/> unless they are what was written last. While the store is
    /// failing the write fails too; the watch loop writes the latest again, so the alert goes out once the store takes it.
    /// </summary>
    private async Task Submit(AlertKind kind, IReadOnlyList<AlertSignal> signals)
    {
        _latest[kind] = signals;
        // The guardrail's words are part of what is written: a Block for a new reason shows it on the open alert (its
        // reasons change at most once a minute while the estate stays, so this writes rarely). Other kinds change only
        // by key and severity here; their words can move with every snapshot.
        var fingerprint = string.Join("|", signals.Select(s => s.Key + "=" + s.Severity + (kind == AlertKind.Guardrail ? "=" + s.Title + "=" + s.Text : ""))
            .Order(StringComparer.Ordinal));
        if (_written.TryGetValue(kind, out var last) && last == fingerprint)
            return;
        _written.TryRemove(kind, out _);
        // The guardrail's start-up Block (nothing probed yet) is not news; its decision once the estate is seen is.
        // The watch loop submits it again.
        if (kind == AlertKind.Guardrail && !EstateJudged())
            return;
        await store.ReconcileAsync(kind, signals, CancellationToken.None, Judged);
        _written[kind] = fingerprint;
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.WatchInterval, time);
        try
        {
            do
            {
                foreach (var (kind, signals) in _latest)
                {
                    if (!_written.ContainsKey(kind))
                        await Guarded(() => Submit(kind, signals), cancellationToken);
                }
                await Guarded(async () =>
                {
                    foreach (var due in EstateAlertConditions.RepairsDue(estate.Current.Scenarios, time.GetUtcNow()))
                        await store.RaiseOnceAsync(due, cancellationToken);
                }, cancellationToken);
                await Guarded(() => deployments.RaiseNewAsync(cancellationToken), cancellationToken);
                await Guarded(() => store.RemindAsync(cancellationToken), cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task Guarded(Func<Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Raising alerts failed, tried again in {Interval}: {Problem}", options.Value.WatchInterval, StoreWriter.Describe(e));
        }
    }
}
