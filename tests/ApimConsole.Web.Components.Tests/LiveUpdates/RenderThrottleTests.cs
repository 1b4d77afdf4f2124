using ApimConsole.Web.Components.Controls;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.LiveUpdates;

/// <summary>The throttle every live component renders through: prompt first run, bursts coalesced, the last signal kept.</summary>
public sealed class RenderThrottleTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _clock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _ran = new(0);
    private readonly List<Exception> _errors = [];
    private int _runs;

    private RenderThrottle Throttle(Func<int, Task>? callback = null) => new(_clock, Interval, async () =>
    {
        var run = Interlocked.Increment(ref _runs);
        try
        {
            if (callback is not null)
                await callback(run);
        }
        finally
        {
            _ran.Release();
        }
    }, ex =>
    {
        lock (_errors)
            _errors.Add(ex);
        return Task.CompletedTask;
    }, _stop.Token);

    [Fact]
    public async Task FirstSignal_RunsAtOnce_ABurstCoalescesIntoOneMoreRun_AtTheEndOfTheInterval()
    {
        var throttle = Throttle();

        throttle.Signal();
        Assert.True(await _ran.WaitAsync(Wait));
        Assert.Equal(1, Volatile.Read(ref _runs));

        for (var i = 0; i < 50; i++)
            throttle.Signal();
        _clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, Volatile.Read(ref _runs));

        // The last signal of the burst is not lost: one more run when the interval ends.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await _ran.WaitAsync(Wait));
        Assert.Equal(2, Volatile.Read(ref _runs));

        // The burst cost two runs, not fifty: the next run is the next signal's.
        _clock.Advance(Interval);
        throttle.Signal();
        _clock.Advance(Interval);
        Assert.True(await _ran.WaitAsync(Wait));
        Assert.Equal(3, Volatile.Read(ref _runs));
    }

    [Fact]
    public async Task AFailingRun_GoesToTheErrorHandler_AndTheThrottleKeepsWorking()
    {
        var throttle = Throttle(run => run == 1 ? throw new InvalidOperationException("render failed") : Task.CompletedTask);

        throttle.Signal();
        Assert.True(await _ran.WaitAsync(Wait));
        _clock.Advance(Interval);
        throttle.Signal();
        _clock.Advance(Interval);
        Assert.True(await _ran.WaitAsync(Wait));

        Assert.Equal(2, Volatile.Read(ref _runs));
        lock (_errors)
            Assert.Equal("render failed", Assert.Single(_errors).Message);
    }

    [Fact]
    public void AfterStop_NothingRuns()
    {
        var throttle = Throttle();
        _stop.Cancel();

        throttle.Signal();

        Assert.Equal(0, Volatile.Read(ref _runs));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _ran.Dispose();
    }
}
