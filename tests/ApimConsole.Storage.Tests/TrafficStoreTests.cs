using ApimConsole.Core.Traffic;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

public sealed class TrafficStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private static KeyValuePair<TrafficMinuteKey, TrafficStats> Cell(DateTimeOffset minute, params double[] durations)
    {
        var stats = new TrafficStats();
        foreach (var ms in durations)
            stats.Add(new TrafficTransaction("dc1", "instance-1", "ab", minute, ms, ms > 100 ? 503 : 200, "GET", "/orders/v1", null, ms > 100 ? "Fail" : "Pass"));
        return new(new TrafficMinuteKey("dc1", "instance-1", "/orders/v1", minute), stats);
    }

    private static async Task<ITrafficStore> OpenAsync(TempStore store)
    {
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        return store.Services.GetRequiredService<ITrafficStore>();
    }

    [Fact]
    public async Task LateTransactions_MergeIntoTheirMinute_AndHistogramsRoundTrip()
    {
        await using var temp = new TempStore();
        var store = await OpenAsync(temp);
        await store.AddCellsAsync([Cell(T0, 10, 20), Cell(T0.AddMinutes(1), 30)], default);
        await store.AddCellsAsync([Cell(T0, 500)], default);

        var cells = new List<TrafficCell>();
        await foreach (var cell in store.ReadCellsAsync(T0, default))
            cells.Add(cell);
        Assert.Equal(2, cells.Count);
        var first = cells.Single(c => c.Minute == T0).Stats;
        Assert.Equal((3L, 2L, 1L, 1L), (first.Count, first.Successes, first.Failures, first.Status5xx));
        Assert.Equal(500, first.Latency.Percentile(1.0));
        Assert.InRange(first.Latency.Percentile(0.01)!.Value, 10, 10.8);
    }

    [Fact]
    public async Task Coverage_IsUpdatedByItsStart_AndPruneDeletesTheOld()
    {
        await using var temp = new TempStore();
        var store = await OpenAsync(temp);
        await store.SaveCoverageAsync([new CoverageSpan("dc2", T0, T0.AddSeconds(5), true, null)], default);
        await store.SaveCoverageAsync([new CoverageSpan("dc2", T0, T0.AddSeconds(10), true, null), new CoverageSpan("dc2", T0.AddSeconds(10), T0.AddSeconds(15), false, "ANM did not answer")], default);
        await store.AddCellsAsync([Cell(T0.AddDays(-6), 10), Cell(T0, 10)], default);

        var spans = await store.ReadCoverageAsync(T0.AddDays(-1), default);
        Assert.Equal([T0.AddSeconds(10), T0.AddSeconds(15)], spans.Select(s => s.To));
        Assert.Equal("ANM did not answer", spans[1].Reason);

        var deleted = await store.PruneAsync(T0.AddDays(-5), default);
        Assert.Equal(1, deleted);
        var left = new List<TrafficCell>();
        await foreach (var cell in store.ReadCellsAsync(DateTimeOffset.MinValue.AddDays(1), default))
            left.Add(cell);
        Assert.Equal(T0, Assert.Single(left).Minute);
    }
}
