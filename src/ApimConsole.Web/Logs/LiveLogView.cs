using System.Collections.ObjectModel;
using ApimConsole.Core.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// One viewer's window on the shared <see cref="TraceLogBuffer"/>: a cursor (the last sequence read), a datacenter and
/// a filter, and the matching records in the order shown. Each refresh reads only what came after the cursor.
/// </summary>
/// <remarks>
/// Memory: <see cref="Lines"/> holds references to the buffer's records, never copies (a record is shared by every
/// viewer and the buffer). It is trimmed to the records the buffer still holds (the last <see cref="TraceLogBuffer.Capacity"/>
/// sequences), so a viewer costs at most 8 bytes per buffered entry (800 KB at 100,000 entries, less with a filter or
/// another datacenter's lines in between) and keeps no evicted record alive past its next refresh.
/// Entries of different instances reach the buffer in poll order; each refresh sorts what it read by entry time
/// (stable, so lines of one instance keep their file order), which merges the instances of one poll by time.
/// Not thread-safe: one circuit calls it from its own synchronization context.
/// </remarks>
public sealed class LiveLogView(TraceLogBuffer buffer, string datacenterId, LogFilter filter)
{
    private const int ReadChunk = 10_000;
    private readonly List<TraceLogRecord> _lines = [];
    private ReadOnlyCollection<TraceLogRecord>? _readOnly;

    public string DatacenterId { get; private set; } = datacenterId;

    public LogFilter Filter { get; private set; } = filter;

    /// <summary>The filter as it was given: <see cref="Filter"/>'s start moves on when <see cref="SlideFrom"/> slides it.</summary>
    public LogFilter AppliedFilter { get; private set; } = filter;

    /// <summary>The last buffer sequence this view has read.</summary>
    public long Cursor { get; private set; }

    /// <summary>The matching records, oldest first: a list of references to the shared buffer's records.</summary>
    /// <remarks>A read-only wrapper of the view's own list (an <see cref="IList{T}"/>, so Virtualize pages it by index).</remarks>
    public ReadOnlyCollection<TraceLogRecord> Lines => _readOnly ??= _lines.AsReadOnly();

    /// <summary>Entries the buffer dropped before this view read them (it was paused or behind for too long).</summary>
    public long Missed { get; private set; }

    /// <summary>Starts over on another datacenter or filter: everything the buffer still holds is read again.</summary>
    public void Reset(string datacenterId, LogFilter filter)
    {
        DatacenterId = datacenterId;
        Filter = AppliedFilter = filter;
        Cursor = 0;
        Missed = 0;
        _lines.Clear();
    }

    /// <summary>Reads what came after the cursor and appends what matches. Returns how many lines were added.</summary>
    public int Refresh()
    {
        var added = 0;
        var fresh = new List<TraceLogRecord>();
        while (true)
        {
            var batch = buffer.ReadAfter(Cursor, ReadChunk);
            if (batch.Count == 0)
                break;
            // A first refresh starts at whatever the buffer holds; a gap after that means entries went unread.
            if (Cursor > 0 && batch[0].Sequence > Cursor + 1)
                Missed += batch[0].Sequence - Cursor - 1;
            Cursor = batch[^1].Sequence;
            foreach (var record in batch)
            {
                if (string.Equals(record.DatacenterId, DatacenterId, StringComparison.Ordinal) && Filter.Matches(record))
                    fresh.Add(record);
            }
        }
        if (fresh.Count > 0)
        {
            _lines.AddRange(SortByTime(fresh));
            added = fresh.Count;
        }
        Trim();
        return added;
    }

    /// <summary>
    /// Moves the filter's start forward to <paramref name="from"/> (a "last 15 min" window sliding with the clock): the
    /// lines before it leave the view. Nothing is read again: a window that only moves forward needs no line the view
    /// did not already take in, and the lines entering it are new ones the next <see cref="Refresh"/> reads. Returns
    /// how many lines left; a start that does not move changes nothing.
    /// </summary>
    /// <remarks>One pass over the held references, no copy: lines are in time order per refresh, not across
    /// refreshes (instances poll apart), so a leaving line may sit behind a staying one.</remarks>
    public int SlideFrom(DateTime from)
    {
        if (Filter.From is { } current && from <= current)
            return 0;
        Filter = Filter with { From = from };
        return _lines.RemoveAll(line => line.Entry.Time is not { } time || time < from);
    }

    /// <summary>Drops references to records the buffer no longer holds.</summary>
    private void Trim()
    {
        var oldestHeld = buffer.LastSequence - buffer.Capacity + 1;
        var drop = 0;
        while (drop < _lines.Count && _lines[drop].Sequence < oldestHeld)
            drop++;
        if (drop > 0)
            _lines.RemoveRange(0, drop);
    }

    /// <summary>
    /// Stable sort by entry time; an entry without a time (malformed) takes the time of the entry before it in the
    /// same file, so it stays beside its neighbours.
    /// </summary>
    public static IEnumerable<TraceLogRecord> SortByTime(IReadOnlyList<TraceLogRecord> records)
    {
        var keys = new DateTime[records.Count];
        var lastByInstance = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var instance = r.GroupId + "/" + r.InstanceId;
            if (r.Entry.Time is { } t)
                lastByInstance[instance] = keys[i] = t;
            else
                keys[i] = lastByInstance.TryGetValue(instance, out var last) ? last : DateTime.MinValue;
        }
        return Enumerable.Range(0, records.Count).OrderBy(i => keys[i]).Select(i => records[i]);
    }
}
