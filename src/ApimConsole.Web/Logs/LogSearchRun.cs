using ApimConsole.Core.Live;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// One historical search started from the Logs page: it runs <see cref="ITraceLogSearch"/> in the background, keeps
/// the hits in time order as they stream in, and its progress; the page watches <see cref="Versions"/> (and throttles
/// its own renders). Cancel stops the read; what was found stays.
/// </summary>
public sealed class LogSearchRun : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<TraceLogRecord> _hits = [];
    private TraceSearchProgress? _progress;

    public LogSearchRun(TraceSearchQuery query) => Query = query;

    public TraceSearchQuery Query { get; }

    private readonly LiveFeed<long> _versions = new(0);

    /// <summary>Moves, on the search's thread, when hits or progress arrive and when it ends.</summary>
    public ILiveFeed<long> Versions => _versions;

    private void Changed() => _versions.Update(version => version + 1);

    public bool Running { get; private set; }

    public bool Cancelled { get; private set; }

    /// <summary>Why the search failed (a bad query, the source gone); null when it did not.</summary>
    public string? Error { get; private set; }

    public TraceSearchProgress? Progress
    {
        get { lock (_gate) return _progress; }
    }

    /// <summary>The hits so far, by time (a snapshot: the list the page renders does not change under it).</summary>
    public List<TraceLogRecord> Hits()
    {
        lock (_gate)
            return _hits.ToList();
    }

    public int HitCount
    {
        get { lock (_gate) return _hits.Count; }
    }

    /// <summary>Runs the search to its end, cancellation or failure; never throws for those.</summary>
    public async Task RunAsync(ITraceLogSearch search, CancellationToken cancellationToken)
    {
        Running = true;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancel.Token);
        var progress = new ProgressSink(this);
        try
        {
            await foreach (var hit in search.SearchAsync(Query, progress, linked.Token).WithCancellation(linked.Token).ConfigureAwait(false))
            {
                lock (_gate)
                    Insert(hit);
                Changed();
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            Cancelled = true;
        }
        catch (ArgumentException e)
        {
            Error = e.Message;
        }
        catch (Exception e) when (e is TraceLogSourceException or IOException or HttpRequestException)
        {
            Error = e.Message;
        }
        finally
        {
            Running = false;
            Changed();
        }
    }

    public void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Cancel();
        _cancel.Dispose();
    }

    /// <summary>Hits come per file; keep them ordered by time, after equal times (stable).</summary>
    private void Insert(TraceLogRecord hit)
    {
        var time = hit.Entry.Time ?? DateTime.MaxValue;
        var at = _hits.Count;
        if (at > 0 && (_hits[at - 1].Entry.Time ?? DateTime.MaxValue) > time)
        {
            int lo = 0, hi = _hits.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if ((_hits[mid].Entry.Time ?? DateTime.MaxValue) <= time)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            at = lo;
        }
        _hits.Insert(at, hit);
    }

    // Not System.Progress<T>: that posts to the captured context; this records at once and lets the page throttle.
    private sealed class ProgressSink(LogSearchRun run) : IProgress<TraceSearchProgress>
    {
        public void Report(TraceSearchProgress value)
        {
            lock (run._gate)
                run._progress = value;
            run.Changed();
        }
    }
}
