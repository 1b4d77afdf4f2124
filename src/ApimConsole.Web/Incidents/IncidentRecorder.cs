using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>
/// Writes the estate's history: every state change of every component, datacenter and the link as a
/// <see cref="ComponentStateChange"/>, and every failover scenario from start to end as an <see cref="Incident"/>.
/// </summary>
/// <remarks>
/// <para>It has its own subscription to the status engine and never makes it wait: when the store is slow or down,
/// snapshots queue in order (bounded at <see cref="MaxPending"/>; an overflow drops the oldest and is logged at
/// Error) while writes are retried with backoff, and each is recorded once the store takes writes again, so a flap
/// during the outage is not lost. Failures and the recovery are reported to <see cref="ConsoleStoreHealth"/>.</para>
/// <para>A restart continues where the store left off: component changes are diffed against the last state stored
/// per subject, open incidents are continued (same row), and nothing is closed while what it is about has not been
/// judged yet (see <see cref="IncidentRules.IsJudged"/>), so the start-up snapshot, where everything is Unknown,
/// neither closes nor reopens anything.</para>
/// </remarks>
public sealed partial class IncidentRecorder(
    IEstateStatus status,
    IDbContextFactory<ConsoleDbContext> contexts,
    RecoveryTracker recovery,
    IncidentLog log,
    TimeProvider time,
    ILogger<IncidentRecorder> logger,
    ConsoleStoreHealth? storeHealth = null) : BackgroundService
{
    /// <summary>The <see cref="ComponentStateChange.DatacenterId"/> of subjects that belong to no datacenter (the link).</summary>
    public const string EstateSubject = "estate";
    public const string LinkSubject = "link";
    public const string DatacenterSubject = "datacenter";
    public const string LoadBalancerSubject = "load-balancer";

    internal static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(30);

    // Last stored state per subject ("dc1/instance-2", "dc1/datacenter", "estate/link"), and the time on that row.
    private readonly Dictionary<string, string> _lastStates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastAt = new(StringComparer.Ordinal);
    // Remote components seen Down that may only be their datacenter falling silent or coming back: not recorded Down
    // (yet); with when seen, and until when (at the latest) it is held.
    private Dictionary<string, (DateTimeOffset At, DateTimeOffset Until)> _held = new(StringComparer.Ordinal);
    // Per datacenter, the first held Down that turned out to be the datacenter falling silent: when the console first noticed.
    private readonly Dictionary<string, DateTimeOffset> _noticed = new(StringComparer.OrdinalIgnoreCase);
    // The consequences still open (Until null) per open incident, by component key; detached copies of the stored rows.
    private readonly Dictionary<long, Dictionary<string, IncidentConsequence>> _consequences = [];
    // Subjects seen Up or Down since this console started: only their Unknown is news. Before that, Unknown is the
    // console's own ignorance (nothing probed yet), not a change in the estate.
    private readonly HashSet<string> _judged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Incident> _open = new(StringComparer.Ordinal);
    // After a failed write the in-memory picture may be stale (another console sharing the store may have opened the
    // same incident): reload it before the next attempt.
    private bool _reload;

    /// <summary>The <see cref="EstateSnapshot.AsOf"/> of the last snapshot fully recorded; for tests and diagnostics.</summary>
    public DateTimeOffset? LastRecorded { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Own subscription, registered before anything else so no change falls between loading and listening.
        using var subscription = status.Subscribe(capacity: SubscriptionCapacity);
        await WithRetryAsync("load the incident timeline", LoadAsync, stoppingToken);

        // Every snapshot that says something new is recorded in order, so a flap while the store is down is not
        // lost; while writes fail they wait here (bounded: past MaxPending the oldest go, said at Error).
        var pending = new Queue<EstateSnapshot>();
        pending.Enqueue(subscription.Snapshot);
        var failures = 0;
        var overflowed = 0;
        EstateSnapshot? last = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (pending.Count == 0)
                {
                    // A held Down is recorded when its hold runs out, even if nothing else changes by then.
                    if (await NextOrHoldExpiredAsync(subscription, stoppingToken) is { } next)
                        pending.Enqueue(next);
                    else if (last is not null)
                        pending.Enqueue(last);
                    else
                        continue;
                }
                overflowed += Drain(subscription, pending);
                var snapshot = pending.Peek();
                bool wrote;
                try
                {
                    wrote = await RecordAsync(snapshot, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    failures++;
                    _reload = true;
                    storeHealth?.Failed(StoreWriter.Describe(e));
                    var delay = Backoff(failures);
                    logger.LogError(e, "Incidents: could not record the estate as of {AsOf} (attempt {Attempt}); retrying in {Delay}. "
                        + "{Pending} snapshots are queued; state changes and incidents are stored when this succeeds.", snapshot.AsOf, failures, delay, pending.Count);
                    overflowed += await WaitDrainingAsync(subscription, pending, delay, stoppingToken);
                    continue;
                }
                last = pending.Dequeue();
                if (failures > 0)
                {
                    storeHealth?.Succeeded();
                    logger.LogWarning("Incidents: recording resumed after {Failures} failed attempts; {Pending} queued snapshots to go", failures, pending.Count);
                    failures = 0;
                }
                if (overflowed > 0 && pending.Count == 0)
                {
                    logger.LogError("Incidents: {Dropped} estate snapshots were dropped (the queue of {Max} while the store was failing, or the " +
                        "subscription's {Capacity} while recording fell behind): state changes in them are missing from the history; the newest " +
                        "state is recorded", overflowed, MaxPending, SubscriptionCapacity);
                    overflowed = 0;
                }

                recovery.Evaluate(snapshot);
                await recovery.PersistCompletedAsync(stoppingToken);
                LastRecorded = snapshot.AsOf;
                if (wrote)
                    log.NotifyChanged();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    /// <summary>The next snapshot; null when a held Down's hold ran out first (the last snapshot is then recorded again).</summary>
    private async Task<EstateSnapshot?> NextOrHoldExpiredAsync(FeedSubscription<EstateSnapshot> subscription, CancellationToken stoppingToken)
    {
        if (_held.Count == 0)
            return await subscription.Updates.ReadAsync(stoppingToken);
        var until = _held.Values.Min(h => h.Until);
        var wait = until - time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
            return null;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var readable = subscription.Updates.WaitToReadAsync(cancel.Token).AsTask();
        var expired = Task.Delay(wait, time, cancel.Token);
        await Task.WhenAny(readable, expired);
        cancel.Cancel();
        if (readable.IsCompletedSuccessfully && readable.Result && subscription.Updates.TryRead(out var next))
            return next;
        stoppingToken.ThrowIfCancellationRequested();
        return expired.IsCompletedSuccessfully ? null : await subscription.Updates.ReadAsync(stoppingToken);
    }

    /// <summary>Snapshots waiting to be recorded while the store fails, at most.</summary>
    internal const int MaxPending = 5000;

    private const int SubscriptionCapacity = 256;
    private long _subscriptionDropped;

    /// <summary>Moves every snapshot the subscription holds into <paramref name="pending"/>; returns how many old ones the bound dropped.</summary>
    private int Drain(FeedSubscription<EstateSnapshot> subscription, Queue<EstateSnapshot> pending)
    {
        var dropped = 0;
        // Snapshots the subscription itself lost (it holds SubscriptionCapacity) before they were read here.
        var lost = subscription.Dropped;
        if (lost > _subscriptionDropped)
        {
            dropped += (int)(lost - _subscriptionDropped);
            _subscriptionDropped = lost;
        }
        while (subscription.Updates.TryRead(out var newer))
        {
            pending.Enqueue(newer);
            // The head is the one being retried: drop the one after it, keeping the order of the rest.
            if (pending.Count > MaxPending)
            {
                var head = pending.Dequeue();
                pending.Dequeue();
                var rest = pending.ToArray();
                pending.Clear();
                pending.Enqueue(head);
                foreach (var s in rest)
                    pending.Enqueue(s);
                dropped++;
            }
        }
        return dropped;
    }

    /// <summary>Waits <paramref name="delay"/> while still taking the subscription's snapshots, so its small buffer drops none.</summary>
    private async Task<int> WaitDrainingAsync(FeedSubscription<EstateSnapshot> subscription, Queue<EstateSnapshot> pending, TimeSpan delay, CancellationToken stoppingToken)
    {
        var dropped = 0;
        var until = Task.Delay(delay, time, stoppingToken);
        Task<bool>? readable = null;
        while (!until.IsCompleted)
        {
            readable ??= subscription.Updates.WaitToReadAsync(stoppingToken).AsTask();
            await Task.WhenAny(until, readable);
            if (readable.IsCompleted)
            {
                if (!await readable)
                    break;
                readable = null;
                dropped += Drain(subscription, pending);
            }
        }
        await until;
        return dropped;
    }

    internal static TimeSpan Backoff(int failures)
    {
        var seconds = FirstRetry.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 10));
        return TimeSpan.FromSeconds(Math.Min(seconds, LongestRetry.TotalSeconds));
    }

    private async Task WithRetryAsync(string what, Func<CancellationToken, Task> action, CancellationToken stoppingToken)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                await action(stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var delay = Backoff(failures);
                logger.LogError(e, "Incidents: could not {What} (attempt {Attempt}); retrying in {Delay}", what, failures, delay);
                await Task.Delay(delay, time, stoppingToken);
            }
        }
    }

    private void MarkJudged(EstateSnapshot snapshot)
    {
        foreach (var subject in Subjects(snapshot))
        {
            if (subject.State != "Unknown")
                _judged.Add($"{subject.DatacenterId}/{subject.ComponentId}");
        }
    }

    private readonly record struct Subject(string DatacenterId, string ComponentId, string Kind, string State, DateTimeOffset Since, string? Reason,
        ComponentStatus? Component = null);

    /// <summary>Everything with a state: the link, each datacenter, each component.</summary>
    private static IEnumerable<Subject> Subjects(EstateSnapshot snapshot)
    {
        yield return new Subject(EstateSubject, LinkSubject, "Link", snapshot.Link.State.ToString(), snapshot.Link.Since, snapshot.Link.Reason);
        // The global load balancer (the witness) is a component of its own: its outages are history like any other's.
        if (snapshot.LoadBalancer is { } lb)
            yield return new Subject(EstateSubject, LoadBalancerSubject, "LoadBalancer", lb.State.ToString(), lb.Since, lb.Reason);
        foreach (var dc in snapshot.Datacenters)
        {
            yield return new Subject(dc.Id, DatacenterSubject, "Datacenter", dc.State.ToString(), dc.Since, dc.Reason);
            foreach (var component in dc.AllComponents())
                yield return new Subject(dc.Id, component.Id, component.Kind.ToString(), component.State.ToString(), component.Since, component.Reason, component);
        }
    }

    private static string Worse(string stored, string current) =>
        stored == nameof(ScenarioSeverity.Critical) || current == nameof(ScenarioSeverity.Critical) ? nameof(ScenarioSeverity.Critical) : current;

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
