using ApimConsole.Core.Configuration;
using ApimConsole.Core.Live;
using ApimConsole.Core.Logs;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Monitoring.Logs;

/// <summary>Whether a datacenter's log source answered, and the notes of the last polls (rolled, truncated, gone).</summary>
/// <param name="LastSuccess">When a poll last answered (the console's clock); null before the first one.</param>
/// <param name="UnreachableSince">The first failed poll after the last success (or since start when none succeeded); null while reachable.</param>
/// <param name="Version">Grows by one whenever reachability, the error or the notes change (not on every quiet poll).</param>
public sealed record TraceTailStatus(
    string DatacenterId,
    string Location,
    bool Reachable,
    string? Error,
    DateTimeOffset? LastSuccess,
    IReadOnlyList<string> Notes,
    DateTimeOffset? UnreachableSince = null,
    long Version = 0);

/// <summary>
/// Tails every instance of one datacenter: each poll lists the source once, follows each instance's files a bounded
/// step and appends what is new to the shared <see cref="TraceLogBuffer"/>. An unreachable source (the link is down)
/// is a status, never an exception out of the loop.
/// </summary>
public sealed class DatacenterTraceTail
{
    private const int MaxNotes = 50;

    private readonly ITraceLogSource _source;
    private readonly TraceLogBuffer _buffer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Group, string Instance), InstanceTraceFollower> _followers = [];
    private readonly Queue<string> _notes = new();
    private readonly Lock _gate = new();
    private TraceTailStatus _status;
    private readonly LiveFeed<TraceTailStatus> _liveStatus;

    public DatacenterTraceTail(string datacenterId, ITraceLogSource source, TraceLogBuffer buffer, TimeProvider time, ILogger logger)
    {
        DatacenterId = datacenterId;
        _source = source;
        _buffer = buffer;
        _time = time;
        _logger = logger;
        _status = new TraceTailStatus(datacenterId, source.Location, Reachable: false, Error: null, LastSuccess: null, []);
        _liveStatus = new LiveFeed<TraceTailStatus>(_status);
    }

    public string DatacenterId { get; }

    /// <summary>Bytes read per instance per poll at most (bounds a poll's time and memory).</summary>
    public int MaxBytesPerPoll { get; init; } = 1024 * 1024;

    /// <summary>How far before the end of each newest file the tail starts (history shown when the view opens).</summary>
    public long BackfillBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// The zone the datacenter's gateways write their times in: where a tail began after older lines but read none yet,
    /// the buffer is told the start moment in that time.
    /// </summary>
    public TimeZoneInfo Zone { get; init; } = TimeZoneInfo.Utc;

    public TraceTailStatus Status
    {
        get { lock (_gate) return _status; }
    }

    /// <summary><see cref="Status"/>, live: a new value each time it changes its <see cref="TraceTailStatus.Version"/>.</summary>
    public ILiveFeed<TraceTailStatus> LiveStatus => _liveStatus;

    /// <summary>One round: list, read each instance's new lines, append them. Returns whether the source answered.</summary>
    public async Task<bool> PollOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<TraceFileInfo> listing;
        try
        {
            listing = await _source.ListFilesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TraceLogSourceException e)
        {
            SetStatus(false, e.Message, []);
            return false;
        }
        var notes = new List<string>();
        foreach (var instance in listing.Select(f => (f.GroupId, f.InstanceId)).Distinct())
        {
            if (!_followers.TryGetValue(instance, out var follower))
                _followers[instance] = follower = new InstanceTraceFollower(instance.GroupId, instance.InstanceId);
            try
            {
                var read = await follower.PollAsync(_source, listing, MaxBytesPerPoll, BackfillBytes, cancellationToken).ConfigureAwait(false);
                NoteStart(follower, read.Entries);
                _buffer.Append(DatacenterId, instance.GroupId, instance.InstanceId, follower.Cursor?.File.Name ?? "", read.Entries);
                notes.AddRange(read.Notes.Select(n => $"{DatacenterId}: {n}"));
            }
            catch (TraceLogSourceException e)
            {
                // One instance's file failing (gone mid-read, a broken connection) leaves the others readable.
                notes.Add($"{DatacenterId}: {instance.GroupId}/{instance.InstanceId}: {e.Message}");
                _logger.LogDebug(e, "Reading trace of {Group}/{Instance} in {Datacenter}", instance.GroupId, instance.InstanceId, DatacenterId);
            }
        }
        SetStatus(true, null, notes);
        return true;
    }

    /// <summary>
    /// Where an instance's tail began after older lines, the buffer learns from when it holds that instance's lines: the
    /// first line read (a file is in time order), or, when the read found none, this moment in the datacenter's time
    /// (every line written after it will be read).
    /// </summary>
    private void NoteStart(InstanceTraceFollower follower, IReadOnlyList<TraceEntry> entries)
    {
        if (!follower.StartPending)
            return;
        var first = entries.FirstOrDefault(e => e.Time is not null)?.Time;
        _buffer.NoteTailStart(DatacenterId, first ?? TimeZoneInfo.ConvertTime(_time.GetUtcNow(), Zone).DateTime);
        follower.StartNoted();
    }

    /// <summary>Polls every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollOnceAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever a log source throws, the tail says it cannot read and tries again: it never stops the console.
                _logger.LogWarning(e, "Trace tail of {Datacenter}: unexpected failure", DatacenterId);
                SetStatus(false, $"the log source failed: {e.Message}", []);
                try
                {
                    await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void SetStatus(bool reachable, string? error, List<string> notes)
    {
        TraceTailStatus status;
        bool changed;
        lock (_gate)
        {
            foreach (var note in notes)
            {
                _notes.Enqueue(note);
                while (_notes.Count > MaxNotes)
                    _notes.Dequeue();
            }
            var previous = _status;
            var now = _time.GetUtcNow();
            // The first failure after a success starts the outage; later failures keep its start.
            var unreachableSince = reachable ? (DateTimeOffset?)null : previous.UnreachableSince ?? now;
            changed = notes.Count > 0 || previous.Reachable != reachable || previous.Error != error
                || previous.UnreachableSince != unreachableSince || previous.LastSuccess is null && reachable;
            status = new TraceTailStatus(DatacenterId, _source.Location, reachable, error,
                reachable ? now : previous.LastSuccess, changed ? _notes.ToList() : previous.Notes, unreachableSince,
                changed ? previous.Version + 1 : previous.Version);
            _status = status;
            if (changed)
                _liveStatus.Publish(status);
        }
    }

    /// <summary>The source a datacenter's <c>Logs</c> configuration names; null when it names none.</summary>
    public static ITraceLogSource? SourceFor(TraceLogOptions options, HttpClient http, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.Directory))
            return new DirectoryTraceLogSource(options.Directory);
        if (!string.IsNullOrWhiteSpace(options.Url))
            return new HttpTraceLogSource(http, new Uri(options.Url), timeout);
        return null;
    }
}
