using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;

namespace ApimConsole.Monitoring.Engine;

/// <summary>One component's failure detector and what its last probe said; readers take a copy under the lock.</summary>
internal sealed class ComponentMonitor
{
    private readonly Lock _gate = new();
    private readonly FailureDetector _detector;
    private object? _details;

    public ComponentMonitor(string datacenterId, string id, string name, ProbeOptions options, DateTimeOffset now)
    {
        DatacenterId = datacenterId;
        Id = id;
        Name = name;
        _detector = new FailureDetector(options, now);
    }

    public string DatacenterId { get; }
    public string Id { get; }
    public string Name { get; set; }
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Records a probe result and the details it carried; true when the visible state changed.</summary>
    public bool Record(ProbeOutcome outcome, object? details, DateTimeOffset now, out TimeSpan nextDelay, out bool startedFailing)
    {
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

    public (ComponentState State, DateTimeOffset Since, string? Reason, object? Details, bool Failing) Read()
    {
        lock (_gate)
            return (_detector.State, _detector.Since, _detector.Reason, _details, _detector.Failing);
    }

    /// <summary>Its place in the engine's <see cref="ProbeScheduler"/>, once its probes are scheduled.</summary>
    internal ProbeScheduler.Entry? Schedule { get; set; }

    /// <summary>Probe now rather than at the next due time.</summary>
    public void Nudge() => Schedule?.Nudge();
}
