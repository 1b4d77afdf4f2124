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
}

/// <summary>A component whose probe answers with <typeparamref name="TDetails"/>; readers take a copy under the lock.</summary>
internal sealed class ComponentMonitor<TDetails>(string datacenterId, string id, string name, ProbeOptions options, DateTimeOffset now)
    : ComponentMonitor(datacenterId, id, name)
    where TDetails : class
{
    private readonly Lock _gate = new();
    private readonly FailureDetector _detector = new(options, now);
    private TDetails? _details;

    /// <summary>Records a probe result and the details it carried; true when the visible state changed.</summary>
    public bool Record(ProbeResult<TDetails> result, DateTimeOffset now, out TimeSpan nextDelay, out bool startedFailing)
    {
        var (outcome, details) = result;
        lock (_gate)
        {
            startedFailing = !outcome.Success && !_detector.Failing;
            var detailsChanged = !Equals(_details, details) && details is not null;
            if (details is not null)
                _details = details;
            var reasonBefore = _detector.Reason;
            var changed = _detector.Observe(outcome.Success, outcome.Reason, now);
            nextDelay = _detector.NextDelay;
            return changed || detailsChanged || (_detector.State == ComponentState.Down && reasonBefore != _detector.Reason);
        }
    }

    /// <summary>The detector's verdict and the details of the last probe that carried any.</summary>
    public (ComponentState State, DateTimeOffset Since, string? Reason, TDetails? Details, bool Failing) Read()
    {
        lock (_gate)
            return (_detector.State, _detector.Since, _detector.Reason, _details, _detector.Failing);
    }
}
