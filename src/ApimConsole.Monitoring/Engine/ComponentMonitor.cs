using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;

namespace ApimConsole.Monitoring.Engine;

/// <summary>One component's probe loop and failure detector. The loop owns the detector; readers take a copy under the lock.</summary>
internal sealed class ComponentMonitor
{
    private readonly Lock _gate = new();
    private readonly FailureDetector _detector;
    private object? _details;
    private CancellationTokenSource? _delay;

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

    /// <summary>The token the loop's wait between probes listens to; <see cref="Nudge"/> cuts that wait short.</summary>
    public CancellationTokenSource BeginWait(CancellationToken loop)
    {
        lock (_gate)
            return _delay = CancellationTokenSource.CreateLinkedTokenSource(loop);
    }

    /// <summary>Probe now rather than at the end of the current wait.</summary>
    public void Nudge()
    {
        lock (_gate)
        {
            try
            {
                _delay?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The wait already ended.
            }
        }
    }
}
