namespace ApimConsole.Core.Traffic;

/// <summary>The roll-up's identity: one datacenter, one instance, one API path, one UTC minute.</summary>
public readonly record struct TrafficMinuteKey(string DatacenterId, string InstanceId, string ApiPath, DateTimeOffset Minute);

/// <summary>What happened in one roll-up cell. Adds up: cells of any set of keys merge into a window's figures.</summary>
public sealed class TrafficStats
{
    public long Count { get; set; }
    public long Successes { get; set; }
    public long Failures { get; set; }
    public long Status1xx { get; set; }
    public long Status2xx { get; set; }
    public long Status3xx { get; set; }
    public long Status4xx { get; set; }
    public long Status5xx { get; set; }
    /// <summary>Responses with no HTTP status (connection failures): counted in <see cref="Count"/> and <see cref="Failures"/>.</summary>
    public long StatusOther { get; set; }
    public LatencyHistogram Latency { get; init; } = new();

    public void Add(TrafficTransaction transaction)
    {
        Count++;
        if (transaction.Succeeded)
            Successes++;
        else
            Failures++;
        switch (transaction.Status / 100)
        {
            case 1: Status1xx++; break;
            case 2: Status2xx++; break;
            case 3: Status3xx++; break;
            case 4: Status4xx++; break;
            case 5: Status5xx++; break;
            default: StatusOther++; break;
        }
        Latency.Add(transaction.DurationMs);
    }

    public void Merge(TrafficStats other)
    {
        Count += other.Count;
        Successes += other.Successes;
        Failures += other.Failures;
        Status1xx += other.Status1xx;
        Status2xx += other.Status2xx;
        Status3xx += other.Status3xx;
        Status4xx += other.Status4xx;
        Status5xx += other.Status5xx;
        StatusOther += other.StatusOther;
        Latency.Merge(other.Latency);
    }

    /// <summary>Failures over all transactions; null when there were none.</summary>
    public double? ErrorRate => Count == 0 ? null : (double)Failures / Count;
}

/// <summary>
/// Per-minute roll-ups of transactions, per datacenter, instance and API path. Not thread-safe: one collector owns one.
/// The number of distinct paths per instance and minute is capped: past <see cref="MaxPathsPerInstanceMinute"/>, the
/// rest counts under <see cref="OtherPaths"/>, so a client scanning random URLs cannot grow the store without bound.
/// </summary>
public sealed class TrafficRollup
{
    public const int MaxPathsPerInstanceMinute = 200;
    public const string OtherPaths = "(other paths)";

    private readonly Dictionary<TrafficMinuteKey, TrafficStats> _cells = [];
    private readonly Dictionary<(string Dc, string Instance, DateTimeOffset Minute), int> _pathsPerInstanceMinute = [];

    public int CellCount => _cells.Count;

    public void Add(TrafficTransaction transaction)
    {
        var minute = MinuteOf(transaction.Timestamp);
        var key = new TrafficMinuteKey(transaction.DatacenterId, transaction.InstanceId, transaction.ApiPath, minute);
        if (!_cells.TryGetValue(key, out var stats))
        {
            var slot = (transaction.DatacenterId, transaction.InstanceId, minute);
            var paths = _pathsPerInstanceMinute.GetValueOrDefault(slot);
            if (paths >= MaxPathsPerInstanceMinute)
                key = key with { ApiPath = OtherPaths };
            if (!_cells.TryGetValue(key, out stats))
            {
                stats = new TrafficStats();
                _cells.Add(key, stats);
                _pathsPerInstanceMinute[slot] = paths + 1;
            }
        }
        stats.Add(transaction);
    }

    /// <summary>Adds already rolled-up figures to a cell (a write that failed, put back for the next attempt).</summary>
    public void Merge(TrafficMinuteKey key, TrafficStats stats)
    {
        if (!_cells.TryGetValue(key, out var existing))
            _cells[key] = existing = new TrafficStats();
        existing.Merge(stats);
    }

    /// <summary>Takes out every cell (for storing): the roll-up is empty afterwards.</summary>
    public IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> Drain()
    {
        var cells = _cells.ToList();
        _cells.Clear();
        _pathsPerInstanceMinute.Clear();
        return cells;
    }

    public static DateTimeOffset MinuteOf(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
    }

    public static string PathOf(string uri)
    {
        if (string.IsNullOrEmpty(uri))
            return "/";
        var path = uri;
        // Absolute URIs keep only their path.
        if (System.Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
            path = absolute.AbsolutePath;
        var cut = path.IndexOfAny(['?', '#']);
        if (cut >= 0)
            path = path[..cut];
        if (path.Length == 0)
            return "/";
        path = TemplateIds(path);
        return path.Length <= 400 ? path : path[..400];
    }

    /// <summary>What an id-like path segment becomes, so <c>/orders/v1/items/4711</c> and <c>/orders/v1/items/4712</c> are one API path.</summary>
    public const string IdSegment = "{id}";

    /// <summary>
    /// Replaces id-like segments (all digits, a GUID, or 16+ hex digits) with <see cref="IdSegment"/>: without it,
    /// every resource id would be an "API path" of its own and the top-APIs view would list single requests.
    /// </summary>
    private static string TemplateIds(string path)
    {
        if (!path.AsSpan().ContainsAnyInRange('0', '9'))
            return path;
        var segments = path.Split('/');
        var changed = false;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0 || !IsId(segment))
                continue;
            segments[i] = IdSegment;
            changed = true;
        }
        return changed ? string.Join('/', segments) : path;
    }

    private static bool IsId(string segment) =>
        segment.All(char.IsAsciiDigit)
        || Guid.TryParse(segment, out _)
        || segment.Length >= 16 && segment.All(char.IsAsciiHexDigit);
}
