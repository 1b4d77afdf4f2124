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
public sealed class IncidentRecorder(
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

    // Last stored state per subject ("dc1/instance-2", "dc1/datacenter", "estate/link").
    private readonly Dictionary<string, string> _lastStates = new(StringComparer.Ordinal);
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
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (pending.Count == 0)
                    pending.Enqueue(await subscription.Updates.ReadAsync(stoppingToken));
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
                pending.Dequeue();
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

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The newest row per subject is its last stored state.
        var newest = db.ComponentStateChanges.GroupBy(c => new { c.DatacenterId, c.ComponentId }).Select(g => g.Max(c => c.Id));
        var last = await db.ComponentStateChanges.AsNoTracking().Where(c => newest.Contains(c.Id))
            .Select(c => new { c.DatacenterId, c.ComponentId, c.ToState }).ToListAsync(cancellationToken);
        var open = await db.Incidents.AsNoTracking().Where(i => i.EndedAt == null).ToListAsync(cancellationToken);
        var unrecovered = await db.Incidents.AsNoTracking().Include(i => i.RepairChecks)
            .Where(i => i.EndedAt != null && i.RecoveredAt == null).ToListAsync(cancellationToken);

        _lastStates.Clear();
        foreach (var row in last)
            _lastStates[$"{row.DatacenterId}/{row.ComponentId}"] = row.ToState;
        _open.Clear();
        foreach (var incident in open)
            _open[incident.Key] = incident;
        foreach (var incident in unrecovered)
            recovery.Track(incident);
        logger.LogInformation("Incidents: continuing with {Open} open incidents and {Subjects} recorded subjects", _open.Count, _lastStates.Count);
    }

    /// <summary>Diffs <paramref name="snapshot"/> against what is stored and writes the difference in one transaction; false when there was none.</summary>
    private async Task<bool> RecordAsync(EstateSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (_reload)
        {
            await LoadAsync(cancellationToken);
            _reload = false;
        }
        var changes = new List<ComponentStateChange>();
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var subject in Subjects(snapshot))
        {
            var key = $"{subject.DatacenterId}/{subject.ComponentId}";
            var judged = _judged.Contains(key) || subject.State != "Unknown";
            _lastStates.TryGetValue(key, out var before);
            if (!judged || before == subject.State)
                continue;
            states[key] = subject.State;
            changes.Add(new ComponentStateChange
            {
                At = subject.Since == default ? snapshot.AsOf : subject.Since,
                DatacenterId = subject.DatacenterId,
                ComponentId = subject.ComponentId,
                ComponentKind = subject.Kind,
                FromState = before ?? "None",
                ToState = subject.State,
                Reason = Truncate(subject.Reason, 2000),
            });
        }

        var scenarios = snapshot.Scenarios;
        var inForce = scenarios.ToDictionary(s => s.Key, StringComparer.Ordinal);
        var opened = new List<Incident>();
        var updated = new List<(Incident Row, string Severity, string Title, string Nodes)>();
        foreach (var scenario in scenarios)
        {
            var nodes = IncidentRules.JoinNodes(IncidentRules.AffectedCassandraNodes(scenario, snapshot));
            if (_open.TryGetValue(scenario.Key, out var open))
            {
                // Continued: keep its start; note a worse severity and nodes learnt since.
                var severity = Worse(open.Severity, scenario.Severity.ToString());
                var merged = IncidentRules.JoinNodes(IncidentRules.SplitNodes(open.CassandraNodes).Concat(IncidentRules.SplitNodes(nodes)));
                if (severity != open.Severity || merged != open.CassandraNodes)
                    updated.Add((open, severity, open.Title, merged));
                continue;
            }
            if (!IncidentRules.IsSettled(scenario, snapshot))
                continue;
            opened.Add(new Incident
            {
                Key = Truncate(scenario.Key, 300)!,
                Kind = scenario.Kind.ToString(),
                DatacenterId = scenario.DatacenterId,
                ComponentKey = scenario.ComponentKey,
                Title = Truncate(scenario.Title, 500)!,
                Severity = scenario.Severity.ToString(),
                StartedAt = scenario.Since == default ? snapshot.AsOf : scenario.Since,
                CassandraNodes = nodes,
            });
        }

        var closing = _open.Values
            .Where(i => !inForce.ContainsKey(i.Key) && IncidentRules.IsJudged(i.Kind, i.DatacenterId, i.ComponentKey, snapshot))
            .ToList();

        if (changes.Count == 0 && opened.Count == 0 && updated.Count == 0 && closing.Count == 0)
        {
            MarkJudged(snapshot);
            return false;
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.ComponentStateChanges.AddRange(changes);
            db.Incidents.AddRange(opened);
            foreach (var incident in closing)
            {
                var row = new Incident { Id = incident.Id, Key = incident.Key, Kind = incident.Kind, Title = incident.Title, Severity = incident.Severity };
                db.Incidents.Attach(row);
                row.EndedAt = Later(snapshot.AsOf, incident.StartedAt);
            }
            foreach (var (incident, severity, _, nodes) in updated)
            {
                var row = new Incident { Id = incident.Id, Key = incident.Key, Kind = incident.Kind, Title = incident.Title, Severity = incident.Severity };
                db.Incidents.Attach(row);
                row.Severity = severity;
                row.CassandraNodes = nodes;
            }
            await db.SaveChangesAsync(cancellationToken);
        }

        // Only now, with everything stored, does the in-memory picture move on.
        foreach (var (key, state) in states)
            _lastStates[key] = state;
        MarkJudged(snapshot);
        foreach (var incident in opened)
        {
            _open[incident.Key] = incident;
            logger.LogInformation("Incidents: opened {Key} ({Title}) at {StartedAt}", incident.Key, incident.Title, incident.StartedAt);
        }
        foreach (var (incident, severity, _, nodes) in updated)
        {
            incident.Severity = severity;
            incident.CassandraNodes = nodes;
        }
        foreach (var incident in closing)
        {
            _open.Remove(incident.Key);
            incident.EndedAt = Later(snapshot.AsOf, incident.StartedAt);
            recovery.Track(incident);
            logger.LogInformation("Incidents: closed {Key} after {Duration}", incident.Key, incident.EndedAt - incident.StartedAt);
        }
        return true;
    }

    private void MarkJudged(EstateSnapshot snapshot)
    {
        foreach (var subject in Subjects(snapshot))
        {
            if (subject.State != "Unknown")
                _judged.Add($"{subject.DatacenterId}/{subject.ComponentId}");
        }
    }

    private readonly record struct Subject(string DatacenterId, string ComponentId, string Kind, string State, DateTimeOffset Since, string? Reason);

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
                yield return new Subject(dc.Id, component.Id, component.Kind.ToString(), component.State.ToString(), component.Since, component.Reason);
        }
    }

    private static string Worse(string stored, string current) =>
        stored == nameof(ScenarioSeverity.Critical) || current == nameof(ScenarioSeverity.Critical) ? nameof(ScenarioSeverity.Critical) : current;

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string? Truncate(string? text, int max) => text is null || text.Length <= max ? text : text[..max];
}
