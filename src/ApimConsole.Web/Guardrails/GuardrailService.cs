using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Guardrails;

/// <summary>
/// The deployment guardrail, live. As <see cref="IDeploymentGate"/> it decides at the moment of the call from the
/// status engine's current snapshot and the current incomplete recoveries, so a deployment that asks before each
/// push never acts on an old answer. For the UI it is a live feed of <see cref="Current"/> (every kind, every datacenter)
/// that publishes when a decision or a reason changes.
/// </summary>
/// <remarks>
/// It re-evaluates on every new snapshot, on every change of the recoveries, and on a timer of one probe interval.
/// The timer is what turns a silent status engine into a block: the engine hands subscribers only snapshots that
/// say something new, and a stopped engine hands them nothing, so only the clock can tell the picture got old.
/// <para>
/// Permits make "no push while the console says Block" hold by construction. Besides <see cref="Current"/> (to every
/// datacenter) the service publishes a verdict per kind and target datacenter, the one a deployment acts on. A permit
/// (<see cref="Enter"/>) is handed out under the lock, decided from the state at that moment and never more permissive
/// than the published one. A turn of a kind and datacenter to a stricter decision first stops new permits for it, then
/// waits for the permits in flight to be disposed (at most <see cref="TurnBound"/> on the TimeProvider), and only then
/// publishes the new decision and records it in <see cref="History"/>. A call still on the wire past the bound cannot
/// be recalled (a load once sent goes on at the ANM): a turn to Block is published anyway and names it
/// (<see cref="GuardrailTransition.InFlight"/>), and its permit's <see cref="DeploymentPermit.Revoked"/> tells the
/// caller to learn its outcome from the estate. A named call stays in flight until its permit is disposed: a later turn
/// to Block (after the state got better and worse again) does not wait for it again but names it too. So no call starts
/// under Block, and every call that ends under Block is named on the turn that began it.
/// </para>
/// </remarks>
public sealed class GuardrailService : IDeploymentGate, ILiveFeed<GuardrailState>, IHostedService, IDisposable
{
    private readonly IEstateStatus _status;
    private readonly IRecoveryStatus _recovery;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardrailService> _logger;
    private readonly GuardrailTurnWriter? _turns;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FeedSubscription<EstateSnapshot> _subscription;
    private readonly FeedSubscription<IReadOnlyList<IncompleteRecovery>> _recoveries;
    private readonly LiveFeed<GuardrailState> _feed;
    private readonly ITimer _timer;
    private GuardrailState _current;
    private int _disposed;

    // All of these under _gate.
    private readonly Dictionary<(ChangeKind Kind, string Datacenter), GuardrailVerdict> _published = [];
    private readonly List<PermitEntry> _inFlight = [];
    private readonly HashSet<(ChangeKind Kind, string Datacenter)> _closing = [];
    private readonly Queue<GuardrailTransition> _history = new();
    private bool _draining;
    private long _permitsRevoked;
    private long _turnsWaited;

    /// <param name="turns">Where every turn goes to be stored (handed over without waiting); null: kept in memory only.</param>
    public GuardrailService(IEstateStatus status, IRecoveryStatus recovery, TimeProvider time, IOptions<ProbeOptions> probes, ILogger<GuardrailService> logger,
        GuardrailTurnWriter? turns = null)
    {
        _status = status;
        _recovery = recovery;
        _time = time;
        _logger = logger;
        _turns = turns;
        var interval = probes.Value.Interval;
        StaleAfter = GuardrailPolicy.StaleAfter(interval);

        // Subscribe before the first evaluation, so a snapshot published in between is evaluated again.
        _subscription = status.Subscribe(capacity: 1);
        _recoveries = recovery.Subscribe(capacity: 1);
        _current = Decide([]);
        _feed = new LiveFeed<GuardrailState>(_current);
        lock (_gate)
        {
            foreach (var verdict in _current.Changes)
                Record(new GuardrailTransition(_current.AsOf, verdict.Kind, null, verdict.Decision));
            Publish(PerDatacenter(_status.Current, _current.AsOf), _current.AsOf);
        }
        _timer = time.CreateTimer(_ => Reevaluate(), null, interval, interval);
        _ = FollowAsync(_subscription, "estate snapshots", _stop.Token);
        _ = FollowAsync(_recoveries, "incomplete recoveries", _stop.Token);
    }

    /// <summary>How old the estate picture may be before it blocks (see <see cref="GuardrailPolicy.StaleAfter"/>).</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>Every kind, to every datacenter, as last evaluated.</summary>
    public GuardrailState Current => Volatile.Read(ref _current);

