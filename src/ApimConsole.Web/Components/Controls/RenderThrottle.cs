namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// Runs a callback at most once per interval however often it is signalled (the Aspire dashboard's CallbackThrottler):
/// the first signal runs it at once, signals during the run or the interval after it coalesce into one more run at the
/// end of the interval, so a burst costs two runs and the last signal is never lost.
/// </summary>
public sealed class RenderThrottle
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Func<Task> _callback;
    private readonly Func<Exception, Task> _onError;
    private readonly CancellationToken _stop;
    private readonly Lock _gate = new();
    private bool _running;
    private bool _pending;

    /// <param name="onError">Hears what <paramref name="callback"/> threw; the throttle stays usable.</param>
    /// <param name="stop">Ends the throttle: nothing runs after it is cancelled.</param>
    public RenderThrottle(TimeProvider time, TimeSpan interval, Func<Task> callback, Func<Exception, Task> onError, CancellationToken stop)
    {
        _time = time;
        _interval = interval;
        _callback = callback;
        _onError = onError;
        _stop = stop;
    }

    /// <summary>Something changed: run the callback now, or once at the end of the current interval.</summary>
    public void Signal()
    {
        lock (_gate)
        {
            if (_running)
            {
                _pending = true;
                return;
            }
            _running = true;
        }
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _callback();
            }
            catch (Exception ex)
            {
                try
                {
                    await _onError(ex);
                }
                catch (Exception)
                {
                    // The error handler has nowhere left to send it (its circuit is gone); the throttle goes on.
                }
            }
            try
            {
                await Task.Delay(_interval, _time, _stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_gate)
            {
                if (!_pending)
                {
                    _running = false;
                    return;
                }
                _pending = false;
            }
        }
    }
}
