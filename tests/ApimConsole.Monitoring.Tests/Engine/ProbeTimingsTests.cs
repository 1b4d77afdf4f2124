using System.Collections.Concurrent;
using ApimConsole.Core.Configuration;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>The engine tells an <see cref="IProbeTimings"/> how long each probe took, of which component, and how it ended.</summary>
public sealed class ProbeTimingsTests
{
    private static readonly DateTimeOffset Origin = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new(Origin);
    private readonly Recorder _recorder = new();

    private sealed class Recorder : IProbeTimings
    {
        public ConcurrentQueue<ProbeTiming> Timings { get; } = new();

        public bool Throw { get; set; }

        public void Record(ProbeTiming timing)
        {
            Timings.Enqueue(timing);
            if (Throw)
                throw new InvalidOperationException("a listener that fails");
        }
    }

    private ProbeRegistration<CassandraProbeDetails> Node(Func<CancellationToken, Task<ProbeResult<CassandraProbeDetails>>> probe) =>
        new(new ComponentMonitor<CassandraProbeDetails>("dc2", "cassandra-1", "cassandra-1", new ProbeOptions { Fall = 1, Rise = 1 }, Origin), probe);

    private ProbeRunner Runner() => new(4, Timeout, _time, _recorder);

    [Fact]
    public async Task AnAnswer_IsReportedWithItsDurationKindAndComponent()
    {
        var node = Node(_ =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(30));
            return Task.FromResult(new ProbeResult<CassandraProbeDetails>(ProbeOutcome.Ok, null));
        });
        await node.ProbeAndRecordAsync(Runner(), _time, CancellationToken.None);

        var timing = Assert.Single(_recorder.Timings);
        Assert.Equal(new ProbeTiming(ProbedKind.CassandraNode, "dc2", "cassandra-1", TimeSpan.FromMilliseconds(30), Succeeded: true), timing);
    }

    [Fact]
    public async Task AProbeCutOffByItsTimeout_IsAFailureAsLongAsTheTimeout()
    {
        var node = Node(async ct =>
        {
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
            return default;
        });
        // The runner has a free slot: the probe and its deadline (on the fake clock) start before this call returns.
        var probing = node.ProbeAndRecordAsync(Runner(), _time, CancellationToken.None);
        Assert.False(probing.IsCompleted);
        _time.Advance(Timeout);
        await probing;

        var timing = Assert.Single(_recorder.Timings);
        Assert.False(timing.Succeeded);
        Assert.Equal(Timeout, timing.Duration);
        Assert.Equal(Core.Estate.ComponentState.Down, node.Monitor.Read().State);
    }

    [Fact]
    public async Task AListenerThatThrows_ChangesNothingOfTheProbesOutcome()
    {
        _recorder.Throw = true;
        var node = Node(_ => Task.FromResult(new ProbeResult<CassandraProbeDetails>(ProbeOutcome.Ok, null)));
        await node.ProbeAndRecordAsync(Runner(), _time, CancellationToken.None);

        Assert.Single(_recorder.Timings);
        Assert.Equal(Core.Estate.ComponentState.Up, node.Monitor.Read().State);
    }

    [Fact]
    public async Task AProbeEndedByTheEngineStopping_IsNotReported()
    {
        using var stop = new CancellationTokenSource();
        var node = Node(async ct =>
        {
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
            return default;
        });
        var probing = node.ProbeAndRecordAsync(Runner(), _time, stop.Token);
        await stop.CancelAsync();
        // The runner lets the engine's own cancellation through (the scheduler ends there).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probing);
        Assert.Empty(_recorder.Timings);
    }
}
