using System.Threading.Channels;

namespace ApimConsole.Core.Live;

/// <summary>
/// The read side of a live store: the value now, and a subscription to it. Every live thing the console shows (the
/// estate snapshot, guardrail decisions, store health, deployments, incidents, recoveries, traffic history, the log
/// buffer, a log search, the lab's faults) is one of these, so every reader, screen or background, reads it one way.
/// </summary>
public interface ILiveFeed<T>
{
    /// <summary>The latest value published.</summary>
    T Current { get; }

    /// <summary>
    /// The value at this moment (<see cref="FeedSubscription{T}.Snapshot"/>) and then every later one
    /// (<see cref="FeedSubscription{T}.Updates"/>). A subscriber that falls more than <paramref name="capacity"/> values
    /// behind loses the oldest ones and counts them (<see cref="FeedSubscription{T}.Dropped"/>). Dispose to unsubscribe.
    /// </summary>
    FeedSubscription<T> Subscribe(int capacity = FeedSubscription.DefaultCapacity);
}

/// <summary>
/// A live value and its subscribers; the producer owns it and calls <see cref="Publish"/>. No I/O, no threads of its
/// own: publishing writes into each subscriber's bounded channel and returns, so a slow reader never slows a producer.
/// </summary>
public sealed class LiveFeed<T> : ILiveFeed<T>
{
    private readonly Lock _gate = new();
    private readonly List<FeedSubscription<T>> _subscribers = [];
    private readonly Func<T, T, bool>? _sameContent;
    private T _current;

    /// <param name="initial">The value before anything is published.</param>
    /// <param name="sameContent">
    /// When it says a new value tells nothing new, <see cref="Publish"/> moves <see cref="Current"/> but subscribers hear
    /// nothing (the status engine reassesses every interval; only changes are worth a render).
    /// </param>
    public LiveFeed(T initial, Func<T, T, bool>? sameContent = null)
    {
        _current = initial;
        _sameContent = sameContent;
    }

    public T Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>Subscriptions not yet disposed.</summary>
    public int Subscribers
    {
        get { lock (_gate) return _subscribers.Count; }
    }

    public FeedSubscription<T> Subscribe(int capacity = FeedSubscription.DefaultCapacity)
    {
        // Register and take the snapshot under the lock Publish takes: nothing published falls between the two, and
        // nothing arrives twice.
        lock (_gate)
        {
            var subscription = new FeedSubscription<T>(_current, capacity, Remove);
            _subscribers.Add(subscription);
            return subscription;
        }
    }

    /// <summary>Makes <paramref name="value"/> current and hands it to every subscriber; returns whether they heard of it.</summary>
    public bool Publish(T value)
    {
        lock (_gate)
            return PublishLocked(value);
    }

    /// <summary>
    /// Computes the next value from the current one and publishes it, atomically with respect to other publishers
    /// (for counters and versions).
    /// </summary>
    public T Update(Func<T, T> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            var value = next(_current);
            PublishLocked(value);
            return value;
        }
    }

    private bool PublishLocked(T value)
    {
        var previous = _current;
        _current = value;
        if (_sameContent is not null && _sameContent(previous, value))
            return false;
        // Bounded, drop-oldest, and continuations never run inline: this never blocks and never re-enters.
        foreach (var subscriber in _subscribers)
            subscriber.Offer(value);
        return true;
    }

    private void Remove(FeedSubscription<T> subscription)
    {
        lock (_gate)
            _subscribers.Remove(subscription);
    }
}

public static class FeedSubscription
{
    /// <summary>Values a subscriber may fall behind by before it loses the oldest.</summary>
    public const int DefaultCapacity = 16;
}

/// <summary>One subscriber's view of a <see cref="LiveFeed{T}"/>: the value when it subscribed, then every later one.</summary>
public sealed class FeedSubscription<T> : IDisposable
{
    private readonly Channel<T> _channel;
    private readonly Action<FeedSubscription<T>> _unsubscribe;
    private long _dropped;
    private int _disposed;

    internal FeedSubscription(T snapshot, int capacity, Action<FeedSubscription<T>> unsubscribe)
    {
        Snapshot = snapshot;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>The value at the moment of subscribing (taken after the subscription was registered).</summary>
    public T Snapshot { get; }

    /// <summary>Every value published after <see cref="Snapshot"/>, in order; completes when disposed.</summary>
    public ChannelReader<T> Updates => _channel.Reader;

    /// <summary>
    /// Values this subscriber lost because it fell more than its capacity behind. A screen only needs the newest and may
    /// ignore it; a subscriber that records history (the incident recorder) says so when it is not 0.
    /// </summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    internal void Offer(T value) => _channel.Writer.TryWrite(value);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
