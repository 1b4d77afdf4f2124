using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>A subscriber that falls behind keeps the newest snapshots and can tell how many it lost.</summary>
public sealed class EstateSubscriptionTests
{
    [Fact]
    public void FullSubscription_DropsTheOldest_AndCountsThem()
    {
        using var subscription = new EstateSubscription(3, _ => { });
        var snapshots = Enumerable.Range(0, 5).Select(i => Snapshot(i)).ToList();
        foreach (var snapshot in snapshots)
            subscription.Publish(snapshot);

        Assert.Equal(2, subscription.Dropped);
        var kept = new List<EstateSnapshot>();
        while (subscription.Updates.TryRead(out var s))
            kept.Add(s);
        Assert.Equal(snapshots.Skip(2), kept);
    }

    [Fact]
    public void SubscriptionThatKeepsUp_DropsNothing()
    {
        using var subscription = new EstateSubscription(1, _ => { });
        for (var i = 0; i < 10; i++)
        {
            subscription.Publish(Snapshot(i));
            Assert.True(subscription.Updates.TryRead(out _));
        }
        Assert.Equal(0, subscription.Dropped);
    }

    private static EstateSnapshot Snapshot(int second) =>
        EstateAssessor.Assess("estate", "dc1", [], null, null, new DateTimeOffset(2026, 11, 23, 12, 0, second, TimeSpan.Zero), TimeSpan.FromSeconds(2));
}
