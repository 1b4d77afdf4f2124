using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Monitoring.Tests.Engine;

public sealed class ComponentMonitorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void LoadBalancerRead_WithTheSamePools_IsNoChange_YetShowsTheLatestReadTime()
    {
        var monitor = new ComponentMonitor<LoadBalancerProbeDetails>("global", "load-balancer", "Global load balancer", new ProbeOptions { Rise = 1 }, T0);
        IReadOnlyList<LoadBalancerPool> pools = [new("dc1", true, 2, 2), new("dc2", true, 2, 2)];

        Assert.True(monitor.Record(new(ProbeOutcome.Ok, new(pools, T0)), T0, T0, out _, out _));
        // The same pools read again (a new list, a later time): nothing to publish, but the time of reading moves.
        Assert.False(monitor.Record(new(ProbeOutcome.Ok, new([.. pools], T0.AddSeconds(1))), T0.AddSeconds(1), T0.AddSeconds(1), out _, out _));
        Assert.Equal(T0.AddSeconds(1), monitor.Read().Details!.ReadAt);

        // A pool that changed is a change; a failed read keeps the last pools.
        Assert.True(monitor.Record(new(ProbeOutcome.Ok, new([new("dc1", false, 0, 2), pools[1]], T0.AddSeconds(2))), T0.AddSeconds(2), T0.AddSeconds(2), out _, out _));
        monitor.Record(ProbeResult<LoadBalancerProbeDetails>.Failed("refused"), T0.AddSeconds(3), T0.AddSeconds(3), out _, out var startedFailing);
        Assert.True(startedFailing);
        Assert.False(monitor.Read().Details!.Pools[0].Serving);
    }

    [Fact]
    public void Read_SaysWhenTheLatestSuccessfulProbeStarted_AndWhenTheRunOfFailuresBegan()
    {
        var monitor = new ComponentMonitor<string>("dc1", "instance-1", "instance-1", new ProbeOptions { Fall = 3 }, T0);
        monitor.Record(new(ProbeOutcome.Ok, "a"), T0, T0.AddMilliseconds(20), out _, out _);
        Assert.Equal(T0, monitor.Read().LastSuccessStarted);
        Assert.Null(monitor.Read().FailingSince);

        // Two failures: the run began when the first ended; the last success is still the one that started at T0.
        monitor.Record(ProbeResult<string>.Failed("refused"), T0.AddSeconds(1), T0.AddSeconds(1.5), out _, out _);
        monitor.Record(ProbeResult<string>.Failed("refused"), T0.AddSeconds(2), T0.AddSeconds(2.1), out _, out _);
        var failing = monitor.Read();
        Assert.Equal(T0.AddSeconds(1.5), failing.FailingSince);
        Assert.Equal(T0, failing.LastSuccessStarted);
        Assert.Equal(T0.AddSeconds(2), monitor.LastProbeStarted);

        monitor.Record(new(ProbeOutcome.Ok, "a"), T0.AddSeconds(3), T0.AddSeconds(3.1), out _, out _);
        Assert.Null(monitor.Read().FailingSince);
        Assert.Equal(T0.AddSeconds(3), monitor.Read().LastSuccessStarted);
    }
}
