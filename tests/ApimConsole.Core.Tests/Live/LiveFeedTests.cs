using ApimConsole.Core.Live;

namespace ApimConsole.Core.Tests.Live;

public sealed class LiveFeedTests
{
    [Fact]
    public void Subscribe_HandsOverTheCurrentValue_ThenEveryLaterOne()
    {
        var feed = new LiveFeed<int>(1);
        feed.Publish(2);

        using var subscription = feed.Subscribe();
        feed.Publish(3);
        feed.Publish(4);

        Assert.Equal(2, subscription.Snapshot);
        Assert.Equal([3, 4], Drain(subscription));
        Assert.Equal(4, feed.Current);
    }

    [Fact]
    public async Task NothingFallsBetweenSnapshotAndUpdates_WhilePublishersRace()
    {
        var feed = new LiveFeed<int>(0);
        using var go = new ManualResetEventSlim();
        var publisher = Task.Run(() =>
        {
            go.Wait();
            for (var i = 1; i <= 20_000; i++)
                feed.Publish(i);
        });

        go.Set();
        var subscriptions = new List<FeedSubscription<int>>();
        for (var i = 0; i < 50; i++)
            subscriptions.Add(feed.Subscribe(capacity: 100_000));
        await publisher;

        foreach (var subscription in subscriptions)
        {
            // The snapshot and the updates join up: snapshot, snapshot+1, ..., the last value, with no gap and no repeat.
            var seen = Drain(subscription);
            var expected = Enumerable.Range(subscription.Snapshot + 1, 20_000 - subscription.Snapshot);
            Assert.Equal(expected, seen);
            subscription.Dispose();
        }
    }

    [Fact]
    public void ASubscriberThatFallsBehind_KeepsTheNewest_AndCountsWhatItLost()
    {
        var feed = new LiveFeed<int>(0);
        using var subscription = feed.Subscribe(capacity: 3);
        for (var i = 1; i <= 5; i++)
            feed.Publish(i);

        Assert.Equal(2, subscription.Dropped);
        Assert.Equal([3, 4, 5], Drain(subscription));
    }

    [Fact]
    public void ASubscriberThatKeepsUp_DropsNothing()
    {
        var feed = new LiveFeed<int>(0);
        using var subscription = feed.Subscribe(capacity: 1);
        for (var i = 1; i <= 10; i++)
        {
            feed.Publish(i);
            Assert.True(subscription.Updates.TryRead(out var value));
            Assert.Equal(i, value);
        }
        Assert.Equal(0, subscription.Dropped);
    }

    [Fact]
    public async Task Dispose_StopsDelivery_AndCompletesTheUpdates()
    {
        var feed = new LiveFeed<int>(0);
        var subscription = feed.Subscribe();
        feed.Publish(1);
        subscription.Dispose();
        feed.Publish(2);

        Assert.Equal(0, feed.Subscribers);
        Assert.Equal([1], Drain(subscription));
        await subscription.Updates.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        subscription.Dispose();
    }

    [Fact]
    public void ValuesWithTheSameContent_MoveCurrent_ButReachNoSubscriber()
    {
        var feed = new LiveFeed<(int Content, int Version)>((0, 0), (a, b) => a.Content == b.Content);
        using var subscription = feed.Subscribe();

        Assert.False(feed.Publish((0, 1)));
        Assert.True(feed.Publish((1, 2)));

        Assert.Equal((1, 2), feed.Current);
        Assert.Equal([(1, 2)], Drain(subscription));
    }

    [Fact]
    public void Update_ComputesFromTheCurrentValue()
    {
        var feed = new LiveFeed<long>(0);
        using var subscription = feed.Subscribe();
        Parallel.For(0, 1000, _ => feed.Update(v => v + 1));

        Assert.Equal(1000, feed.Current);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)(1000 - 16 + i)), Drain(subscription));
        Assert.Equal(1000 - 16, subscription.Dropped);
    }

    private static List<T> Drain<T>(FeedSubscription<T> subscription)
    {
        var values = new List<T>();
        while (subscription.Updates.TryRead(out var value))
            values.Add(value);
        return values;
    }
}
