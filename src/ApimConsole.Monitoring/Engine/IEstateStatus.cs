using System.Threading.Channels;
using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.Engine;

/// <summary>The one source of live estate state. Pages, the hub, the API and storage subscribe; nothing else probes.</summary>
public interface IEstateStatus
{
    /// <summary>The latest assessment; <see cref="EstateSnapshot.AsOf"/> moves on every assessment, even when nothing changed.</summary>
    EstateSnapshot Current { get; }

    /// <summary>
    /// The current snapshot plus every later one that says something new. A subscriber that falls more than
    /// <paramref name="capacity"/> snapshots behind loses the oldest ones: each snapshot is complete, so the newest
    /// is always enough to show the truth. Dispose to unsubscribe.
    /// </summary>
    EstateSubscription Subscribe(int capacity = 16);
}

public sealed class EstateSubscription : IDisposable
{
    private readonly Action<EstateSubscription> _unsubscribe;
    private readonly Channel<EstateSnapshot> _channel;

    /// <summary>For producers of estate state (the status engine, test doubles).</summary>
    public EstateSubscription(int capacity, Action<EstateSubscription> unsubscribe)
    {
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<EstateSnapshot>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    private long _dropped;

    /// <summary>
    /// Snapshots this subscriber lost because it fell more than its capacity behind. Screens only need the newest and
    /// may ignore it; a subscriber that records history (the incident recorder) says so when it is not 0.
    /// </summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The state at the moment of subscribing (taken after the subscription was registered).</summary>
    public EstateSnapshot Snapshot { get; set; } = null!;

    public ChannelReader<EstateSnapshot> Updates => _channel.Reader;

    /// <summary>For producers: hands a new snapshot to this subscriber, dropping its oldest unread one when full.</summary>
    public void Publish(EstateSnapshot snapshot) => _channel.Writer.TryWrite(snapshot);

    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
