using System.Collections.Concurrent;
using ApimConsole.Core.Configuration;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>
/// The probe scheduler on a fake clock. Probes here answer at once, so a batch runs inside the clock's advance; the
/// starts each test records are the fake clock's time when the probe was called.
/// </summary>
public sealed class ProbeSchedulerTests : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(5);

    private static readonly DateTimeOffset Origin = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Origin);
    private readonly CancellationTokenSource _stop = new();
    private readonly ProbeScheduler _scheduler;
    private readonly ProbeOptions _options = new() { Interval = Interval, FastInterval = TimeSpan.FromMilliseconds(150), Timeout = TimeSpan.FromMilliseconds(500), Fall = 2, Rise = 1 };
    private readonly ConcurrentQueue<(string Id, DateTimeOffset At)> _starts = new();
    private readonly Task _loop;
    private int _changes;

    public ProbeSchedulerTests()
    {
        _scheduler = new ProbeScheduler(_time, Interval, NullLogger.Instance);
        // Started off the test's synchronization context, as the engine's loop is.
        _loop = Task.Run(() => _scheduler.RunAsync(new DirectProbeRunner(), () => Interlocked.Increment(ref _changes), _stop.Token));
    }

    [Fact]
    public async Task Components_AddedAtScatteredTimes_ProbeEverySecond_InSharedBatches()
    {
        // 40 components, one every 17 ms: one timer each would start 40 separate wake-ups a second.
        var monitors = new List<ComponentMonitor<string>>();
        for (var i = 0; i < 40; i++)
        {
            monitors.Add(Add($"c{i}", _ => ProbeOutcome.Ok));
            await Eventually.Until(() => _starts.Count(s => s.Id == $"c{i}") == 1, Wait, $"the first probe of c{i}", every: Poll);
            await AdvanceAsync(TimeSpan.FromMilliseconds(17));
        }

        await AdvanceAsync(TimeSpan.FromSeconds(6));

        var from = _time.GetUtcNow() - TimeSpan.FromSeconds(4);
        var recent = _starts.Where(s => s.At >= from).ToList();
        // Every component kept its interval, start to start, within half a grid step (25 ms) plus one clock step.
        foreach (var group in recent.GroupBy(s => s.Id))
        {
            var times = group.Select(s => s.At).Order().ToList();
            Assert.InRange(times.Count, 3, 5);
            foreach (var (a, b) in times.Zip(times.Skip(1)))
                Assert.InRange((b - a).TotalMilliseconds, 1000 - 30, 1000 + 30);
        }
        Assert.Equal(40, recent.Select(s => s.Id).Distinct().Count());
        // ...and they start together: at most one instant per 50 ms grid step (the 680 ms of scattered adds cover at
        // most 15 of them), where one timer per component gives 40 a second.
        var instantsPerSecond = recent.Select(s => s.At).Distinct().Count() / 4.0;
        Assert.InRange(instantsPerSecond, 1, 15);
    }

    [Fact]
    public async Task Nudge_ProbesAtOnce_AndRetiredComponentsStop()
    {
        var a = Add("a", _ => ProbeOutcome.Ok);
        var b = Add("b", _ => ProbeOutcome.Ok);
        await Eventually.Until(() => _starts.Count == 2, Wait, "the first probes", every: Poll);
        await AdvanceAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, _starts.Count);

        a.Nudge();
        await Eventually.Until(() => _starts.Count(s => s.Id == "a") == 2, Wait, "a's nudged probe", every: Poll);
        Assert.Equal(_time.GetUtcNow(), _starts.Last(s => s.Id == "a").At);

        b.Stop.Cancel();
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(1, _starts.Count(s => s.Id == "b"));
        Assert.True(_starts.Count(s => s.Id == "a") is >= 4 and <= 6, "a's probes at (ms): " + string.Join(", ", _starts.Where(s => s.Id == "a").Select(s => (s.At - Origin).TotalMilliseconds)));
    }

    [Fact]
    public async Task FailingComponent_IsProbedAtTheFastInterval_UntilDecided()
    {
        var healthy = true;
        var monitor = Add("flaky", _ => healthy ? ProbeOutcome.Ok : ProbeOutcome.Failed("refused"));
        await Eventually.Until(() => _starts.Count == 1, Wait, "the first probe", every: Poll);
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(ApimConsole.Core.Estate.ComponentState.Up, monitor.Read().State);

        healthy = false;
        var before = _starts.Count;
        await AdvanceAsync(TimeSpan.FromMilliseconds(1200));
        // One probe at the normal interval fails, then the next comes at the fast interval (150 ms) and decides (Fall 2).
        Assert.Equal(ApimConsole.Core.Estate.ComponentState.Down, monitor.Read().State);
        var failing = _starts.Skip(before).Select(s => s.At).ToList();
        Assert.True(failing.Count >= 2);
        Assert.InRange((failing[1] - failing[0]).TotalMilliseconds, 150 - 30, 150 + 30);
    }

    [Fact]
    public async Task SlowProbe_IsNeverStartedTwice_AndDoesNotHoldUpOthers()
    {
        var release = new TaskCompletionSource<ProbeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowStarts = 0;
        var slow = new ComponentMonitor<string>("dc1", "slow", "slow", _options, _time.GetUtcNow());
        _scheduler.Add(new ProbeRegistration<string>(slow, async _ =>
        {
            Interlocked.Increment(ref slowStarts);
            return new ProbeResult<string>(await release.Task, null);
        }));
        Add("fast", _ => ProbeOutcome.Ok);
        await Eventually.Until(() => Volatile.Read(ref slowStarts) == 1 && _starts.Count == 1, Wait, "both first probes", every: Poll);

        await AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(1, Volatile.Read(ref slowStarts));
        Assert.InRange(_starts.Count(s => s.Id == "fast"), 3, 5);

        release.SetResult(ProbeOutcome.Ok);
        // Its interval ran from its start: long past, so it is due at once.
        await Eventually.Until(() => Volatile.Read(ref slowStarts) == 2, Wait, "the slow component's next probe", every: Poll);
    }

    private ComponentMonitor<string> Add(string id, Func<CancellationToken, ProbeOutcome> probe)
    {
        var monitor = new ComponentMonitor<string>("dc1", id, id, _options, _time.GetUtcNow());
        _scheduler.Add(new ProbeRegistration<string>(monitor, token =>
        {
            _starts.Enqueue((id, _time.GetUtcNow()));
            return Task.FromResult(new ProbeResult<string>(probe(token), null));
        }));
        return monitor;
    }

    private async Task AdvanceAsync(TimeSpan span)
    {
        for (var t = TimeSpan.Zero; t < span; t += Step)
        {
            var step = span - t < Step ? span - t : Step;
            // The clock moves only while the loop is parked: a pass still to run (a wake-up is a queued continuation
            // on a busy machine) would otherwise see a later time than the one it was due at.
            await Eventually.Until(() => _scheduler.Idle, Wait, "the scheduler to wait", every: Poll);
            _time.Advance(step);
        }
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
