using ApimConsole.Core.Traffic;

namespace ApimConsole.Core.Tests.Traffic;

public sealed class TrafficSeriesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 14, 10, 0, TimeSpan.Zero);

    private static TrafficCell Cell(string dc, DateTimeOffset minute, int count, int failures = 0, double ms = 20)
    {
        var stats = new TrafficStats();
        for (var i = 0; i < count; i++)
            stats.Add(TrafficRollupTests.Tx(minute, dc: dc, status: i < failures ? 500 : 200, final: i < failures ? "Fail" : "Pass", ms: ms));
        return new TrafficCell(dc, "instance-1", "/api/orders", minute, stats);
    }

    private static Dictionary<string, IReadOnlyList<CoverageSpan>> Covered(params string[] dcs) =>
        dcs.ToDictionary(dc => dc, dc => (IReadOnlyList<CoverageSpan>)[new CoverageSpan(dc, Now.AddDays(-6), Now, true, null)]);

    [Fact]
    public void TenMinutes_HasOnePointPerMinute_WithRatesAndPercentiles()
    {
        var start = TrafficSeriesBuilder.WindowStart(TrafficWindow.TenMinutes, Now.AddSeconds(-1));
        var cells = new[] { Cell("dc1", start, 120, failures: 6, ms: 40) };
        var series = TrafficSeriesBuilder.Build("dc1", TrafficWindow.TenMinutes, Now.AddSeconds(-1), cells, Covered("dc1"));

        Assert.Equal(10, series.Points.Count);
        var first = series.Points[0];
        Assert.Equal(120, first.Count);
        Assert.Equal(2.0, first.RequestsPerSecond!.Value, 6);
        Assert.Equal(0.05, first.ErrorRate!.Value, 6);
        Assert.Equal(40, first.P95Ms);
        // Covered minutes without traffic are zero, not gaps.
        Assert.All(series.Points.Skip(1), p => Assert.Equal(0, p.RequestsPerSecond));
    }

    [Fact]
    public void Uncovered_Bucket_IsAGap_WithTheReason_NeverAZero()
    {
        var coverage = new Dictionary<string, IReadOnlyList<CoverageSpan>>
        {
            ["dc2"] =
            [
                new CoverageSpan("dc2", Now.AddMinutes(-10), Now.AddMinutes(-5), true, null),
                new CoverageSpan("dc2", Now.AddMinutes(-5), Now, false, "ANM unreachable: connection refused"),
            ],
        };
        var series = TrafficSeriesBuilder.Build("dc2", TrafficWindow.TenMinutes, Now, [], coverage);

        // 14:01 to 14:09: the bucket starting at 14:10 has not begun.
        Assert.Equal(9, series.Points.Count);
        var gaps = series.Points.Where(p => p.GapReason is not null).ToList();
        Assert.Equal(5, gaps.Count);
        Assert.All(gaps, p => Assert.Null(p.RequestsPerSecond));
        Assert.All(gaps, p => Assert.Equal("dc2: ANM unreachable: connection refused", p.GapReason));
        Assert.All(series.Points.Where(p => p.GapReason is null), p => Assert.Equal(0, p.RequestsPerSecond));
    }

    [Fact]
    public void Combined_WithOneDatacenterMissing_ShowsTheOther_AndNamesTheMissingOne()
    {
        var coverage = Covered("dc1");
        coverage["dc2"] = [new CoverageSpan("dc2", Now.AddDays(-1), Now, false, "link down")];
        var start = TrafficSeriesBuilder.WindowStart(TrafficWindow.TenMinutes, Now);
        var cells = new[] { Cell("dc1", start, 60), Cell("dc2", start, 600) };

        var series = TrafficSeriesBuilder.Build("all", TrafficWindow.TenMinutes, Now, cells, coverage);
        Assert.Equal(1.0, series.Points[0].RequestsPerSecond!.Value, 6);
        Assert.Equal(["dc2"], series.Points[0].Missing);
        Assert.Null(series.Points[0].GapReason);
    }

    [Fact]
    public void Combined_Rate_IsTheSumOfEachDatacentersRate_OverItsOwnCoverage()
    {
        var start = TrafficSeriesBuilder.WindowStart(TrafficWindow.TenMinutes, Now);
        var coverage = Covered("dc1");
        // dc2 was only covered for the second half of the first minute.
        coverage["dc2"] = [new CoverageSpan("dc2", start.AddSeconds(30), Now, true, null)];
        var cells = new[] { Cell("dc1", start, 60), Cell("dc2", start, 60) };

        var point = TrafficSeriesBuilder.Build("all", TrafficWindow.TenMinutes, Now, cells, coverage).Points[0];
        Assert.Equal(1.0 + 2.0, point.RequestsPerSecond!.Value, 6);
    }

    [Fact]
    public void FiveDays_IsSixtyTwoHourBuckets_AndMergesMinutes()
    {
        var start = TrafficSeriesBuilder.WindowStart(TrafficWindow.FiveDays, Now);
        var cells = Enumerable.Range(0, 120).Select(m => Cell("dc1", start.AddMinutes(m), 60)).ToArray();
        var series = TrafficSeriesBuilder.Build("dc1", TrafficWindow.FiveDays, Now, cells, Covered("dc1"));
        Assert.Equal(TimeSpan.FromHours(2), series.Step);
        Assert.Equal(60, series.Points.Count);
        Assert.Equal(120 * 60, series.Points[0].Count);
        Assert.Equal(1.0, series.Points[0].RequestsPerSecond!.Value, 6);
    }

    [Fact]
    public void CoveredSeconds_CountsOverlapsOnce()
    {
        var from = Now.AddMinutes(-1);
        IReadOnlyList<CoverageSpan> spans =
        [
            new("dc1", from, from.AddSeconds(40), true, null),
            new("dc1", from.AddSeconds(20), from.AddSeconds(50), true, null),
            new("dc1", from.AddSeconds(50), Now, false, "down"),
        ];
        Assert.Equal(50, TrafficSeriesBuilder.CoveredSeconds(spans, from, Now));
    }

    [Fact]
    public void CellsOfOtherDatacenters_AreIgnored()
    {
        var start = TrafficSeriesBuilder.WindowStart(TrafficWindow.TenMinutes, Now);
        var series = TrafficSeriesBuilder.Build("dc1", TrafficWindow.TenMinutes, Now, [Cell("dc2", start, 60)], Covered("dc1"));
        Assert.Equal(0, series.Points[0].Count);
    }
}
