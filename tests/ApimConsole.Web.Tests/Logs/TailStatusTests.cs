using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Logs;

public sealed class TailStatusTests
{
    [Fact]
    public async Task UnreachableSince_IsTheFirstFailureAfterTheLastSuccess_AndChangesAreAnnounced()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 13, 0, 0, TimeSpan.Zero));
        var source = new SwitchableSource("http://logs.dc2.test/");
        var tail = new DatacenterTraceTail("dc2", source, new TraceLogBuffer(10), clock, NullLogger.Instance);
        using var subscription = tail.LiveStatus.Subscribe(capacity: 100);
        var announced = new List<TraceTailStatus>();
        void Announced() { while (subscription.Updates.TryRead(out var status)) announced.Add(status); }

        Assert.True(await tail.PollOnceAsync(default));
        Assert.Null(tail.Status.UnreachableSince);
        clock.Advance(TimeSpan.FromSeconds(1));
        await tail.PollOnceAsync(default); // a quiet success announces nothing
        Announced();
        Assert.Single(announced);

        source.FailWith = "unreachable";
        clock.Advance(TimeSpan.FromSeconds(1));
        var firstFailure = clock.GetUtcNow();
        Assert.False(await tail.PollOnceAsync(default));
        clock.Advance(TimeSpan.FromSeconds(5));
        await tail.PollOnceAsync(default);

        Assert.Equal(firstFailure, tail.Status.UnreachableSince);
        Assert.Equal(firstFailure - TimeSpan.FromSeconds(1), tail.Status.LastSuccess);
        Announced();
        Assert.Equal(2, announced.Count); // the outage once, not every failed poll

        source.FailWith = null;
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await tail.PollOnceAsync(default));
        Assert.Null(tail.Status.UnreachableSince);
        Announced();
        Assert.True(announced[^1].Reachable);
        Assert.Equal([1L, 2L, 3L], announced.Select(s => s.Version));
    }
}