    /// <summary><see cref="Current"/> now, then a new state each time a decision or a reason changed.</summary>
    public FeedSubscription<GuardrailState> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _feed.Subscribe(capacity);

    /// <summary>How long a turn to a stricter decision waits for the permits in flight before it revokes them.</summary>
    public static readonly TimeSpan TurnBound = TimeSpan.FromSeconds(2);

    /// <summary>How many transitions <see cref="History"/> keeps (the oldest go first).</summary>
    public const int HistoryCapacity = 10_000;

    /// <summary>
    /// Every transition of the published decisions since this console started, oldest first: per kind, to every
    /// datacenter (<c>DatacenterId</c> null) and per target datacenter, starting with the state at start-up. Between
    /// two entries for the same kind and datacenter, the console's state was the first one's decision. Each is also
    /// handed to the <see cref="GuardrailTurnWriter"/>, which stores it (<see cref="ApimConsole.Storage.GuardrailTurnStore"/>).
    /// </summary>
    public IReadOnlyList<GuardrailTransition> History
    {
        get { lock (_gate) return _history.ToArray(); }
    }

    /// <summary>The published decision per kind and target datacenter: what a deployment to that datacenter acts on now.</summary>
    public IReadOnlyList<(ChangeKind Kind, string DatacenterId, GuardrailDecision Decision)> PublishedPerDatacenter
    {
        get { lock (_gate) return _published.Select(p => (p.Key.Kind, p.Key.Datacenter, p.Value.Decision)).ToList(); }
    }

    /// <summary>Permits handed out and not yet disposed, including those named on a turn whose call is still on the wire.</summary>
    public int PermitsInFlight
    {
        get { lock (_gate) return _inFlight.Count; }
    }

    /// <summary>Whether a turn is waiting for permits in flight (no permit is handed out for the kinds and datacenters it turns).</summary>
    public bool TurnInProgress
    {
        get { lock (_gate) return _draining; }
    }

    /// <summary>Turns that found permits in flight and waited for them before publishing.</summary>
    public long TurnsWaited
    {
        get { lock (_gate) return _turnsWaited; }
    }

