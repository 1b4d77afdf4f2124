using ApimConsole.Core.Live;

namespace ApimConsole.Core.Logs;

/// <summary>One trace entry with where it came from and its place in the buffer.</summary>
public sealed record TraceLogRecord(long Sequence, string DatacenterId, string GroupId, string InstanceId, string FileName, TraceEntry Entry);

/// <summary>
/// The most recent trace entries of the estate, bounded: one ring shared by every reader (the log view pages it; no
/// circuit holds its own copy). Sequence numbers only grow, so a reader asks for what came after the last one it saw.
/// </summary>
public sealed class TraceLogBuffer
{
    private readonly Lock _gate = new();
    private readonly TraceLogRecord?[] _ring;
    private long _lastSequence;
    private int _count;
    private readonly LiveFeed<long> _appends = new(0);
    // Per datacenter, what left the buffer and where its tail began: the exact span it holds (TraceHeldSpan).
    private readonly Dictionary<string, HeldMarks> _held = new(StringComparer.Ordinal);

    public TraceLogBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new TraceLogRecord?[capacity];
    }

    public int Capacity => _ring.Length;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>The sequence of the newest record; 0 when none was ever added.</summary>
    public long LastSequence
    {
        get { lock (_gate) return _lastSequence; }
    }

    /// <summary>
    /// The live <see cref="LastSequence"/>: it moves after records were added (published outside the lock). Readers
    /// ask the buffer for what came after the last sequence they saw.
    /// </summary>
    public ILiveFeed<long> Appends => _appends;

    public void Append(string datacenterId, string groupId, string instanceId, string fileName, IReadOnlyList<TraceEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
            return;
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                var sequence = ++_lastSequence;
                var slot = (int)((sequence - 1) % _ring.Length);
                if (_ring[slot] is { } evicted)
                    MarksOf(evicted.DatacenterId).Evict(evicted.Entry.Time);
                _ring[slot] = new TraceLogRecord(sequence, datacenterId, groupId, instanceId, fileName, entry);
                _count = Math.Min(_count + 1, _ring.Length);
            }
        }
        long last;
        lock (_gate)
            last = _lastSequence;
        // Max, not last: two appenders may publish in either order, the feed only moves forward.
        _appends.Update(published => Math.Max(published, last));
    }

    /// <summary>
    /// Records after <paramref name="afterSequence"/>, oldest first, at most <paramref name="max"/>. When the reader
    /// fell further behind than the buffer holds, it gets the oldest still held.
    /// </summary>
    public IReadOnlyList<TraceLogRecord> ReadAfter(long afterSequence, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 0);
        lock (_gate)
        {
            var oldest = _lastSequence - _count + 1;
            var from = Math.Max(afterSequence + 1, oldest);
            var result = new List<TraceLogRecord>((int)Math.Clamp(_lastSequence - from + 1, 0, max));
            for (var s = from; s <= _lastSequence && result.Count < max; s++)
                result.Add(_ring[(int)((s - 1) % _ring.Length)]!);
            return result;
        }
    }

    /// <summary>
    /// Notes that a tail of <paramref name="datacenterId"/> began after older lines of its files: it read nothing of
    /// one instance before <paramref name="readFrom"/> (the datacenter's local time: the first line it read there, or
    /// where the file ended when it read none). The latest such time counts (<see cref="TraceHeldSpan.ReadFrom"/>).
    /// </summary>
    public void NoteTailStart(string datacenterId, DateTime readFrom)
    {
        ArgumentNullException.ThrowIfNull(datacenterId);
        lock (_gate)
        {
            var marks = MarksOf(datacenterId);
            if (marks.ReadFrom is not { } known || readFrom > known)
                marks.ReadFrom = readFrom;
        }
    }

    /// <summary>How far back the buffer holds <paramref name="datacenterId"/>'s lines (see <see cref="TraceHeldSpan"/>).</summary>
    public TraceHeldSpan HeldSpan(string datacenterId)
    {
        ArgumentNullException.ThrowIfNull(datacenterId);
        lock (_gate)
        {
            var marks = _held.GetValueOrDefault(datacenterId);
            return new TraceHeldSpan(datacenterId, marks?.ReadFrom, marks?.LastEvicted, marks?.Evicted ?? 0, _ring.Length);
        }
    }

    private HeldMarks MarksOf(string datacenterId)
    {
        if (!_held.TryGetValue(datacenterId, out var marks))
            _held[datacenterId] = marks = new HeldMarks();
        return marks;
    }

    /// <summary>The newest <paramref name="max"/> records, oldest first.</summary>
    public IReadOnlyList<TraceLogRecord> Latest(int max)
    {
        lock (_gate)
            return ReadAfter(Math.Max(0, _lastSequence - max), max);
    }

    /// <summary>One datacenter's marks in the buffer (guarded by the buffer's lock).</summary>
    private sealed class HeldMarks
    {
        public DateTime? ReadFrom { get; set; }
        public DateTime? LastEvicted { get; private set; }
        public long Evicted { get; private set; }

        /// <summary>
        /// A line left the buffer. The latest time counts, not the last one: instances reach the buffer in poll order, so a
        /// line dropped later may be older than one dropped before. A line without a time (malformed) moves nothing: the
        /// lines of its file around it carry the times.
        /// </summary>
        public void Evict(DateTime? time)
        {
            Evicted++;
            if (time is { } t && (LastEvicted is not { } last || t > last))
                LastEvicted = t;
        }
    }
}
