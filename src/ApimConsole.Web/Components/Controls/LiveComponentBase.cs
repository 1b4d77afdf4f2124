using ApimConsole.Core.Live;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// The one way live data reaches a component. <see cref="Watch{T}(ILiveFeed{T}, Action{T}?)"/> subscribes to a live
/// feed for the component's lifetime and returns the value now; every later value is handed over on the component's
/// circuit (<c>InvokeAsync</c>) and followed by a render, at most one per <see cref="Throttle"/> however many feeds
/// change how fast (the first change renders at once, a burst coalesces, the newest value is never lost). Errors go to
/// the component (<c>DispatchExceptionAsync</c>), never to the producer; <see cref="Dispose"/> unsubscribes from all.
/// </summary>
/// <remarks>
/// Each value a feed publishes is complete (a snapshot, a list, a version), so a component that falls behind only
/// needs the newest: subscriptions hold one value and the callback sees the newest of those that arrived since the
/// last render.
/// </remarks>
public abstract class LiveComponentBase : ComponentBase, IDisposable
{
    /// <summary>At most one live render per this long (as the Aspire dashboard).</summary>
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _disposed = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _gate = new();
    // The newest change of each feed (and the latest render request) not yet applied.
    private readonly Dictionary<object, Func<Task>> _pending = [];
    private RenderThrottle? _throttle;
    private readonly object _renderRequest = new();

    /// <summary>The console's clock, for what the component shows ("since", "as of").</summary>
    /// <remarks>
    /// The throttle paces renders in real time, not on this clock: a test or a replay that holds the console's clock
    /// still must not hold the screen still.
    /// </remarks>
    [Inject] public required TimeProvider Time { get; init; }

    /// <summary>
    /// Subscribes to <paramref name="feed"/> until the component is disposed and returns its value now. Each later value
    /// goes to <paramref name="onChange"/> on the circuit, then the component renders.
    /// </summary>
    protected T Watch<T>(ILiveFeed<T> feed, Action<T>? onChange = null) =>
        Watch(feed, onChange is null ? null : value =>
        {
            onChange(value);
            return Task.CompletedTask;
        });

    /// <summary>As <see cref="Watch{T}(ILiveFeed{T}, Action{T}?)"/>, for a change that needs to load something before the render.</summary>
    protected T Watch<T>(ILiveFeed<T> feed, Func<T, Task>? onChange)
    {
        var subscription = Follow(feed, onChange);
        _subscriptions.Add(subscription);
        return subscription.Snapshot;
    }

    /// <summary>
    /// As <see cref="Watch{T}(ILiveFeed{T}, Action{T}?)"/>, for a feed the component lets go of before it is disposed
    /// (a search it started): disposing the result stops the watch.
    /// </summary>
    protected IDisposable WatchUntilDisposed<T>(ILiveFeed<T> feed, Action<T>? onChange = null)
    {
        var subscription = Follow(feed, onChange is null ? null : value =>
        {
            onChange(value);
            return Task.CompletedTask;
        });
        _subscriptions.Add(subscription);
        return subscription;
    }

    /// <summary>
    /// Renders once more through the same throttle, after <paramref name="update"/> (on the circuit): for a clock that
    /// moves "since" durations or a sliding window along. Safe from any thread.
    /// </summary>
    protected void RequestRender(Action? update = null)
    {
        if (_disposed.IsCancellationRequested)
            return;
        lock (_gate)
        {
            _pending[_renderRequest] = update is null ? static () => Task.CompletedTask : () =>
            {
                update();
                return Task.CompletedTask;
            };
            _throttle ??= new RenderThrottle(TimeProvider.System, Throttle, RenderAsync, ReportAsync, _disposed.Token);
        }
        _throttle.Signal();
    }

    private FeedSubscription<T> Follow<T>(ILiveFeed<T> feed, Func<T, Task>? onChange)
    {
        ArgumentNullException.ThrowIfNull(feed);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        // Capacity 1: when renders fall behind, the newest value replaces the waiting one.
        var subscription = feed.Subscribe(capacity: 1);
        lock (_gate)
            _throttle ??= new RenderThrottle(TimeProvider.System, Throttle, RenderAsync, ReportAsync, _disposed.Token);
        _ = PumpAsync(subscription, onChange);
        return subscription;
    }

    private async Task PumpAsync<T>(FeedSubscription<T> subscription, Func<T, Task>? onChange)
    {
        try
        {
            await foreach (var value in subscription.Updates.ReadAllAsync(_disposed.Token))
            {
                lock (_gate)
                    _pending[subscription] = onChange is null ? static () => Task.CompletedTask : () => onChange(value);
                _throttle!.Signal();
            }
            // Let go early (WatchUntilDisposed): a change not yet applied is dropped with it.
            lock (_gate)
                _pending.Remove(subscription);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            await ReportAsync(ex);
        }
    }

    // Errors from the background loop belong to this component's circuit, not to the producer.
    private async Task ReportAsync(Exception exception)
    {
        try
        {
            await DispatchExceptionAsync(exception);
        }
        catch (Exception) when (_disposed.IsCancellationRequested)
        {
            // The circuit went away between the change and the render: nobody is left to tell.
        }
    }

    private async Task RenderAsync()
    {
        try
        {
            await InvokeAsync(async () =>
            {
                if (_disposed.IsCancellationRequested)
                    return;
                Func<Task>[] changes;
                lock (_gate)
                {
                    changes = [.. _pending.Values];
                    _pending.Clear();
                }
                foreach (var change in changes)
                    await change();
                StateHasChanged();
            });
        }
        catch (ObjectDisposedException) when (_disposed.IsCancellationRequested)
        {
            // The circuit went away between the change and the render.
        }
    }

    public virtual void Dispose()
    {
        if (_disposed.IsCancellationRequested)
            return;
        _disposed.Cancel();
        foreach (var subscription in _subscriptions)
            subscription.Dispose();
        _subscriptions.Clear();
        GC.SuppressFinalize(this);
    }
}
