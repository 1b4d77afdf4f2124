using ApimConsole.Core.Live;

namespace ApimConsole.Core.Traffic;

/// <summary>Requests of one API path or one instance over a window.</summary>
public sealed record TrafficShare(string DatacenterId, string Key, long Count, long Failures, double? RequestsPerSecond, double Share)
{
    public double? ErrorRate => Count == 0 ? null : (double)Failures / Count;

    /// <summary>
    /// Set for an instance that served nothing in the last minutes: the minute it last served in. Its
    /// <see cref="RequestsPerSecond"/> and <see cref="Count"/> are then that minute's, figures of the past; its
    /// <see cref="Share"/> of the load now is zero.
    /// </summary>
    public DateTimeOffset? LastSeen { get; init; }
}

/// <summary>
/// What the traffic page and API show for one datacenter (or the combination) over one window. The series and top APIs
/// cover the window; the instances' load covers the last <see cref="TrafficHistory.InstanceLoadSpan"/> whatever the
/// window, since it is there to show the headroom of the instances serving now.
/// </summary>
public sealed record TrafficView(
    string Label,
    TrafficSeries Series,
    IReadOnlyList<TrafficShare> TopApis,
    IReadOnlyList<TrafficShare> Instances,
    IReadOnlyList<CoverageSpan> Gaps);

/// <summary>
/// The roll-ups the views read, held in memory in the shapes the windows need: per datacenter and minute for the
/// last 10 hours, per datacenter and hour for 5 days, and request counts per instance and API path at both
/// resolutions. The store keeps the per-minute, per-instance, per-path cells; this index is rebuilt from them at
/// start and fed by the collector, so drawing the 5-day view merges a few hundred cells, not a million.
/// Thread-safe: the collector writes while circuits read.
/// </summary>
public sealed class TrafficHistory
{
    /// <summary>The vendor's longest window, plus a margin so its first bucket is whole.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(5) + TimeSpan.FromHours(6);

    /// <summary>Minute resolution is kept as long as the 10-hour window needs it.</summary>
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromHours(10) + TimeSpan.FromMinutes(20);

    /// <summary>Distinct API paths per datacenter and minute (or hour) in the breakdown; the rest is counted as one.</summary>
    public const int MaxPathsPerSlot = 500;

    /// <summary>The instances' load and shares are of the last minutes (this many, the one in progress included), not of the window.</summary>
    public static readonly TimeSpan InstanceLoadSpan = TimeSpan.FromMinutes(3);