    /// <summary>Permits whose call outlasted <see cref="TurnBound"/> during a turn to Block and were named on it as in flight (each counted once).</summary>
    public long PermitsRevoked
    {
        get { lock (_gate) return _permitsRevoked; }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate.</exception>
    public GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters)
    {
        ArgumentNullException.ThrowIfNull(targetDatacenters);
        return GuardrailPolicy.Decide(kind, _status.Current, _time.GetUtcNow(), _recovery.Incomplete, targetDatacenters, StaleAfter);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate.</exception>
    public DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters) =>
        Enter(kind, targetDatacenters, $"a {kind} call");

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate.</exception>
    public DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters, string call)
    {
        ArgumentNullException.ThrowIfNull(targetDatacenters);
        ArgumentNullException.ThrowIfNull(call);
        lock (_gate)
        {
            var snapshot = _status.Current;
            var now = _time.GetUtcNow();
            var verdict = GuardrailPolicy.Decide(kind, snapshot, now, _recovery.Incomplete, targetDatacenters, StaleAfter);
            var keys = (targetDatacenters.Count == 0 ? snapshot.Datacenters.Select(d => d.Id) : targetDatacenters.Select(id => snapshot.Find(id)!.Id))
                .Select(dc => (kind, dc)).Distinct().ToList();
            foreach (var key in keys)
            {
                if (_closing.Contains(key))
                {
                    verdict = new GuardrailVerdict(kind, GuardrailDecision.Block,
                        [$"The guardrail is turning {key.dc} to a stricter decision; no push may start until it has."], now);
                }
                else if (_published.TryGetValue(key, out var published) && published.Decision > verdict.Decision)
                {
                    // The state just got better but the console has not published it yet: it still says this.
                    verdict = published with { AsOf = now };
                }
            }
            if (verdict.Decision == GuardrailDecision.Block || Volatile.Read(ref _disposed) != 0)
                return DeploymentPermit.Unguarded(verdict);

            var entry = new PermitEntry(keys, call);
            _inFlight.Add(entry);
            return new DeploymentPermit(verdict, entry.Revoke.Token, () => Release(entry));
        }
    }

    private void Release(PermitEntry entry)
    {
        lock (_gate)
            _inFlight.Remove(entry);
        entry.Done.TrySetResult();
    }

    /// <summary>Every kind for <paramref name="targetDatacenters"/> (empty: all), decided now.</summary>
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate.</exception>
    public GuardrailState Decide(IReadOnlyCollection<string> targetDatacenters)
    {
        ArgumentNullException.ThrowIfNull(targetDatacenters);
        var snapshot = _status.Current;
        var now = _time.GetUtcNow();
        return new GuardrailState(now, snapshot.AsOf,
            GuardrailPolicy.Decide(snapshot, now, _recovery.Incomplete, targetDatacenters, StaleAfter));
    }

    private async Task FollowAsync<T>(FeedSubscription<T> subscription, string what, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in subscription.Updates.ReadAllAsync(cancellationToken))
                Reevaluate();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The timer still re-evaluates; only the prompt reaction to these changes is lost.
            _logger.LogError(ex, "The guardrail stopped following {What}", what);
        }
    }

    private void Reevaluate()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        GuardrailState previous, next;
        try
        {
            // Decided inside the lock, so evaluations from the pump, the timer, the recoveries and the end of a turn
            // never publish an older picture over a newer one.
            lock (_gate)
            {
                if (!ReevaluateLocked(out previous, out next))
                    return;
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Evaluating the deployment guardrail failed");
            return;
        }
        Announce(previous, next);
    }

    /// <summary>
    /// Decides every kind, to every datacenter and per datacenter. A kind and datacenter that turns stricter while a
    /// permit for it is in flight is not published yet: a turn starts, and it re-evaluates when the turn ends.
    /// Returns whether <see cref="Current"/> changed.
    /// </summary>
    private bool ReevaluateLocked(out GuardrailState previous, out GuardrailState next) =>
        ReevaluateLocked([], out previous, out next);

    /// <param name="onTheWire">Permits a finished turn found still running: those whose kind and datacenter now turn to Block are named on it.</param>
    private bool ReevaluateLocked(IReadOnlyList<PermitEntry> onTheWire, out GuardrailState previous, out GuardrailState next)
    {
        previous = next = _current;
        if (_draining)
            return false;
        var snapshot = _status.Current;
        var now = _time.GetUtcNow();
        var perDatacenter = PerDatacenter(snapshot, now);
        var stricter = perDatacenter.Where(p => p.Value.Decision > PublishedDecision(p.Key)).Select(p => p.Key).ToHashSet();
        // Calls a finished turn found still on the wire were waited for already: the turn goes ahead, and a turn to Block
        // names them. (A call under a turn to Warn stays in flight; a later turn to Block waits for it again.) A call named
        // on an earlier turn is still on the wire until its permit is disposed: no turn waits for it again (it cannot be
        // recalled), and every later turn to Block of its kind and datacenter names it again.
        var named = onTheWire.Concat(_inFlight.Where(e => e.Named)).Distinct()
            .Where(e => e.Keys.Any(k => stricter.Contains(k) && perDatacenter[k].Decision == GuardrailDecision.Block)).ToList();
        var waitFor = _inFlight.Where(e => !e.Named && e.Keys.Any(stricter.Contains)).Except(onTheWire).ToList();
        if (waitFor.Count > 0)
        {
            _draining = true;
            _turnsWaited++;
            _closing.UnionWith(stricter);
            _ = TurnAsync(waitFor);
            return false;
        }

        foreach (var entry in named.Where(e => !e.Named))
        {
            entry.Named = true;
            _permitsRevoked++;
        }
        Publish(perDatacenter, now, named);
        var all = new GuardrailState(now, snapshot.AsOf, GuardrailPolicy.Decide(snapshot, now, _recovery.Incomplete, [], StaleAfter));
        foreach (var verdict in all.Changes)
        {
            if (previous.For(verdict.Kind).Decision != verdict.Decision)
                Record(new GuardrailTransition(now, verdict.Kind, null, verdict.Decision, InFlightOn(named, verdict.Kind, null, verdict.Decision)));
        }
        // Told under the lock, before anyone can read the published Block: the caller checks it once its call has ended.
        foreach (var entry in named)
            entry.Revoke.Cancel();
        if (previous.SameVerdicts(all))
            return false;
        Volatile.Write(ref _current, all);
        // Under the lock, so subscribers hear the states in the order they were decided.
        _feed.Publish(all);
        next = all;
        return true;
    }

    /// <summary>Waits for the permits in flight (bounded), then publishes what is true by then, naming the calls still on the wire.</summary>
    private async Task TurnAsync(IReadOnlyList<PermitEntry> waitFor)
    {
        try
        {
            await Task.WhenAny(Task.WhenAll(waitFor.Select(e => e.Done.Task)), Task.Delay(TurnBound, _time, _stop.Token)).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        if (Volatile.Read(ref _disposed) != 0)
            return;

        GuardrailState previous, next;
        bool changed;
        try
        {
            lock (_gate)
            {
                _draining = false;
                _closing.Clear();
                var onTheWire = waitFor.Where(e => !e.Done.Task.IsCompleted).ToList();
                changed = ReevaluateLocked(onTheWire, out previous, out next);
                foreach (var entry in onTheWire.Where(e => e.Revoke.IsCancellationRequested))
                {
                    _logger.LogWarning("{Call} was still on the wire {Bound} s into the guardrail's turn to Block: named on the turn, its outcome is learned from the estate",
                        entry.Call, TurnBound.TotalSeconds);
                }
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _draining = false;
                _closing.Clear();
            }
            _logger.LogError(ex, "Evaluating the deployment guardrail failed");
            return;
        }
        if (changed)
            Announce(previous, next);
    }

    /// <summary>The calls named on a turn of <paramref name="kind"/> (and datacenter, null: to every datacenter) to Block; null on any other turn.</summary>
    private static IReadOnlyList<string>? InFlightOn(IReadOnlyList<PermitEntry> named, ChangeKind kind, string? datacenter, GuardrailDecision decision)
    {
        if (decision != GuardrailDecision.Block)
            return null;
        var calls = named.Where(e => e.Keys.Any(k => k.Kind == kind && (datacenter is null || k.Datacenter == datacenter))).Select(e => e.Call).ToList();
        return calls.Count == 0 ? null : calls;
    }

    private Dictionary<(ChangeKind Kind, string Datacenter), GuardrailVerdict> PerDatacenter(EstateSnapshot snapshot, DateTimeOffset now) =>
        snapshot.Datacenters
            .SelectMany(dc => GuardrailPolicy.Decide(snapshot, now, _recovery.Incomplete, [dc.Id], StaleAfter).Select(v => (Key: (v.Kind, dc.Id), Verdict: v)))
            .ToDictionary(p => p.Key, p => p.Verdict);

    /// <summary>A datacenter never published yet counts as allowed: turning it stricter waits for its permits like any other.</summary>
    private GuardrailDecision PublishedDecision((ChangeKind, string) key) =>
        _published.TryGetValue(key, out var verdict) ? verdict.Decision : GuardrailDecision.Allow;

    private void Publish(Dictionary<(ChangeKind Kind, string Datacenter), GuardrailVerdict> perDatacenter, DateTimeOffset now,
        IReadOnlyList<PermitEntry>? named = null)
    {
        foreach (var (key, verdict) in perDatacenter)
        {
            if (!_published.TryGetValue(key, out var before) || before.Decision != verdict.Decision)
                Record(new GuardrailTransition(now, key.Kind, key.Datacenter, verdict.Decision, InFlightOn(named ?? [], key.Kind, key.Datacenter, verdict.Decision)));
            _published[key] = verdict;
        }
    }

    private void Record(GuardrailTransition transition)
    {
        if (_history.Count == HistoryCapacity)
            _history.Dequeue();
        _history.Enqueue(transition);
        _turns?.Offer(transition);
    }

    private void Announce(GuardrailState previous, GuardrailState next)
    {
        foreach (var verdict in next.Changes)
        {
            var before = previous.For(verdict.Kind);
            if (before.Decision != verdict.Decision)
            {
                _logger.LogInformation("Deployment guardrail for {Kind}: {Before} -> {After}. {Reasons}",
                    verdict.Kind, before.Decision, verdict.Decision, string.Join(" | ", verdict.Reasons));
            }
        }
    }

    /// <summary>One permit in flight: the kinds and datacenters it holds, the call it covers, how it is told it was named on a turn, and when it was disposed.</summary>
    private sealed class PermitEntry(IReadOnlyList<(ChangeKind Kind, string Datacenter)> keys, string call)
    {
        public IReadOnlyList<(ChangeKind Kind, string Datacenter)> Keys { get; } = keys;
        public string Call { get; } = call;
        public CancellationTokenSource Revoke { get; } = new();
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Named on a turn to Block: still in flight until disposed, named on every later turn to Block, never waited for again.</summary>
        public bool Named { get; set; }
    }

    /// <summary>Being resolved at start is what makes it live from the start (and log every decision change).</summary>
    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _timer.Dispose();
        _stop.Cancel();
        _subscription.Dispose();
        _recoveries.Dispose();
        _stop.Dispose();
    }
}
