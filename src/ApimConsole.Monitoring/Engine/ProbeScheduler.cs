using Microsoft.Extensions.Logging;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// Starts every component's probes from one loop. A probe's next start is put on a shared grid (a twentieth of the
/// probe interval, at most 50 ms), so components that probe at the same interval start together: the estate costs
/// one wake-up per grid step that has something due, instead of one timer and one thread-pool wake-up per component
/// per interval. On a 2-core machine those wake-ups (a worker woken, spinning, parked again) were most of what a
/// 262-component estate cost to probe; see BENCHMARKS.md, "Scale".
/// </summary>
/// <remarks>
/// A probe runs to its end (bounded by the probe timeout) before the component is due again: one probe per
/// component in flight. Its next start is the batch's start plus the failure detector's delay, so the interval runs
/// from start to start and a slow probe does not stretch it. <see cref="Entry.Nudge"/> makes a component due now.
/// </remarks>
internal sealed class ProbeScheduler(TimeProvider time, TimeSpan interval, ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    // Completed to wake the loop (synchronously: a wake-up is seen by the very next look, whoever gives it); the loop
    // replaces it with a fresh one before it looks at the entries, so no wake-up given after that look is lost.
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _gridTicks = Math.Clamp(interval.Ticks / 20, TimeSpan.TicksPerMillisecond, 50 * TimeSpan.TicksPerMillisecond);
    private DateTimeOffset _plannedWake = DateTimeOffset.MaxValue;
    private IProbeRunner _runner = null!;
    private Action _changed = null!;
    private CancellationToken _stopping;

    private Task? _parkedWake;
    private Task? _parkedDelay;
    private volatile bool _parked;

    /// <summary>
    /// For tests on a fake clock: the loop waits for its next due time or a wake-up, and neither has happened yet
    /// (so moving the clock on cannot race a pass of the loop that is still to run).
    /// </summary>
    internal bool Idle => _parked && _parkedWake is { IsCompleted: false } && _parkedDelay is { IsCompleted: false };

    /// <summary>A component's place in the schedule.</summary>
    internal sealed class Entry(ProbeScheduler scheduler, ProbeRegistration registration, CancellationTokenSource token, DateTimeOffset due)
    {
        public ProbeRegistration Registration { get; } = registration;
        public ComponentMonitor Monitor => Registration.Monitor;
        public CancellationTokenSource Token { get; } = token;
        public DateTimeOffset Due { get; set; } = due;
        public bool Running { get; set; }

        /// <summary>When the probe in flight started (its batch's start), while <see cref="Running"/>.</summary>
        public DateTimeOffset Started { get; set; }

        /// <summary>Probe again as soon as the probe in flight ends (<see cref="Refresh"/>).</summary>
        public bool Again { get; set; }

        /// <summary>Probe now rather than at the next due time (no effect while a probe is in flight).</summary>
        public void Nudge() => scheduler.Nudge(this);

        /// <summary>As <see cref="Nudge"/>, but a probe in flight that started before <paramref name="after"/> is followed by another at once.</summary>
        public void Refresh(DateTimeOffset after) => scheduler.Refresh(this, after);
    }

    /// <summary>Starts the loop; probes run through <paramref name="runner"/> (the engine's bound and timeout).</summary>
    public Task RunAsync(IProbeRunner runner, Action changed, CancellationToken stopping)
    {
        _runner = runner;
        _changed = changed;
        _stopping = stopping;
        return LoopAsync(stopping);
    }

    /// <summary>Schedules the registered component's first probe now. Retire it with <see cref="ComponentMonitor.Stop"/>.</summary>
    public void Add(ProbeRegistration registration)
    {
        var monitor = registration.Monitor;
        var token = CancellationTokenSource.CreateLinkedTokenSource(_stopping, monitor.Stop.Token);
        var entry = new Entry(this, registration, token, time.GetUtcNow());
        monitor.Schedule = entry;
        lock (_gate)
            _entries.Add(entry);
        Wake();
    }

    private void Nudge(Entry entry)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (entry.Running || entry.Due <= now)
                return;
            entry.Due = now;
        }
        Wake();
    }

    private void Refresh(Entry entry, DateTimeOffset after)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (entry.Running)
            {
                entry.Again |= entry.Started < after;
                return;
            }
            if (entry.Due <= now)
                return;
            entry.Due = now;
        }
        Wake();
    }

    private void Wake() => Volatile.Read(ref _signal).TrySetResult();

    private async Task LoopAsync(CancellationToken stopping)
    {
        var batch = new List<Entry>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (Volatile.Read(ref _signal).Task.IsCompleted)
                    Volatile.Write(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                var wake = Volatile.Read(ref _signal).Task;
                var now = time.GetUtcNow();
                var next = DateTimeOffset.MaxValue;
                lock (_gate)
                {
                    for (var i = _entries.Count - 1; i >= 0; i--)
                    {
                        var entry = _entries[i];
                        if (entry.Running)
                            continue;
                        if (entry.Token.IsCancellationRequested)
                        {
                            _entries.RemoveAt(i);
                            entry.Token.Dispose();
                        }
                        else if (entry.Due <= now)
                        {
                            entry.Running = true;
                            entry.Started = now;
                            batch.Add(entry);
                        }
                        else if (entry.Due < next)
                        {
                            next = entry.Due;
                        }
                    }
                    _plannedWake = next;
                }
                if (batch.Count > 0)
                {
                    foreach (var entry in batch)
                        _ = RunOneAsync(entry, now);
                    batch.Clear();
                }

                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var delay = next == DateTimeOffset.MaxValue
                    ? Task.Delay(Timeout.Infinite, tick.Token)
                    : Task.Delay(next - now, time, tick.Token);
                _parkedWake = wake;
                _parkedDelay = delay;
                _parked = true;
                var woken = await Task.WhenAny(wake, delay).ConfigureAwait(false);
                _parked = false;
                if (woken == wake)
                    tick.Cancel();
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var entry in _entries.Where(e => !e.Running))
                    entry.Token.Dispose();
                _entries.RemoveAll(e => !e.Running);
            }
        }
    }

    private async Task RunOneAsync(Entry entry, DateTimeOffset batchStart)
    {
        var due = batchStart + (interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1));
        try
        {
            if (await entry.Registration.ProbeAndRecordAsync(_runner, time, entry.Token.Token).ConfigureAwait(false) is not { } record)
                return;
            if (record.Changed)
                _changed();
            if (record.StartedFailing)
                entry.Registration.StartedFailing?.Invoke(entry.Monitor);
            due = OnGrid(batchStart + record.NextDelay);
            entry.Registration.Recorded?.Invoke(entry.Monitor);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Probe of {Datacenter}/{Component} failed unexpectedly", entry.Monitor.DatacenterId, entry.Monitor.Id);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        finally
        {
            bool wake;
            lock (_gate)
            {
                entry.Running = false;
                if (entry.Again)
                {
                    entry.Again = false;
                    due = time.GetUtcNow();
                }
                entry.Due = due;
                wake = entry.Token.IsCancellationRequested || due < _plannedWake;
            }
            if (wake)
                Wake();
        }
    }

    /// <summary>The grid point nearest to <paramref name="time"/>, so that components at the same interval share starts.</summary>
    private DateTimeOffset OnGrid(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var rounded = (ticks + _gridTicks / 2) / _gridTicks * _gridTicks;
        return new DateTimeOffset(rounded, TimeSpan.Zero);
    }
}
