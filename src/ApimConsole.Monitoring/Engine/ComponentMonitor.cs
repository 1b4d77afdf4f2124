using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// One component's failure detector and what its last probe said. What the scheduler needs (its key, its retirement,
/// a nudge) is here; what the probe said is on <see cref="ComponentMonitor{TDetails}"/>, typed by the kind of component.
/// </summary>
internal abstract class ComponentMonitor(string datacenterId, string id, string name)
{
    public string DatacenterId { get; } = datacenterId;
    public string Id { get; } = id;
    public string Name { get; set; } = name;
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Its place in the engine's <see cref="ProbeScheduler"/>, once its probes are scheduled.</summary>
    internal ProbeScheduler.Entry? Schedule { get; set; }

    /// <summary>Probe now rather than at the next due time.</summary>
    public void Nudge() => Schedule?.Nudge();

    /// <summary>
    /// Probe now unless a probe that started at or after <paramref name="after"/> is in flight: one already running
    /// that started before is followed by another as soon as it ends.
    /// </summary>
    public void Refresh(DateTimeOffset after) => Schedule?.Refresh(after);

    /// <summary>When the probe whose result was recorded last started (null: none recorded yet).</summary>
    public abstract DateTimeOffset? LastProbeStarted { get; }
}

/// <summary>A component whose probe answers with <typeparamref name="TDetails"/>; readers take a copy under the lock.</summary>
internal sealed class ComponentMonitor<TDetails>(string datacenterId, string id, string name, ProbeOptions options, DateTimeOffset now)
    : ComponentMonitor(datacenterId, id, name)
    where TDetails : class
{
    private readonly Lock _gate = new();
    private readonly FailureDetector _detector = new(options, now);
    private TDetails? _details;
    private DateTimeOffset? _lastProbeStarted;
    private DateTimeOffset? _lastSuccessStarted;
    private DateTimeOffset? _failingSince;

    public override DateTimeOffset? LastProbeStarted
    {
        get
        {
            lock (_gate)
                return _lastProbeStarted;
        }
    }

    /// <summary>
    /// Records a probe result and the details it carried; true when the visible state changed. <paramref name="started"/>
    /// is when the probe started, <paramref name="now"/> when it ended.
    /// </summary>
    public bool Record(ProbeResult<TDetails> result, DateTimeOffset started, DateTimeOffset now, out TimeSpan nextDelay, out bool startedFailing)
    {
        var (outcome, details) = result;
        lock (_gate)
        {
            startedFailing = !outcome.Success && !_detector.Failing;
            _lastProbeStarted = started;
            if (outcome.Success)
                _lastSuccessStarted = started;
            _failingSince = outcome.Success ? null : startedFailing ? now : _failingSince ?? now;
            var detailsChanged = !Equals(_details, details) && details is not null;
            if (details is not null)
                _details = details;
            var reasonBefore = _detector.Reason;
            var changed = _detector.Observe(outcome.Success, outcome.Reason, now);
            nextDelay = _detector.NextDelay;
            return changed || detailsChanged || (_detector.State == ComponentState.Down && reasonBefore != _detector.Reason);
        }
    }

    /// <summary>The detector's verdict, the details of the last probe that carried any, and the times of its probes.</summary>
    public ComponentReading<TDetails> Read()
    {
        lock (_gate)
            return new(_detector.State, _detector.Since, _detector.Reason, _details, _detector.Failing, _failingSince, _lastSuccessStarted);
    }
}

/// <summary>
/// What a <see cref="ComponentMonitor{TDetails}"/> says now: the detector's verdict, the last details, whether the latest
/// probe failed and since when (the end of the first failure of the run), and when the latest successful probe started.
/// </summary>
internal readonly record struct ComponentReading<TDetails>(
    ComponentState State, DateTimeOffset Since, string? Reason, TDetails? Details, bool Failing, DateTimeOffset? FailingSince, DateTimeOffset? LastSuccessStarted)
    where TDetails : class;
