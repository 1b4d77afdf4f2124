using ApimConsole.Web.Tests.Components;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Traffic;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using TrafficPage = ApimConsole.Web.Components.Pages.Traffic;

namespace ApimConsole.Web.Tests.Components;

public sealed class TrafficPageTests : ConsoleBunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private readonly TrafficHistory _history = new();
    private readonly RecentTransactions _recent = new(1000);
    private readonly TrafficCollector _collector;

    public TrafficPageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var estate = Options.Create(new EstateOptions
        {
            Name = "lab",
            ConsoleDatacenter = "dc1",
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", Name = "Frankfurt", AdminNodeManager = new() { Urls = ["http://anm.dc1.test"] } },
                new DatacenterOptions { Id = "dc2", Name = "Amsterdam", AdminNodeManager = new() { Urls = ["http://anm.dc2.test"] } },
            ],
        });
        var status = new FakeEstateStatus(Estate());
        _collector = new TrafficCollector(estate, Options.Create(new TrafficOptions()), status, new NoStore(), _history, _recent,
            TimeProvider.System, NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(new TraceAnm()));
        Services.AddSingleton<IEstateStatus>(status);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(_history);
        Services.AddSingleton(_recent);
        Services.AddSingleton(_collector);
        Services.AddSingleton(new TrafficReports(_history, _collector, estate, TimeProvider.System));

        _history.RecordCoverage(new CoverageSpan("dc1", _now.AddMinutes(-15), _now, true, null));
        _history.RecordCoverage(new CoverageSpan("dc2", _now.AddMinutes(-15), _now.AddMinutes(-4), true, null));
        _history.RecordCoverage(new CoverageSpan("dc2", _now.AddMinutes(-4), _now, false, "ANM did not answer (connection refused)"));
    }

    [Fact]
    public void ShowsEachDatacenter_SideBySide_AndCombined_WithTheirCharts()
    {
        var page = Render<TrafficPage>();
        Assert.Equal(["dc1", "dc2", "combined"], page.FindAll(".traffic-panel").Select(p => p.GetAttribute("data-view")));
        foreach (var panel in page.FindAll(".traffic-panel"))
        {
            Assert.NotNull(panel.QuerySelector("[data-testid=chart-rate]"));
            Assert.NotNull(panel.QuerySelector("[data-testid=chart-latency]"));
        }
    }

    [Fact]
    public void DatacenterCutOff_WithItsConsoleAWitness_ShowsItsTrafficThroughThatConsole_MarkedSo()
    {
        var theirs = ApimConsole.Web.Tests.Peer.PeerAnswers.Traffic("dc2", collected: true, requests: 4321, reason: null, _now);
        var peer = new ApimConsole.Web.Tests.Peer.FakePeerReads
        {
            Answer = path => path == "/api/peer/traffic?window=10m"
                ? new System.Text.Json.Nodes.JsonObject { ["datacenter"] = System.Text.Json.JsonSerializer.SerializeToNode(theirs, ApimConsole.Web.Api.EstateJson.Options) }
                : null,
        };
        Services.AddSingleton<ApimConsole.Web.Peer.IPeerReads>(peer);

        var page = Render<TrafficPage>();
        page.WaitForAssertion(() => Assert.StartsWith("dc2's traffic through the console in dc2, read ",
            page.Find("[data-testid=through-peer-traffic][data-dc=dc2] [data-testid=through-peer-label]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("true", page.Find("[data-view=dc2] [data-testid=collection]").GetAttribute("data-collected"));
        // Its own datacenter is never read through the peer.
        Assert.Empty(page.FindAll("[data-testid=through-peer-traffic][data-dc=dc1]"));
    }

    [Fact]
    public void UnreachableDatacenter_ShowsItsGapAndReason_AndTheOtherHasNone()
    {
        var page = Render<TrafficPage>();
        var dc2Gap = page.Find("[data-view=dc2] [data-testid=gap]");
        Assert.Contains("connection refused", dc2Gap.TextContent);
        Assert.Empty(page.FindAll("[data-view=dc1] [data-testid=gap]"));
        Assert.Contains("dc2: ANM did not answer", page.Find("[data-view=combined] [data-testid=gap]").TextContent);
    }

    [Fact]
    public void UpdatesLive_WhenTrafficIsCollected()
    {
        var page = Render<TrafficPage>();
        Assert.Empty(page.FindAll("[data-view=dc1] [data-api]"));
        var stats = new TrafficStats();
        stats.Add(new TrafficTransaction("dc1", "instance-3", "ab", _now.AddMinutes(-1), 5, 200, "GET", "/orders/v1", null, "Pass"));
        _history.Add([new KeyValuePair<TrafficMinuteKey, TrafficStats>(new("dc1", "instance-3", "/orders/v1", TrafficRollup.MinuteOf(_now.AddMinutes(-1))), stats)]);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-view=dc1] [data-api='/orders/v1']")));
        var share = page.Find("[data-view=combined] [data-instance='dc1/instance-3']");
        Assert.Contains("100.0 %", share.TextContent);
        Assert.Contains("Up", share.TextContent);
    }

    [Fact]
    public void TwoDatacentersAndTheCombination_ShareTheWidthInThirds()
    {
        var page = Render<TrafficPage>();
        Assert.Equal("3", page.Find("[data-window]").GetAttribute("data-columns"));
        Assert.All(page.FindAll("[data-testid=traffic-column]"), c => Assert.Contains("mud-grid-item-lg-4", c.ClassName));
    }

    [Fact]
    public void AnInstanceThatStoppedServing_ShowsWhenItWasLastSeen_AndNoShareNow()
    {
        TrafficStats Stats(string dc, string instance, DateTimeOffset at, int count)
        {
            var stats = new TrafficStats();
            for (var i = 0; i < count; i++)
                stats.Add(new TrafficTransaction(dc, instance, "ab", at, 5, 200, "GET", "/orders/v1", null, "Pass"));
            return stats;
        }
        // dc2's instance-5 served until eight minutes ago; dc1's instance-3 serves now.
        var then = TrafficRollup.MinuteOf(_now.AddMinutes(-8));
        var lately = TrafficRollup.MinuteOf(_now.AddMinutes(-1));
        _history.Add([
            new KeyValuePair<TrafficMinuteKey, TrafficStats>(new("dc2", "instance-5", "/orders/v1", then), Stats("dc2", "instance-5", then, 309)),
            new KeyValuePair<TrafficMinuteKey, TrafficStats>(new("dc1", "instance-3", "/orders/v1", lately), Stats("dc1", "instance-3", lately, 120)),
        ]);
        var page = Render<TrafficPage>();

        var past = page.Find("[data-view=combined] [data-instance='dc2/instance-5']");
        Assert.Contains("traffic-past", past.ClassName);
        Assert.Equal("last seen " + then.ToLocalTime().ToString("HH:mm"), past.QuerySelector("[data-testid=last-seen]")!.TextContent.Trim());
        Assert.StartsWith("5.15", past.QuerySelector("[data-testid=instance-rate]")!.TextContent.Trim());
        Assert.Contains("0.0 %", past.TextContent);
        var now = page.Find("[data-view=combined] [data-instance='dc1/instance-3']");
        Assert.Null(now.QuerySelector("[data-testid=last-seen]"));
        Assert.Contains("100.0 %", now.TextContent);
        Assert.Contains("last 3 minutes", page.Find("[data-view=combined]").TextContent);
    }

    [Fact]
    public void WindowButtons_SwitchTheWindow()
    {
        var page = Render<TrafficPage>();
        Assert.Equal("10m", page.Find("[data-window]").GetAttribute("data-window"));
        page.Find("[data-testid=window-5d]").Click();
        Assert.Equal("5d", page.Find("[data-window]").GetAttribute("data-window"));
    }

    [Fact]
    public void TransactionSearch_FindsByStatusClass_AndOpensTheTrace()
    {
        _recent.Add([Tx(1, 200), Tx(2, 503), Tx(3, 504)]);
        var page = Render<TrafficPage>();
        Input(page, "q-status").Change("5xx");
        page.Find("[data-testid=search]").Click();
        Assert.Equal(2, page.FindAll("[data-testid=results] tbody tr").Count);

        page.Find($"[data-correlation='{Tx(3, 504).CorrelationId}']").Click();
        page.WaitForAssertion(() => Assert.Contains("transaction complete", page.Find("[data-testid=trace]").TextContent));
        Assert.Contains("/logs?correlationId=", page.Find("[data-testid=log-lines]").GetAttribute("href"));
    }

    [Fact]
    public void BadSearch_SaysWhy_AndKeepsThePreviousResults()
    {
        _recent.Add([Tx(1, 200)]);
        var page = Render<TrafficPage>();
        page.Find("[data-testid=search]").Click();
        Assert.Single(page.FindAll("[data-testid=results] tbody tr"));
        Input(page, "q-duration").Change("fast");
        page.Find("[data-testid=search]").Click();
        Assert.Contains("minDurationMs", page.Find("[data-testid=search-errors]").TextContent);
        Assert.Single(page.FindAll("[data-testid=results] tbody tr"));
    }

    [Fact]
    public void SupportLimitedToDc1_SeesOnlyDc1_NoCombinedOverDc2_AndSearchesOnlyDc1()
    {
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        Authorization.SetClaims(new System.Security.Claims.Claim(ApimConsole.Web.Security.ConsoleClaims.Datacenter, "dc1"));
        var dc1 = new TrafficTransaction("dc1", "instance-3", 7.ToString("x24"), _now.AddSeconds(-7), 5, 200, "GET", "/orders/v1", null, "Pass");
        _recent.Add([Tx(1, 200), Tx(2, 503), dc1]);
        var page = Render<TrafficPage>();
        // One datacenter alone takes the whole width, not a third of it.
        Assert.Equal("1", page.Find("[data-window]").GetAttribute("data-columns"));
        Assert.Contains("mud-grid-item-lg-12", page.Find("[data-testid=traffic-column]").ClassName);

        Assert.Equal(["dc1"], page.FindAll(".traffic-panel").Select(p => p.GetAttribute("data-view")));
        Assert.Contains("dc1 only", page.Find("[data-testid=datacenters-limited]").TextContent);
        Assert.DoesNotContain("dc2", page.Find("[data-testid=transactions]").TextContent);

        page.Find("[data-testid=search]").Click();
        Assert.Equal([dc1.CorrelationId], page.FindAll("[data-testid=results] tbody tr").Select(r => r.GetAttribute("data-correlation")));
        Input(page, "q-instance").Change("dc2/instance-3");
        page.Find("[data-testid=search]").Click();
        Assert.Contains("You may not read dc2's traffic", page.Find("[data-testid=search-errors]").TextContent);
        Assert.Single(page.FindAll("[data-testid=results] tbody tr"));
    }

    [Fact]
    public void Administrator_SeesBothDatacenters_AndNoLimitNote()
    {
        var page = Render<TrafficPage>();
        Assert.Empty(page.FindAll("[data-testid=datacenters-limited]"));
        Assert.Contains("both datacenters", page.Find("[data-testid=transactions]").TextContent);
    }

    [Fact]
    public void Dispose_StopsListening()
    {
        var page = Render<TrafficPage>();
        Assert.Equal(1, _history.Listeners);
        page.Instance.Dispose();
        Assert.Equal(0, _history.Listeners);
    }

    /// <summary>MudTextField puts the attributes on its input (or around it, by version): find the input either way.</summary>
    private static AngleSharp.Dom.IElement Input(IRenderedComponent<TrafficPage> page, string testId)
    {
        var element = page.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }

    private TrafficTransaction Tx(int n, int status) =>
        new("dc2", "instance-3", n.ToString("x24"), _now.AddSeconds(-n), 10 * n, status, "GET", "/payments/v2/x", "Payments API", status < 400 ? "Pass" : "Error");

    private static EstateSnapshot Estate()
    {
        var at = DateTimeOffset.UtcNow;
        DatacenterSnapshot Dc(string id) => new(id, id, DatacenterState.Up, at, null, [],
            [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
                [new GatewayInstanceStatus(id, "instance-3", "DMZ 1", ComponentState.Up, at, null, "group-3", "h", "Running")])], []);
        return new EstateSnapshot(at, "lab", "dc1", [Dc("dc1"), Dc("dc2")], new InterDatacenterLink(LinkState.Up, at, null), null);
    }

    private sealed class TraceAnm : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""[{"level":"INFO","text":"transaction complete: status 504","time":1763906400000,"depth":0}]""", Encoding.UTF8, "application/json"),
            });
    }

    private sealed class NoStore : ITrafficStore
    {
        public Task AddCellsAsync(IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task SaveCoverageAsync(IReadOnlyList<CoverageSpan> spans, CancellationToken cancellationToken) => Task.CompletedTask;
        public async IAsyncEnumerable<TrafficCell> ReadCellsAsync(DateTimeOffset from, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }
        public Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CoverageSpan>>([]);
        public Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
