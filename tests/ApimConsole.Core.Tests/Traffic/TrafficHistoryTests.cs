using ApimConsole.Core.Traffic;

namespace ApimConsole.Core.Tests.Traffic;

public sealed class TrafficHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private static KeyValuePair<TrafficMinuteKey, TrafficStats> Cell(string dc, string instance, string path, DateTimeOffset minute, int count, int failures = 0, double ms = 10)
    {
        var stats = new TrafficStats();
        for (var i = 0; i < count; i++)
            stats.Add(new TrafficTransaction(dc, instance, "ab", minute, ms, i < failures ? 500 : 200, "GET", path, null, i < failures ? "Fail" : "Pass"));
        return new(new TrafficMinuteKey(dc, instance, path, minute), stats);
    }

    [Fact]
    public void EachDatacenter_HasItsOwnRates_AndTheCombinedViewAddsThem()
    {
        var history = new TrafficHistory();
        var now = T0.AddMinutes(10);
        history.RecordCoverage(new CoverageSpan("dc1", T0.AddMinutes(-1), now, true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(-1), now, true, null));
        history.Add([Cell("dc1", "instance-1", "/a", T0.AddMinutes(5), 60), Cell("dc2", "instance-3", "/a", T0.AddMinutes(5), 120, failures: 12)]);

        var views = history.Views(TrafficWindow.TenMinutes, now, ["dc1", "dc2"]);
        Assert.Equal(["dc1", "dc2", "combined"], views.Select(v => v.Label));
        var point = (TrafficView v) => v.Series.Points.Single(p => p.Start == T0.AddMinutes(5));
        Assert.Equal(1.0, point(views[0]).RequestsPerSecond!.Value, 3);
        Assert.Equal(2.0, point(views[1]).RequestsPerSecond!.Value, 3);
        Assert.Equal(0.1, point(views[1]).ErrorRate!.Value, 3);
        Assert.Equal(3.0, point(views[2]).RequestsPerSecond!.Value, 3);
        // A covered minute with no traffic is a real zero.
        Assert.Equal(0, views[0].Series.Points.Single(p => p.Start == T0.AddMinutes(4)).RequestsPerSecond);
    }

    [Fact]
    public void UnreachableDatacenter_IsAGapWithItsReason_AndTheOtherIsUnaffected()
    {
        var history = new TrafficHistory();
        var now = T0.AddMinutes(10);
        history.RecordCoverage(new CoverageSpan("dc1", T0.AddMinutes(-1), now, true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(-1), T0.AddMinutes(5), true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(5), now, false, "ANM did not answer (connection refused)"));
        history.Add([Cell("dc1", "instance-1", "/a", T0.AddMinutes(7), 60)]);

        var views = history.Views(TrafficWindow.TenMinutes, now, ["dc1", "dc2"]);
        var dc2Late = views[1].Series.Points.Where(p => p.Start >= T0.AddMinutes(5)).ToList();
        Assert.NotEmpty(dc2Late);
        Assert.All(dc2Late, p =>
        {
            Assert.Null(p.RequestsPerSecond);
            Assert.Contains("connection refused", p.GapReason);
        });
        Assert.All(views[0].Series.Points, p => Assert.NotNull(p.RequestsPerSecond));
        var combined = views[2].Series.Points.Single(p => p.Start == T0.AddMinutes(7));
        Assert.Equal(["dc2"], combined.Missing);
        Assert.Equal(1.0, combined.RequestsPerSecond!.Value, 3);
        Assert.Contains(views[1].Gaps, g => g.Reason!.Contains("connection refused"));
    }

    [Fact]
    public void FiveDayView_MergesHoursIntoTwoHourPoints_WithPercentiles()
    {
        var history = new TrafficHistory();
        var now = T0;
        history.RecordCoverage(new CoverageSpan("dc1", now - TimeSpan.FromDays(6), now, true, null));
        for (var m = 0; m < 120; m++)
            history.Add([Cell("dc1", "instance-1", "/a", T0.AddHours(-4).AddMinutes(m), 10, ms: m < 60 ? 10 : 100)]);

        var view = history.Views(TrafficWindow.FiveDays, now, ["dc1"]).Single();
        Assert.Equal(TimeSpan.FromHours(2), view.Series.Step);
        var bucket = view.Series.Points.Single(p => p.Start == T0.AddHours(-4));
        Assert.Equal(1200, bucket.Count);
        Assert.Equal(1200 / 7200.0, bucket.RequestsPerSecond!.Value, 6);
        Assert.InRange(bucket.P50Ms!.Value, 9.2, 10.8);
        Assert.InRange(bucket.P99Ms!.Value, 92, 108);
    }

    [Fact]
    public void DaysOfData_KeepMinuteDetailForTenHours_AndEveryWindowAgreesWithItsSeries()
    {
        var history = new TrafficHistory();
        var now = T0;
        history.RecordCoverage(new CoverageSpan("dc1", now.AddDays(-3), now, true, null));
        for (var m = 2 * 24 * 60; m > 0; m--)
            history.Add([Cell("dc1", "instance-1", "/a", now.AddMinutes(-m), 2)]);

        // At 14:00:00 the minute in progress has not begun: 9 whole minutes, 59 ten-minute steps, 2 whole days.
        foreach (var (window, expected) in new[] { (TrafficWindow.TenMinutes, 2 * 9), (TrafficWindow.TenHours, 2 * 590), (TrafficWindow.FiveDays, 2 * 2 * 24 * 60) })
        {
            var view = history.Views(window, now, ["dc1"]).Single();
            Assert.Equal(expected, view.Series.Points.Sum(p => p.Count));
            Assert.Equal(expected, view.TopApis.Single().Count);
        }
    }

    [Fact]
    public void TopApis_AddUpOverTheWindow()
    {
        var history = new TrafficHistory();
        var now = T0.AddMinutes(10);
        history.RecordCoverage(new CoverageSpan("dc1", T0, now, true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0, now, true, null));
        history.Add([
            Cell("dc1", "instance-1", "/orders", T0.AddMinutes(1), 30),
            Cell("dc1", "instance-2", "/orders", T0.AddMinutes(2), 10, failures: 5),
            Cell("dc1", "instance-1", "/payments", T0.AddMinutes(3), 20),
            Cell("dc2", "instance-3", "/orders", T0.AddMinutes(3), 40),
        ]);
        var views = history.Views(TrafficWindow.TenMinutes, now, ["dc1", "dc2"]);

        Assert.Equal(["/orders", "/payments"], views[0].TopApis.Select(a => a.Key));
        Assert.Equal(40, views[0].TopApis[0].Count);
        Assert.Equal(5 / 40.0, views[0].TopApis[0].ErrorRate);
        Assert.Equal(80, views[2].TopApis[0].Count);
    }

    [Fact]
    public void InstanceLoad_FollowsTheLastMinutes_AndAStoppedInstancesLastFiguresAreMarkedPast()
    {
        // Issue #21: dc2 went down at 14:07; its two instances had served 5 req/s each, dc1's two as much. Over ten
        // minutes each still had about a quarter of the load; now dc1's two carry all of it, at 10 req/s each.
        var history = new TrafficHistory();
        var now = T0.AddMinutes(10).AddSeconds(30);
        history.RecordCoverage(new CoverageSpan("dc1", T0, now, true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0, T0.AddMinutes(7), true, null));
        history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(7), now, false, "connection refused"));
        for (var m = 0; m <= 10; m++)
        {
            var dc2Up = m < 7;
            var perInstance = dc2Up ? 300 : 600;
            var seconds = m == 10 ? 30 : 60;
            history.Add([
                Cell("dc1", "instance-1", "/a", T0.AddMinutes(m), perInstance * seconds / 60),
                Cell("dc1", "instance-2", "/a", T0.AddMinutes(m), perInstance * seconds / 60),
            ]);
            if (dc2Up)
                history.Add([Cell("dc2", "instance-3", "/a", T0.AddMinutes(m), 309), Cell("dc2", "instance-4", "/a", T0.AddMinutes(m), 309)]);
        }

        var views = history.Views(TrafficWindow.TenMinutes, now, ["dc1", "dc2"]);
        var combined = views[2].Instances.ToDictionary(i => $"{i.DatacenterId}/{i.Key}");

        // The last minutes (14:08 to now, 150 s): dc1's instances share the load half and half, at 10 req/s.
        Assert.Equal(0.5, combined["dc1/instance-1"].Share, 6);
        Assert.Equal(10.0, combined["dc1/instance-1"].RequestsPerSecond!.Value, 6);
        Assert.Null(combined["dc1/instance-1"].LastSeen);
        // dc2's: no share now, and their last figures are of the minute they last served in, marked so.
        Assert.Equal(0, combined["dc2/instance-3"].Share);
        Assert.Equal(T0.AddMinutes(6), combined["dc2/instance-3"].LastSeen);
        Assert.Equal(5.15, combined["dc2/instance-3"].RequestsPerSecond!.Value, 6);
        // dc2's own view says the same.
        Assert.Equal(T0.AddMinutes(6), views[1].Instances.Single(i => i.Key == "instance-4").LastSeen);
        Assert.Equal(1.0, views[0].Instances.Sum(i => i.Share), 6);

        // The ten-hour window lists the same load: it is about now, not about the window.
        var tenHours = history.Views(TrafficWindow.TenHours, now, ["dc1", "dc2"])[2].Instances.ToDictionary(i => $"{i.DatacenterId}/{i.Key}");
        Assert.Equal(0.5, tenHours["dc1/instance-2"].Share, 6);
        Assert.Equal(T0.AddMinutes(6), tenHours["dc2/instance-4"].LastSeen);
    }

    [Fact]
    public void ContiguousPolls_InTheSameState_AreOneSpan()
    {
        var history = new TrafficHistory();
        history.RecordCoverage(new CoverageSpan("dc1", T0, T0.AddSeconds(5), true, null));
        var merged = history.RecordCoverage(new CoverageSpan("dc1", T0.AddSeconds(5), T0.AddSeconds(10), true, null));
        history.RecordCoverage(new CoverageSpan("dc1", T0.AddSeconds(10), T0.AddSeconds(15), false, "down"));
        history.RecordCoverage(new CoverageSpan("dc1", T0.AddSeconds(15), T0.AddSeconds(20), false, "down"));

        Assert.Equal(new CoverageSpan("dc1", T0, T0.AddSeconds(10), true, null), merged);
        var spans = history.Coverage("dc1");
        Assert.Equal(2, spans.Count);
        Assert.Equal(T0.AddSeconds(20), spans[1].To);
        Assert.Equal(T0.AddSeconds(10), history.CollectedUntil("dc1"));
    }

    [Fact]
    public void Prune_ForgetsWhatNoWindowShows()
    {
        var history = new TrafficHistory();
        var now = T0.AddDays(6);
        history.RecordCoverage(new CoverageSpan("dc1", T0, T0.AddMinutes(1), true, null));
        history.RecordCoverage(new CoverageSpan("dc1", now.AddMinutes(-1), now, true, null));
        history.Add([Cell("dc1", "i", "/a", T0, 5), Cell("dc1", "i", "/a", now.AddMinutes(-1), 7)]);
        history.Prune(now);
        Assert.Single(history.Coverage("dc1"));
        var view = history.Views(TrafficWindow.FiveDays, now, ["dc1"]).Single();
        Assert.Equal(7, view.Series.Points.Sum(p => p.Count));
    }

    [Fact]
    public void Changes_MoveTheVersion_AndPublishIt()
    {
        var history = new TrafficHistory();
        using var versions = history.Versions.Subscribe();
        var before = history.Version;
        history.Add([Cell("dc1", "i", "/a", T0, 1)]);
        history.Add(Array.Empty<TrafficCell>());
        Assert.True(versions.Updates.TryRead(out var published));
        Assert.Equal(before + 1, published);
        Assert.False(versions.Updates.TryRead(out _));
        Assert.Equal(before + 1, history.Version);
    }
}
