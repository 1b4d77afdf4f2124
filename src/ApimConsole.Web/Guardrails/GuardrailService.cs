using ApimConsole.Core.Configuration;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Recovery;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Guardrails;

/// <summary>
/// The deployment guardrail, live. As <see cref="IDeploymentGate"/> it decides at the moment of the call from the
/// status engine's current snapshot and the current incomplete recoveries, so a deployment that asks before each
/// push never acts on an old answer. For the UI it keeps <see cref="Current"/> (every kind, every datacenter) and
/// raises <see cref="Changed"/> when a decision or a reason changes.
/// </summary>
/// <remarks>
/// It re-evaluates on every new snapshot, on every change of the recoveries, and on a timer of one probe interval.
/// The timer is what turns a silent status engine into a block: the engine hands subscribers only snapshots that
/// say something new, and a stopped engine hands them nothing, so only the clock can tell the picture got old.
/// </remarks>
public sealed class GuardrailService : IDeploymentGate, IHostedService, IDisposable
{
    private readonly IEstateStatus _status;
    private readonly IRecoveryStatus _recovery;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardrailService> _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly EstateSubscription _subscription;
    private readonly ITimer _timer;
    private GuardrailState _current;
    private int _disposed;

    public GuardrailService(IEstateStatus status, IRecoveryStatus recovery, TimeProvider time, IOptions<ProbeOptions> probes, ILogger<GuardrailService> logger)
    {
        _status = status;
        _recovery = recovery;
        _time = time;
        _logger = logger;
        var interval = probes.Value.Interval;
        StaleAfter = GuardrailPolicy.StaleAfter(interval);

        // Subscribe before the first evaluation, so a snapshot published in between is evaluated again.
        _subscription = status.Subscribe(capacity: 1);
        _current = Decide([]);
        _recovery.Changed += Reevaluate;
        _timer = time.CreateTimer(_ => Reevaluate(), null, interval, interval);
        _ = PumpAsync(_stop.Token);
    }

    /// <summary>How old the estate picture may be before it blocks (see <see cref="GuardrailPolicy.StaleAfter"/>).</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>Every kind, to every datacenter, as last evaluated.</summary>
    public GuardrailState Current => Volatile.Read(ref _current);

    /// <summary>Raised (on any thread) after a decision or a reason in <see cref="Current"/> changed.</summary>
    public event Action? Changed;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A target datacenter is not part of the estate.</exception>
    public GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters)
    {
        ArgumentNullException.ThrowIfNull(targetDatacenters);
        return GuardrailPolicy.Decide(kind, _status.Current, _time.GetUtcNow(), _recovery.Incomplete, targetDatacenters, StaleAfter);
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

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in _subscription.Updates.ReadAllAsync(cancellationToken))
                Reevaluate();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The timer still re-evaluates; only the prompt reaction to snapshots is lost.
            _logger.LogError(ex, "The guardrail stopped following estate snapshots");
        }
    }

    private void Reevaluate()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        GuardrailState previous, next;
        try
        {
            // Decided inside the lock, so evaluations from the pump, the timer and the recoveries never
            // publish an older picture over a newer one.
            lock (_gate)
            {
                previous = _current;
                next = Decide([]);
                if (previous.SameVerdicts(next))
                    return;
                Volatile.Write(ref _current, next);
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Evaluating the deployment guardrail failed");
            return;
        }

        foreach (var verdict in next.Changes)
        {
            var before = previous.For(verdict.Kind);
            if (before.Decision != verdict.Decision)
            {
                _logger.LogInformation("Deployment guardrail for {Kind}: {Before} -> {After}. {Reasons}",
                    verdict.Kind, before.Decision, verdict.Decision, string.Join(" | ", verdict.Reasons));
            }
        }
        RaiseChanged();
    }

    private void RaiseChanged()
    {
        if (Changed is not { } handlers)
            return;
        foreach (var handler in handlers.GetInvocationList().Cast<Action>())
        {
            try
            {
                handler();
            }
            catch (Exception ex)
            {
                // One broken subscriber must not keep the others (or the guardrail) from hearing of the change.
                _logger.LogWarning(ex, "A guardrail subscriber failed");
            }
        }
    }

    /// <summary>Being resolved at start is what makes it live from the start (and log every decision change).</summary>
    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _recovery.Changed -= Reevaluate;
        _timer.Dispose();
        _stop.Cancel();
        _subscription.Dispose();
        _stop.Dispose();
    }
}
