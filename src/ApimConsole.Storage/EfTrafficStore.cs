using System.Runtime.CompilerServices;
using ApimConsole.Core.Traffic;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>The traffic roll-ups and coverage in the console's store. Each call is its own unit of work.</summary>
public sealed class EfTrafficStore(IDbContextFactory<ConsoleDbContext> contexts) : ITrafficStore
{
    public async Task AddCellsAsync(IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells, CancellationToken cancellationToken)
    {
        if (cells.Count == 0)
            return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Cells of one flush span a few minutes: read the rows that may already hold them in one query.
        foreach (var batch in cells.GroupBy(c => c.Key.DatacenterId, StringComparer.Ordinal))
        {
            var dc = batch.Key;
            var first = batch.Min(c => c.Key.Minute);
            var last = batch.Max(c => c.Key.Minute);
            var existing = await db.TrafficMinutes
                .Where(m => m.DatacenterId == dc && m.Minute >= first && m.Minute <= last)
                .ToDictionaryAsync(m => (m.InstanceId, m.ApiPath, m.Minute), cancellationToken);
            foreach (var (key, stats) in batch)
            {
                if (existing.TryGetValue((key.InstanceId, key.ApiPath, key.Minute), out var row))
                {
                    var merged = ToStats(row);
                    merged.Merge(stats);
                    Fill(row, merged);
                }
                else
                {
                    row = new TrafficMinute { DatacenterId = key.DatacenterId, InstanceId = key.InstanceId, ApiPath = key.ApiPath, Minute = key.Minute, Latency = "" };
                    Fill(row, stats);
                    db.TrafficMinutes.Add(row);
                    existing[(key.InstanceId, key.ApiPath, key.Minute)] = row;
                }
            }
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task SaveCoverageAsync(IReadOnlyList<CoverageSpan> spans, CancellationToken cancellationToken)
    {
        if (spans.Count == 0)
            return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var span in spans)
        {
            var row = await db.TrafficCoverage.FirstOrDefaultAsync(c => c.DatacenterId == span.DatacenterId && c.From == span.From, cancellationToken);
            if (row is null)
            {
                db.TrafficCoverage.Add(new TrafficCoverage
                {
                    DatacenterId = span.DatacenterId, From = span.From, To = span.To, Collected = span.Collected, Reason = Shorten(span.Reason),
                });
            }
            else
            {
                row.To = span.To;
                row.Collected = span.Collected;
                row.Reason = Shorten(span.Reason);
            }
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    public async IAsyncEnumerable<TrafficCell> ReadCellsAsync(DateTimeOffset from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await foreach (var row in db.TrafficMinutes.AsNoTracking().Where(m => m.Minute >= from).AsAsyncEnumerable().WithCancellation(cancellationToken))
            yield return new TrafficCell(row.DatacenterId, row.InstanceId, row.ApiPath, row.Minute, ToStats(row));
    }

    public async Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.TrafficCoverage.AsNoTracking().Where(c => c.To >= from).OrderBy(c => c.From).ToListAsync(cancellationToken);
        return rows.Select(r => new CoverageSpan(r.DatacenterId, r.From, r.To, r.Collected, r.Reason)).ToList();
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cells = await db.TrafficMinutes.Where(m => m.Minute < before).ExecuteDeleteAsync(cancellationToken);
        var spans = await db.TrafficCoverage.Where(c => c.To < before).ExecuteDeleteAsync(cancellationToken);
        return cells + spans;
    }

    private static TrafficStats ToStats(TrafficMinute row)
    {
        LatencyHistogram latency;
        try
        {
            latency = LatencyHistogram.Decode(row.Latency);
        }
        catch (FormatException)
        {
            // A damaged histogram loses the percentiles of one cell, not its counts.
            latency = new LatencyHistogram();
        }
        return new TrafficStats
        {
            Count = row.Count, Successes = row.Successes, Failures = row.Failures,
            Status1xx = row.Status1xx, Status2xx = row.Status2xx, Status3xx = row.Status3xx, Status4xx = row.Status4xx, Status5xx = row.Status5xx,
            StatusOther = row.StatusOther, Latency = latency,
        };
    }

    private static void Fill(TrafficMinute row, TrafficStats stats)
    {
        row.Count = stats.Count;
        row.Successes = stats.Successes;
        row.Failures = stats.Failures;
        row.Status1xx = stats.Status1xx;
        row.Status2xx = stats.Status2xx;
        row.Status3xx = stats.Status3xx;
        row.Status4xx = stats.Status4xx;
        row.Status5xx = stats.Status5xx;
        row.StatusOther = stats.StatusOther;
        row.Latency = stats.Latency.Encode();
    }

    private static string? Shorten(string? reason) => reason is { Length: > 2000 } ? reason[..2000] : reason;
}
