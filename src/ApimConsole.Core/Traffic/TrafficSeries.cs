namespace ApimConsole.Core.Traffic;

/// <summary>The three windows the vendor's console offers, and the console keeps.</summary>
public enum TrafficWindow
{
    TenMinutes,
    TenHours,
    FiveDays,
}

/// <summary>
/// A stretch of time for which the collector knows what it read from a datacenter: <see cref="Collected"/> when its
/// polls succeeded (no traffic then means no traffic), otherwise why nothing could be read (a gap, never a zero).
/// </summary>
public sealed record CoverageSpan(string DatacenterId, DateTimeOffset From, DateTimeOffset To, bool Collected, string? Reason);

/// <summary>
/// One point of a chart. Null figures are a gap: <see cref="GapReason"/> says why. <see cref="Missing"/> names the
/// datacenters a combined point lacks (it then shows only the others).
/// </summary>
public sealed record TrafficPoint(
    DateTimeOffset Start,
    long Count,
    double? RequestsPerSecond,
    double? ErrorRate,
    double? P50Ms,
    double? P95Ms,
    double? P99Ms,
    string? GapReason,
    IReadOnlyList<string> Missing);

public sealed record TrafficSeries(string Label, TrafficWindow Window, TimeSpan Step, IReadOnlyList<TrafficPoint> Points);

/// <summary>A roll-up cell as read back from the store.</summary>
public readonly record struct TrafficCell(string DatacenterId, string InstanceId, string ApiPath, DateTimeOffset Minute, TrafficStats Stats);

public static class TrafficSeriesBuilder
{
    /// <summary>Span and step of each window: 10 points of a minute, 60 of ten minutes, 60 of two hours.</summary>
    public static (TimeSpan Span, TimeSpan Step) Shape(TrafficWindow window) => window switch
    {
        TrafficWindow.TenMinutes => (TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1)),
        TrafficWindow.TenHours => (TimeSpan.FromHours(10), TimeSpan.FromMinutes(10)),
        TrafficWindow.FiveDays => (TimeSpan.FromDays(5), TimeSpan.FromHours(2)),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
    };

    /// <summary>The first bucket's start for a window ending at <paramref name="now"/>: buckets are aligned to their step.</summary>
    public static DateTimeOffset WindowStart(TrafficWindow window, DateTimeOffset now)
    {
        var (span, step) = Shape(window);
        var end = Align(now, step) + step;
        return end - span;
    }

    /// <summary>
    /// Builds the series of the datacenters in <paramref name="coverage"/> (one for a DC's own chart, all for the
    /// combined one) from roll-up cells. A DC's rate is its count over the time it was covered in the bucket; a
    /// combined rate is the sum of the DCs' rates. A bucket no DC covered is a gap with the reason.
    /// </summary>
    public static TrafficSeries Build(string label, TrafficWindow window, DateTimeOffset now,
        IEnumerable<TrafficCell> cells, IReadOnlyDictionary<string, IReadOnlyList<CoverageSpan>> coverage)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(coverage);
        var (_, step) = Shape(window);
        var start = WindowStart(window, now);
        var bucketCount = (int)(Shape(window).Span / step);

        var perBucket = new Dictionary<(int Bucket, string Dc), TrafficStats>();
        foreach (var cell in cells)
        {
            if (!coverage.ContainsKey(cell.DatacenterId) || cell.Minute < start || cell.Minute > now)
                continue;
            var bucket = (int)((cell.Minute - start) / step);
            if (bucket >= bucketCount)
                continue;
            if (!perBucket.TryGetValue((bucket, cell.DatacenterId), out var stats))
                perBucket[(bucket, cell.DatacenterId)] = stats = new TrafficStats();
            stats.Merge(cell.Stats);
        }

        var points = new List<TrafficPoint>(bucketCount);
        for (var b = 0; b < bucketCount; b++)
        {
            var from = start + step * b;
            // A bucket that has not begun has nothing to say yet.
            if (from >= now)
                break;
            var to = from + step < now ? from + step : now;
            var total = new TrafficStats();
            double rate = 0;
            var missing = new List<string>();
            string? gapReason = null;
            foreach (var (dc, spans) in coverage)
            {
                var covered = CoveredSeconds(spans, from, to);
                var stats = perBucket.GetValueOrDefault((b, dc));
                if (covered <= 0)
                {
                    missing.Add(dc);
                    gapReason ??= ReasonOfGap(dc, spans, from, to);
                    continue;
                }
                if (stats is null)
                    continue;
                total.Merge(stats);
                rate += stats.Count / covered;
            }

            if (missing.Count == coverage.Count)
            {
                points.Add(new TrafficPoint(from, 0, null, null, null, null, null, gapReason ?? "not collected", missing));
                continue;
            }
            points.Add(new TrafficPoint(from, total.Count, rate, total.ErrorRate,
                total.Latency.Percentile(0.50), total.Latency.Percentile(0.95), total.Latency.Percentile(0.99), null, missing));
        }
        return new TrafficSeries(label, window, step, points);
    }

    /// <summary>Seconds of [from, to) covered by collected spans (overlapping spans counted once).</summary>
    public static double CoveredSeconds(IReadOnlyList<CoverageSpan> spans, DateTimeOffset from, DateTimeOffset to)
    {
        var pieces = spans
            .Where(s => s.Collected && s.To > from && s.From < to)
            .Select(s => (From: s.From < from ? from : s.From, To: s.To > to ? to : s.To))
            .OrderBy(p => p.From)
            .ToList();
        double seconds = 0;
        DateTimeOffset? runFrom = null, runTo = null;
        foreach (var piece in pieces)
        {
            if (runTo is { } end && piece.From <= end)
            {
                if (piece.To > end)
                    runTo = piece.To;
                continue;
            }
            if (runFrom is { } s && runTo is { } e)
                seconds += (e - s).TotalSeconds;
            (runFrom, runTo) = (piece.From, piece.To);
        }
        if (runFrom is { } last && runTo is { } lastEnd)
            seconds += (lastEnd - last).TotalSeconds;
        return seconds;
    }

    private static string ReasonOfGap(string dc, IReadOnlyList<CoverageSpan> spans, DateTimeOffset from, DateTimeOffset to)
    {
        var failed = spans.Where(s => !s.Collected && s.To > from && s.From < to).OrderByDescending(s => s.To).FirstOrDefault();
        return failed?.Reason is { Length: > 0 } reason ? $"{dc}: {reason}" : $"{dc}: not collected (the console was not collecting then)";
    }

    private static DateTimeOffset Align(DateTimeOffset time, TimeSpan step)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % step.Ticks, TimeSpan.Zero);
    }
}
