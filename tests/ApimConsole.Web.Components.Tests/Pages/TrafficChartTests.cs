using ApimConsole.Core.Deployments;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Traffic;
using ApimConsole.Web.Traffic;
using Bunit;

namespace ApimConsole.Web.Tests.Components;

/// <summary>The traffic chart alone: labels as HTML text, gaps as breaks, deployments and overrides marked at their time.</summary>
public sealed class TrafficChartTests : BunitContext
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private IRenderedComponent<TrafficChart> Chart(IReadOnlyList<double?> values, IReadOnlyList<TrafficMarker>? markers = null) =>
        Render<TrafficChart>(p => p
            .Add(c => c.Title, "Requests per second")
            .Add(c => c.TestId, "chart-rate")
            .Add(c => c.Times, values.Select((_, i) => T0.AddMinutes(i)).ToList())
            .Add(c => c.Step, TimeSpan.FromMinutes(1))
            .Add(c => c.Series, [new TrafficChartSeries("req/s", values)])
            .Add(c => c.Markers, markers ?? []));

    [Fact]
    public void AxisLabels_AreHtmlText_NotScaledSvgText_WithARoundTop()
    {
        var chart = Chart([1.0, 4.2, 3.0, 2.0, 1.0, 0.5, 1.5, 2.5, 3.5, 4.0]);
        // Text inside a stretched SVG shrinks with it (6 px labels in a narrow column): there is none.
        Assert.Empty(chart.FindAll("svg text"));
        Assert.Equal(["0", "2.5", "5"], chart.FindAll("[data-testid=y-tick]").Select(t => t.TextContent.Trim()));
        Assert.Equal(5, chart.FindAll("[data-testid=x-label]").Count);
        Assert.Equal(T0.ToLocalTime().ToString("HH:mm"), chart.FindAll("[data-testid=x-label]")[0].TextContent.Trim());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.7, 1)]
    [InlineData(4.2, 5)]
    [InlineData(20, 20)]
    [InlineData(21, 25)]
    [InlineData(1234, 2000)]
    public void TheTop_IsTheNextRoundValue(double max, double top) => Assert.Equal(top, TrafficChartScale.NiceTop(max), 9);

    [Fact]
    public void TickLabels_KeepTheirHalf() =>
        Assert.Equal(["0", "12.5", "25", "12k"], new[] { 0, 12.5, 25, 12_000 }.Select(TrafficChartScale.Label));

    [Fact]
    public void AGap_BreaksTheLine_AndALonePointStillShows()
    {
        var chart = Chart([1.0, 2.0, null, 3.0, null, 4.0, 5.0]);
        var runs = chart.FindAll("[data-testid=chart-run]").Select(r => r.GetAttribute("points")!.Split(' ').Length).ToList();
        Assert.Equal([2, 2, 2], runs);
    }

    [Fact]
    public void DeploymentsAndOverrides_AreMarkedAtTheirTime_AndThoseOutsideAreLeftOut()
    {
        var markers = new[]
        {
            new TrafficMarker(T0.AddMinutes(5), TrafficMarker.Deployment, "deploy #7", "Deployment #7", ["dc1"]),
            new TrafficMarker(T0.AddMinutes(7).AddSeconds(30), TrafficMarker.Override, "override #8", "Break-glass deployment #8", ["dc1"]),
            new TrafficMarker(T0.AddMinutes(-30), TrafficMarker.Deployment, "deploy #6", "Deployment #6", ["dc1"]),
        };
        var chart = Chart(Enumerable.Repeat<double?>(1.0, 10).ToList(), markers);

        var marks = chart.FindAll("[data-testid=chart-marker]");
        Assert.Equal(["deployment", "override"], marks.Select(m => m.GetAttribute("data-kind")));
        Assert.Contains("left:50%;top:0", marks[0].GetAttribute("style"));
        Assert.Contains("left:75%;top:1.3em", marks[1].GetAttribute("style"));
        Assert.Equal("override #8", marks[1].TextContent.Trim());
        Assert.Equal(["500", "750"], chart.FindAll("line.traffic-chart-marker").Select(l => l.GetAttribute("x1")));
        Assert.Equal("2", chart.Find("[data-testid=chart-rate]").GetAttribute("data-markers"));
    }

    [Fact]
    public void Markers_OfRecordedDeployments_AreWhereTheyWent_AndOverridesAreTheirOwnKind()
    {
        Deployment Recorded(long id, string? overrideReason, params (string Dc, DeploymentTargetOutcome Outcome)[] targets) => new()
        {
            Id = id, RequestedAt = T0.AddMinutes(id), StartedAt = T0.AddMinutes(id).AddSeconds(5), RequestedBy = "admin",
            GroupId = "group-3", GroupName = "DMZ", FileNames = "dmz.fed", Sha256 = new string('0', 64), OverrideReason = overrideReason,
            Targets = targets.Select(t => new DeploymentTarget { DatacenterId = t.Dc, Outcome = t.Outcome }).ToList(),
        };
        var markers = TrafficMarker.Of(
        [
            Recorded(2, null, ("dc1", DeploymentTargetOutcome.Succeeded), ("dc2", DeploymentTargetOutcome.Blocked)),
            Recorded(3, "dc2 is down, security fix", ("dc1", DeploymentTargetOutcome.Succeeded)),
            Recorded(4, null),
        ], ["dc1", "dc2"]);

        Assert.Equal([TrafficMarker.Deployment, TrafficMarker.Override, TrafficMarker.Deployment], markers.Select(m => m.Kind));
        Assert.Equal(T0.AddMinutes(2).AddSeconds(5), markers[0].At);
        // The guardrail blocked dc2: nothing was deployed there to mark.
        Assert.Equal(["dc1"], markers[0].Datacenters);
        Assert.Contains("dc2 is down, security fix", markers[1].Detail);
        Assert.Equal(["dc1", "dc2"], markers[2].Datacenters);
    }
}