    /// <summary>Coverage spans kept per datacenter; flapping older than that is forgotten (its cells stay).</summary>
    public const int MaxSpansPerDatacenter = 20_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Dc, DateTimeOffset Minute), TrafficStats> _minutes = [];
    private readonly Dictionary<(string Dc, DateTimeOffset Hour), TrafficStats> _hours = [];
    private readonly Dictionary<BreakdownKey, Counts> _breakdownMinutes = [];
    private readonly Dictionary<BreakdownKey, Counts> _breakdownTenMinutes = [];
    private readonly Dictionary<BreakdownKey, Counts> _breakdownHours = [];
    // Requests per instance and minute, all paths together: the instances' current load and when each last served.
    private readonly Dictionary<(string Dc, string Instance, DateTimeOffset Minute), Counts> _instanceMinutes = [];
    private readonly Dictionary<(string Dc, DateTimeOffset Slot), int> _pathsPerMinute = [];
    private readonly Dictionary<(string Dc, DateTimeOffset Slot), int> _pathsPerTenMinutes = [];
    private readonly Dictionary<(string Dc, DateTimeOffset Slot), int> _pathsPerHour = [];
    private readonly Dictionary<string, List<CoverageSpan>> _coverage = new(StringComparer.OrdinalIgnoreCase);
    private readonly LiveFeed<long> _versions = new(0);
    private DateTimeOffset _latestMinute = DateTimeOffset.MinValue;
    private DateTimeOffset _minutesTrimmedAt = DateTimeOffset.MinValue;

    private readonly record struct BreakdownKey(string Dc, string Instance, string Path, DateTimeOffset Slot);

    private sealed class Counts
    {
        public long Count;
        public long Failures;
    }

    /// <summary>Moves on every change; a view built at one version is current until it moves.</summary>
    public long Version => _versions.Current;

    /// <summary>The live <see cref="Version"/>: it moves after every change (pages watch it and rebuild their report).</summary>
    public ILiveFeed<long> Versions => _versions;

    /// <summary>How many subscribe to <see cref="Versions"/> (a page that was closed must not).</summary>
    public int Listeners => _versions.Subscribers;

    public void Add(IEnumerable<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells) =>
        Add(cells.Select(c => new TrafficCell(c.Key.DatacenterId, c.Key.InstanceId, c.Key.ApiPath, c.Key.Minute, c.Value)));

    public void Add(IEnumerable<TrafficCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var any = false;
        lock (_gate)
        {
            foreach (var cell in cells)
            {
                any = true;
                var minute = TrafficRollup.MinuteOf(cell.Minute);
                var hour = HourOf(minute);
                if (minute > _latestMinute)
                {
                    _latestMinute = minute;
                    TrimMinutesLocked();
                }
                // Minute resolution only for what the 10-hour window can still show (a 5-day load at start is mostly older).
                if (minute >= _latestMinute - MinuteRetention)
                {
                    MergeInto(_minutes, (cell.DatacenterId, minute), cell.Stats);
                    Count(_breakdownMinutes, _pathsPerMinute, cell.DatacenterId, cell.InstanceId, cell.ApiPath, minute, cell.Stats);
                    Count(_breakdownTenMinutes, _pathsPerTenMinutes, cell.DatacenterId, cell.InstanceId, cell.ApiPath, TenMinutesOf(minute), cell.Stats);
                    var instanceKey = (cell.DatacenterId, cell.InstanceId, minute);
                    if (!_instanceMinutes.TryGetValue(instanceKey, out var perInstance))
                        _instanceMinutes[instanceKey] = perInstance = new Counts();
                    perInstance.Count += cell.Stats.Count;
                    perInstance.Failures += cell.Stats.Failures;
                }
                MergeInto(_hours, (cell.DatacenterId, hour), cell.Stats);
                Count(_breakdownHours, _pathsPerHour, cell.DatacenterId, cell.InstanceId, cell.ApiPath, hour, cell.Stats);
            }
        }
        if (any)
            Touch();
    }

    /// <summary>
    /// As data moves on, minute detail falls out of the 10-hour window: trim it every half hour of data, so even one
    /// call with days of cells never holds more than the window needs.
    /// </summary>
    private void TrimMinutesLocked()
    {
        if (_latestMinute - _minutesTrimmedAt < TimeSpan.FromMinutes(30))
            return;
        _minutesTrimmedAt = _latestMinute;
        var cut = _latestMinute - MinuteRetention;
        RemoveWhere(_minutes, k => k.Minute < cut);
        RemoveWhere(_breakdownMinutes, k => k.Slot < cut);
        RemoveWhere(_instanceMinutes, k => k.Minute < cut);
        RemoveWhere(_pathsPerMinute, k => k.Slot < cut);
        RemoveWhere(_breakdownTenMinutes, k => k.Slot < cut);
        RemoveWhere(_pathsPerTenMinutes, k => k.Slot < cut);
    }

    /// <summary>
    /// Records what a poll of a datacenter found: a span that continues the last one in the same state (and starts
    /// no later than it ends) extends it, so steady collection is one span, not one per poll.
    /// </summary>
    public CoverageSpan RecordCoverage(CoverageSpan span)
    {
        ArgumentNullException.ThrowIfNull(span);
        if (span.To < span.From)
            throw new ArgumentException("A coverage span ends after it starts.", nameof(span));
        CoverageSpan result;
        lock (_gate)
        {
            if (!_coverage.TryGetValue(span.DatacenterId, out var spans))
                _coverage[span.DatacenterId] = spans = [];
            var last = spans.Count > 0 ? spans[^1] : null;
            if (last is not null && last.Collected == span.Collected && last.Reason == span.Reason
                && span.From <= last.To && span.To >= last.To)
            {
                result = last with { To = span.To };
                spans[^1] = result;
            }
            else
            {
                result = span;
                spans.Add(span);
                if (spans.Count > MaxSpansPerDatacenter)
                    spans.RemoveRange(0, spans.Count - MaxSpansPerDatacenter);
            }
        }
        Touch();
        return result;
    }

    /// <summary>Spans read back from the store at start, oldest first.</summary>
    public void LoadCoverage(IEnumerable<CoverageSpan> spans)
    {
        lock (_gate)
        {
            foreach (var span in spans.OrderBy(s => s.From))
            {
                if (!_coverage.TryGetValue(span.DatacenterId, out var list))
                    _coverage[span.DatacenterId] = list = [];
                list.Add(span);
            }
        }
        Touch();
    }

    public IReadOnlyList<CoverageSpan> Coverage(string datacenterId)
    {
        lock (_gate)
            return _coverage.TryGetValue(datacenterId, out var spans) ? [.. spans] : [];
    }

    /// <summary>The end of the last span in which the datacenter was read, if any.</summary>
    public DateTimeOffset? CollectedUntil(string datacenterId)
    {
        lock (_gate)
            return _coverage.TryGetValue(datacenterId, out var spans) ? spans.LastOrDefault(s => s.Collected)?.To : null;
    }

    /// <summary>Forgets what is older than the windows need.</summary>
    public void Prune(DateTimeOffset now)
    {
        var minuteCut = now - MinuteRetention;
        var hourCut = now - Retention;
        lock (_gate)
        {
            RemoveWhere(_minutes, k => k.Minute < minuteCut);
            RemoveWhere(_hours, k => k.Hour < hourCut);
            RemoveWhere(_breakdownMinutes, k => k.Slot < minuteCut);
            RemoveWhere(_instanceMinutes, k => k.Minute < minuteCut);
            RemoveWhere(_breakdownHours, k => k.Slot < hourCut);
            RemoveWhere(_pathsPerMinute, k => k.Slot < minuteCut);
            RemoveWhere(_breakdownTenMinutes, k => k.Slot < minuteCut);
            RemoveWhere(_pathsPerTenMinutes, k => k.Slot < minuteCut);
            RemoveWhere(_pathsPerHour, k => k.Slot < hourCut);
            foreach (var spans in _coverage.Values)
                spans.RemoveAll(s => s.To < hourCut);
        }
    }

    /// <summary>
    /// One view per datacenter in <paramref name="datacenters"/> and, when there are several, a combined one last.
    /// A datacenter's view uses only its own coverage, so another DC's outage never shows in it.
    /// </summary>
    public IReadOnlyList<TrafficView> Views(TrafficWindow window, DateTimeOffset now, IReadOnlyList<string> datacenters, string combinedLabel = "combined", int topApis = 10)
    {
        var start = TrafficSeriesBuilder.WindowStart(window, now);
        var byHour = window == TrafficWindow.FiveDays;
        List<TrafficCell> cells;
        List<(BreakdownKey Key, long Count, long Failures)> breakdown;
        List<((string Dc, string Instance, DateTimeOffset Minute) Key, long Count, long Failures)> instanceMinutes;
        Dictionary<string, IReadOnlyList<CoverageSpan>> coverage;
        var loadFrom = TrafficRollup.MinuteOf(now) - InstanceLoadSpan + TimeSpan.FromMinutes(1);
        lock (_gate)
        {
            cells = byHour
                ? _hours.Where(p => p.Key.Hour >= start).Select(p => new TrafficCell(p.Key.Dc, "*", "*", p.Key.Hour, p.Value)).ToList()
                : _minutes.Where(p => p.Key.Minute >= start).Select(p => new TrafficCell(p.Key.Dc, "*", "*", p.Key.Minute, p.Value)).ToList();
            // The breakdown at the coarsest resolution that still fits the window's start: a window starts on its step.
            var resolution = window switch
            {
                TrafficWindow.FiveDays => _breakdownHours,
                TrafficWindow.TenHours => _breakdownTenMinutes,
                _ => _breakdownMinutes,
            };
            breakdown = resolution
                .Where(p => p.Key.Slot >= start && p.Key.Slot <= now)
                .Select(p => (p.Key, p.Value.Count, p.Value.Failures)).ToList();
            // Back to the window's start (or the last minutes, for a shorter window): an instance that served in it and not
            // lately is listed with when it last did.
            var instancesFrom = start < loadFrom ? start : loadFrom;
            instanceMinutes = _instanceMinutes.Where(p => p.Key.Minute >= instancesFrom && p.Key.Minute <= now)
                .Select(p => (p.Key, p.Value.Count, p.Value.Failures)).ToList();
            coverage = datacenters.ToDictionary(dc => dc, dc => (IReadOnlyList<CoverageSpan>)(_coverage.TryGetValue(dc, out var s)
                ? s.Where(x => x.To > start).ToList()
                : []), StringComparer.OrdinalIgnoreCase);
        }

        // Stats are merged into fresh buckets by the builder; the cells' own stats are only read.
        var loadCovered = datacenters.ToDictionary(dc => dc, dc => TrafficSeriesBuilder.CoveredSeconds(coverage[dc], loadFrom, now), StringComparer.OrdinalIgnoreCase);
        var views = new List<TrafficView>();
        foreach (var dc in datacenters)
        {
            var own = new Dictionary<string, IReadOnlyList<CoverageSpan>> { [dc] = coverage[dc] };
            var covered = TrafficSeriesBuilder.CoveredSeconds(coverage[dc], start, now);
            var view = BuildView(dc, window, now, cells.Where(c => c.DatacenterId.Equals(dc, StringComparison.OrdinalIgnoreCase)), own,
                breakdown.Where(b => b.Key.Dc.Equals(dc, StringComparison.OrdinalIgnoreCase)).ToList(), covered, topApis);
            views.Add(view with { Instances = InstanceLoad(instanceMinutes.Where(m => m.Key.Dc.Equals(dc, StringComparison.OrdinalIgnoreCase)), loadFrom, loadCovered) });
        }
        if (datacenters.Count > 1)
        {
            // Combined rates add up each DC's rate: the covered time is the longest any DC was covered.
            var covered = datacenters.Max(dc => TrafficSeriesBuilder.CoveredSeconds(coverage[dc], start, now));
            var view = BuildView(combinedLabel, window, now, cells.Where(c => coverage.ContainsKey(c.DatacenterId)), coverage,
                breakdown.Where(b => coverage.ContainsKey(b.Key.Dc)).ToList(), covered, topApis);
            views.Add(view with { Instances = InstanceLoad(instanceMinutes.Where(m => coverage.ContainsKey(m.Key.Dc)), loadFrom, loadCovered) });
        }
        return views;
    }

    private static TrafficView BuildView(string label, TrafficWindow window, DateTimeOffset now, IEnumerable<TrafficCell> cells,
        IReadOnlyDictionary<string, IReadOnlyList<CoverageSpan>> coverage, List<(BreakdownKey Key, long Count, long Failures)> breakdown,
        double coveredSeconds, int topApis)
    {
        var series = TrafficSeriesBuilder.Build(label, window, now, cells, coverage);
        var total = breakdown.Sum(b => b.Count);
        TrafficShare Share(string dc, string key, IEnumerable<(BreakdownKey Key, long Count, long Failures)> rows)
        {
            long count = 0, failures = 0;
            foreach (var row in rows)
            {
                count += row.Count;
                failures += row.Failures;
            }
            return new TrafficShare(dc, key, count, failures, coveredSeconds > 0 ? count / coveredSeconds : null, total == 0 ? 0 : (double)count / total);
        }
        var apis = breakdown.GroupBy(b => b.Key.Path, StringComparer.Ordinal)
            .Select(g => Share(coverage.Count == 1 ? coverage.Keys.First() : "*", g.Key, g))
            .OrderByDescending(s => s.Count).ThenBy(s => s.Key, StringComparer.Ordinal).Take(topApis).ToList();
        var start = TrafficSeriesBuilder.WindowStart(window, now);
        var gaps = coverage.Values.SelectMany(s => s).Where(s => !s.Collected && s.To > start).OrderBy(s => s.From).ToList();
        return new TrafficView(label, series, apis, [], gaps);
    }

    /// <summary>
    /// Each instance's load over the last minutes (from <paramref name="loadFrom"/>): its rate over the time its
    /// datacenter was read, and its share of what all of them served. An instance that served earlier and not since is
    /// listed with the figures of the last minute it served in, marked with it (<see cref="TrafficShare.LastSeen"/>), and
    /// no share: a stopped instance's old 21 % must not hide the headroom of those serving now.
    /// </summary>
    private static List<TrafficShare> InstanceLoad(IEnumerable<((string Dc, string Instance, DateTimeOffset Minute) Key, long Count, long Failures)> minutes,
        DateTimeOffset loadFrom, IReadOnlyDictionary<string, double> coveredSeconds)
    {
        var perInstance = minutes.GroupBy(m => (m.Key.Dc, m.Key.Instance)).ToList();
        long total = 0;
        foreach (var group in perInstance)
            total += group.Where(m => m.Key.Minute >= loadFrom).Sum(m => m.Count);
        var shares = new List<TrafficShare>(perInstance.Count);
        foreach (var group in perInstance)
        {
            var (dc, instance) = group.Key;
            var recent = group.Where(m => m.Key.Minute >= loadFrom).ToList();
            var count = recent.Sum(m => m.Count);
            if (count > 0)
            {
                var covered = coveredSeconds.GetValueOrDefault(dc);
                shares.Add(new TrafficShare(dc, instance, count, recent.Sum(m => m.Failures), covered > 0 ? count / covered : null, total == 0 ? 0 : (double)count / total));
                continue;
            }
            var last = group.Where(m => m.Count > 0).MaxBy(m => m.Key.Minute);
            if (last.Count == 0)
                continue;
            shares.Add(new TrafficShare(dc, instance, last.Count, last.Failures, last.Count / 60.0, 0) { LastSeen = last.Key.Minute });
        }
        return shares.OrderBy(s => s.DatacenterId, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public static DateTimeOffset TenMinutesOf(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var step = TimeSpan.FromMinutes(10).Ticks;
        return new DateTimeOffset(utc.Ticks - utc.Ticks % step, TimeSpan.Zero);
    }

    public static DateTimeOffset HourOf(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerHour, TimeSpan.Zero);
    }

    private static void Count(Dictionary<BreakdownKey, Counts> breakdown, Dictionary<(string Dc, DateTimeOffset Slot), int> pathsPerSlot, string dc, string instance, string path, DateTimeOffset slot, TrafficStats stats)
    {
        var key = new BreakdownKey(dc, instance, path, slot);
        if (!breakdown.TryGetValue(key, out var counts))
        {
            // A flood of distinct paths must not grow the index without bound.
            var slotKey = (dc, slot);
            var paths = pathsPerSlot.GetValueOrDefault(slotKey);
            if (paths >= MaxPathsPerSlot)
                key = key with { Path = TrafficRollup.OtherPaths };
            if (!breakdown.TryGetValue(key, out counts))
            {
                breakdown[key] = counts = new Counts();
                pathsPerSlot[slotKey] = paths + 1;
            }
        }
        counts.Count += stats.Count;
        counts.Failures += stats.Failures;
    }

    private static void MergeInto<TKey>(Dictionary<TKey, TrafficStats> cells, TKey key, TrafficStats stats) where TKey : notnull
    {
        if (!cells.TryGetValue(key, out var existing))
            cells[key] = existing = new TrafficStats();
        existing.Merge(stats);
    }

    private static void RemoveWhere<TKey, TValue>(Dictionary<TKey, TValue> dictionary, Func<TKey, bool> predicate) where TKey : notnull
    {
        foreach (var key in dictionary.Keys.Where(predicate).ToList())
            dictionary.Remove(key);
    }

    private void Touch()
    {
        _versions.Update(version => version + 1);
    }
}
