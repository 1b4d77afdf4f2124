namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// What a monitor hands the scheduler for one component: the component, its probe, and whom to tell when it starts
/// failing. The scheduler runs it and records the result on the component; it knows nothing else of the monitor.
/// </summary>
internal abstract class ProbeRegistration
{
    public abstract ComponentMonitor Monitor { get; }

    /// <summary>Hears of the first failed probe after a success (a datacenter monitor nudges the rest of its datacenter).</summary>
    public Action<ComponentMonitor>? StartedFailing { get; init; }

    /// <summary>This probe's own timeout; null for the probes' (<c>Probes:Timeout</c>).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Probes once through <paramref name="runner"/> and records the result; null when cancelled before it was recorded.</summary>
    public abstract Task<ProbeRecord?> ProbeAndRecordAsync(IProbeRunner runner, TimeProvider time, CancellationToken cancellationToken);
}

/// <summary>What recording a probe did: whether anything visible changed, the detector's next delay, whether it started failing.</summary>
internal readonly record struct ProbeRecord(bool Changed, TimeSpan NextDelay, bool StartedFailing);

/// <summary>A component whose probe answers with <typeparamref name="TDetails"/>.</summary>
internal sealed class ProbeRegistration<TDetails>(ComponentMonitor<TDetails> monitor, Func<CancellationToken, Task<ProbeResult<TDetails>>> probe)
    : ProbeRegistration
    where TDetails : class
{
    public override ComponentMonitor<TDetails> Monitor { get; } = monitor;

    public Func<CancellationToken, Task<ProbeResult<TDetails>>> Probe { get; } = probe;

    public override async Task<ProbeRecord?> ProbeAndRecordAsync(IProbeRunner runner, TimeProvider time, CancellationToken cancellationToken)
    {
        var probe = runner.Timings is { } timings ? Timed(timings, time, cancellationToken) : Probe;
        var result = await runner.RunAsync(probe, Timeout, cancellationToken).ConfigureAwait(false);
        // Retired (or stopped) while the probe ran: what it said no longer belongs to anyone.
        if (cancellationToken.IsCancellationRequested)
            return null;
        var changed = Monitor.Record(result, time.GetUtcNow(), out var delay, out var failing);
        return new ProbeRecord(changed, delay, failing);
    }

    /// <summary>The probe, timed from its start (after the runner's slot) to its answer, its exception or its timeout.</summary>
    private Func<CancellationToken, Task<ProbeResult<TDetails>>> Timed(IProbeTimings timings, TimeProvider time, CancellationToken stopping) => async token =>
    {
        var started = time.GetTimestamp();
        var succeeded = false;
        try
        {
            var result = await Probe(token).ConfigureAwait(false);
            succeeded = result.Outcome.Success;
            return result;
        }
        finally
        {
            // A probe ended by the engine stopping (or the component retiring) measured nothing of the component.
            if (!stopping.IsCancellationRequested)
                Report(timings, new ProbeTiming(Kind, Monitor.DatacenterId, Monitor.Id, time.GetElapsedTime(started), succeeded));
        }
    };

    private static void Report(IProbeTimings timings, ProbeTiming timing)
    {
        try
        {
            timings.Record(timing);
        }
        catch (Exception)
        {
            // A listener's fault must never turn into the component's: the probe's own outcome stands.
        }
    }

    private static ProbedKind Kind { get; } = typeof(TDetails) switch
    {
        var t when t == typeof(AnmProbeDetails) => ProbedKind.AdminNodeManager,
        var t when t == typeof(GatewayProbeDetails) => ProbedKind.GatewayInstance,
        var t when t == typeof(CassandraProbeDetails) => ProbedKind.CassandraNode,
        _ => ProbedKind.LoadBalancer,
    };
}
