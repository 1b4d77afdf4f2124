using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Components.Traffic;
using Bunit;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components;

/// <summary>
/// A datacenter whose ANM answers the monitoring summary or timeline in a shape the console does not read: its panel on
/// the Traffic page says so with the reason, and shows no counters for the instances concerned (never zeros).
/// </summary>
public sealed class TrafficPanelAnmProblemsTests : ConsoleBunitContext, IAsyncLifetime
{
    private const string SummaryProblem = "the ANM answered monitoring/summary in a shape this console does not read: no 'result.summaryMetrics' object";
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly TrafficView _view;

    public TrafficPanelAnmProblemsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var history = new TrafficHistory();
        history.RecordCoverage(new CoverageSpan("dc1", _now.AddMinutes(-15), _now, true, null));
        _view = history.Views(TrafficWindow.TenMinutes, _now, ["dc1"])[0];
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private IRenderedComponent<TrafficPanel> Panel(DatacenterCollectionStatus status) => Render<TrafficPanel>(p => p
        .Add(x => x.Title, "Frankfurt (dc1)")
        .Add(x => x.ViewId, "dc1")
        .Add(x => x.View, _view)
        .Add(x => x.Collection, status));

    [Fact]
    public void AnAnswerInAShapeNotRead_IsShownWithItsReason_AndTheInstanceHasNoCounters()
    {
        var status = new DatacenterCollectionStatus("dc1", _now, true, null, 12, new Dictionary<string, InstanceCollectionStatus>
        {
            ["instance-1"] = new("instance-1", null, null, SummaryProblem),
            ["instance-2"] = new("instance-2", new InstanceSummary(5, 1, 0, 6, TimeSpan.FromMinutes(1), _now), null, null),
        })
        { Problems = [SummaryProblem + " (instance-1)"] };

        var panel = Panel(status);

        Assert.Equal(SummaryProblem + " (instance-1)", panel.Find("[data-testid=collection-problem]").TextContent.Trim());
        var counters = panel.Find("[data-testid=monitoring-summary]").TextContent;
        Assert.Contains("instance-1: " + SummaryProblem, counters);
        Assert.Contains("instance-2 6 since start", counters);
        Assert.DoesNotContain("instance-1 0", counters);
        // The transactions were read: collection goes on, the problem is said beside it.
        Assert.Equal("true", panel.Find("[data-testid=collection]").GetAttribute("data-collected"));
    }

    [Fact]
    public void TheTrafficApi_CarriesTheProblems_AsTheCollectionsProblems()
    {
        // GET /api/traffic serializes each datacenter's collection status with the console's JSON options.
        var status = new DatacenterCollectionStatus("dc1", _now, true, null, 12, new Dictionary<string, InstanceCollectionStatus>
        {
            ["instance-1"] = new("instance-1", null, null, SummaryProblem),
        })
        { Problems = [SummaryProblem + " (instance-1)"] };

        var json = System.Text.Json.JsonSerializer.SerializeToElement(status, ApimConsole.Web.Api.EstateJson.Options);

        Assert.Equal(SummaryProblem + " (instance-1)", Assert.Single(json.GetProperty("problems").EnumerateArray()).GetString());
        Assert.Equal(SummaryProblem, json.GetProperty("instances").GetProperty("instance-1").GetProperty("problem").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("instances").GetProperty("instance-1").GetProperty("summary").ValueKind);
    }

    [Fact]
    public void WithoutProblems_NothingIsSaid()
    {
        var status = new DatacenterCollectionStatus("dc1", _now, true, null, 12, new Dictionary<string, InstanceCollectionStatus>
        {
            ["instance-1"] = new("instance-1", new InstanceSummary(5, 1, 0, 6, TimeSpan.FromMinutes(1), _now), null, null),
        });

        Assert.Empty(Panel(status).FindAll("[data-testid=collection-problem]"));
    }
}
