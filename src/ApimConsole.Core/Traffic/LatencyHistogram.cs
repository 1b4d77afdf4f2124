using System.Globalization;
using System.Text;

namespace ApimConsole.Core.Traffic;

/// <summary>
/// Transaction durations in logarithmic buckets: bucket <c>i</c> holds durations up to <c>1.08^i</c> ms, so any
/// percentile read from it is within 8% of the true value (clamped to the exact minimum and maximum seen).
/// Mergeable, so per-minute histograms add up to any window; stored compactly as <see cref="Encode"/> text.
/// </summary>
public sealed class LatencyHistogram
{
    public const double Growth = 1.08;

    /// <summary>Enough buckets for 10 minutes (1.08^179 ≈ 9.5e5 ms); longer durations share the last bucket.</summary>
    public const int BucketCount = 180;

    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }
    public double MinMs { get; private set; } = double.NaN;
    public double MaxMs { get; private set; } = double.NaN;

    public void Add(double durationMs, long times = 1)
    {
        if (double.IsNaN(durationMs) || times <= 0)
            return;
        durationMs = Math.Max(0, durationMs);
        _counts[BucketOf(durationMs)] += times;
        Count += times;
        MinMs = double.IsNaN(MinMs) ? durationMs : Math.Min(MinMs, durationMs);
        MaxMs = double.IsNaN(MaxMs) ? durationMs : Math.Max(MaxMs, durationMs);
    }

    public void Merge(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0)
            return;
        for (var i = 0; i < BucketCount; i++)
            _counts[i] += other._counts[i];
        Count += other.Count;
        MinMs = double.IsNaN(MinMs) ? other.MinMs : Math.Min(MinMs, other.MinMs);
        MaxMs = double.IsNaN(MaxMs) ? other.MaxMs : Math.Max(MaxMs, other.MaxMs);
    }

    /// <summary>The duration below which a share <paramref name="p"/> (0..1) of transactions finished; null when empty.</summary>
    public double? Percentile(double p)
    {
        if (p is < 0 or > 1 || double.IsNaN(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "A percentile is between 0 and 1.");
        if (Count == 0)
            return null;
        var rank = Math.Max(1, (long)Math.Ceiling(p * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen < rank)
                continue;
            // The slowest transaction, and the open-ended last bucket, are known exactly.
            if (seen == Count && rank == Count || i == BucketCount - 1)
                return MaxMs;
            return Math.Clamp(UpperBound(i), MinMs, MaxMs);
        }
        return MaxMs;
    }

    public static int BucketOf(double durationMs) =>
        durationMs <= 1 ? 0 : Math.Min(BucketCount - 1, (int)Math.Ceiling(Math.Log(durationMs) / LogGrowth - 1e-9));

    public static double UpperBound(int bucket) => Math.Pow(Growth, bucket);

    /// <summary>Sparse text: <c>min;max;bucket:count,bucket:count</c>, invariant culture. Empty histogram: empty string.</summary>
    public string Encode()
    {
        if (Count == 0)
            return "";
        var text = new StringBuilder();
        text.Append(MinMs.ToString("R", CultureInfo.InvariantCulture)).Append(';').Append(MaxMs.ToString("R", CultureInfo.InvariantCulture)).Append(';');
        var first = true;
        for (var i = 0; i < BucketCount; i++)
        {
            if (_counts[i] == 0)
                continue;
            if (!first)
                text.Append(',');
            text.Append(i.ToString(CultureInfo.InvariantCulture)).Append(':').Append(_counts[i].ToString(CultureInfo.InvariantCulture));
            first = false;
        }
        return text.ToString();
    }

    /// <summary>Reads <see cref="Encode"/>'s text; anything else throws <see cref="FormatException"/> naming the problem.</summary>
    public static LatencyHistogram Decode(string? text)
    {
        var histogram = new LatencyHistogram();
        if (string.IsNullOrEmpty(text))
            return histogram;
        var parts = text.Split(';');
        if (parts.Length != 3
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var min)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var max)
            || min < 0 || max < min)
            throw new FormatException($"Not a latency histogram: '{Shorten(text)}' (expected min;max;bucket:count,...).");
        foreach (var pair in parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':');
            if (colon <= 0
                || !int.TryParse(pair.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var bucket)
                || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                || bucket >= BucketCount || count <= 0)
                throw new FormatException($"Not a latency histogram bucket: '{Shorten(pair)}'.");
            histogram._counts[bucket] += count;
            histogram.Count += count;
        }
        if (histogram.Count == 0)
            throw new FormatException("A latency histogram with a minimum and maximum must have buckets.");
        histogram.MinMs = min;
        histogram.MaxMs = max;
        return histogram;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
