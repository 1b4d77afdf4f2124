using System.Net;
using System.Runtime.CompilerServices;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Components.Wall;
using ApimConsole.Web.Tests.Components;
using ApimConsole.Web.Tests.Guardrails;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Traffic;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;
using WallPage = ApimConsole.Web.Components.Pages.Wall;

namespace ApimConsole.Web.Tests.Wall;

/// <summary>The wall page on fakes: the estate the test publishes, a clock it moves, traffic it adds.</summary>
public sealed class WallPageTests : BunitContext, IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly FakeEstateStatus _status = new(At(T0));
    private readonly TrafficHistory _history = new();

    // Renders come from the page's timer on the thread pool: on a loaded machine they take more than bUnit's 1 s default.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public WallPageTests()
    {
        Services.AddGuardrailFakes(_status, new FakeRecoveryStatus(), _clock);
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
        var collector = new TrafficCollector(estate, Options.Create(new TrafficOptions()), _status, new NoStore(), _history, new RecentTransactions(100),
            _clock, NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(new NoAnm()));
        Services.AddSingleton(new TrafficReports(_history, collector, estate, _clock));
        Services.AddSingleton<ApimConsole.Web.Alerts.IUnacknowledgedAlerts, NoUnacknowledgedAlerts>();
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>The estate moves on as the engine's would: a fresh snapshot every probe interval.</summary>
    private void Tick(bool linkDown = false, params string[] downInDc2)
    {
        _clock.Advance(ProbeInterval);
        _status.Publish(At(_clock.GetUtcNow(), linkDown, downInDc2));
    }

    /// <summary>Waits until the guardrail has judged the newest snapshot: the wall reads its verdict at the next tick.</summary>
    private async Task GuardrailSeesAsync(ApimConsole.Core.Guardrails.GuardrailDecision decision)
    {
        var guardrail = Services.GetRequiredService<GuardrailService>();
        await Eventually.Until(() => guardrail.Current.Worst, worst => worst == decision, TimeSpan.FromSeconds(10), $"the guardrail to see {decision}");
        Assert.Equal(decision, guardrail.Current.Worst);
    }

    /// <summary>The wall once it shows the link cut (dc2 cut off, still serving as the load balancer sees it) and the guardrail's Block.</summary>
    private async Task<IRenderedComponent<WallPage>> RenderWithTheLinkCutAsync()
    {
        var wall = Render<WallPage>();
        Tick(linkDown: true);
        await GuardrailSeesAsync(ApimConsole.Core.Guardrails.GuardrailDecision.Block);
        _clock.Advance(WallPage.Refresh);
        wall.WaitForAssertion(() => Assert.Equal("Down", wall.Find("[data-testid=link]").GetAttribute("data-state")), Wait);
        return wall;
    }

    [Fact]
    public void AllUp_ShowsBothDatacenters_TheLink_NoScenario_DeploymentsAllowed()
    {
        var wall = Render<WallPage>();

        Assert.Equal(["dc1", "dc2"], wall.FindAll("[data-datacenter]").Select(d => d.GetAttribute("data-datacenter")));
        foreach (var dc in wall.FindAll("[data-datacenter]"))
        {
            Assert.Equal("Up", dc.GetAttribute("data-state"));
            Assert.Equal("UP", dc.QuerySelector("[data-testid=dc-state]")!.TextContent.Trim());
            Assert.NotNull(dc.QuerySelector("[data-testid=dc-state] svg"));
            Assert.Equal("2", dc.QuerySelector("[data-testid=count-instances]")!.GetAttribute("data-up"));
            Assert.Equal("3", dc.QuerySelector("[data-testid=count-nodes]")!.GetAttribute("data-up"));
        }
        Assert.Equal("Up", wall.Find("[data-testid=link]").GetAttribute("data-state"));
        Assert.Contains("LINK UP", wall.Find("[data-testid=link]").TextContent);
        Assert.Equal("none", wall.Find("[data-testid=scenario]").GetAttribute("data-scenario"));
        Assert.Equal("Allow", wall.Find("[data-testid=guardrail]").GetAttribute("data-decision"));
        Assert.Contains("Deployments allowed", wall.Find("[data-testid=guardrail]").TextContent);
        Assert.Contains("updated " + T0.ToLocalTime().ToString("HH:mm:ss"), wall.Find("[data-testid=updated]").TextContent);
    }

    [Fact]
    public void HasNoControls_NothingToClickOrType()
    {
        var wall = Render<WallPage>();
        Tick(downInDc2: "instance-2");
        _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.Equal("Degraded", wall.Find("[data-datacenter=dc2]").GetAttribute("data-state")), Wait);
        Assert.Empty(wall.FindAll("button, a, input, select, textarea, [onclick], [tabindex]"));
    }

    [Fact]
    public async Task InstanceDown_ShowsDegraded_TheShortCount_TheScenarioWithItsFirstStep_AndConfirm()
    {
        var wall = Render<WallPage>();
        Tick(downInDc2: "instance-2");
        await GuardrailSeesAsync(ApimConsole.Core.Guardrails.GuardrailDecision.Warn);
        _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.Equal("Degraded", wall.Find("[data-datacenter=dc2]").GetAttribute("data-state")), Wait);
        var dc2 = wall.Find("[data-datacenter=dc2]");
        Assert.Equal("DEGRADED", dc2.QuerySelector("[data-testid=dc-state]")!.TextContent.Trim());
        Assert.Contains("1/2 up", dc2.QuerySelector("[data-testid=count-instances]")!.TextContent.Replace(" ", "").Replace("/2up", "/2 up"));
        Assert.Equal("Up", wall.Find("[data-datacenter=dc1]").GetAttribute("data-state"));
        var scenario = wall.Find("[data-testid=scenario]");
        Assert.Equal("GatewayInstanceDown:dc2/instance-2", scenario.GetAttribute("data-scenario"));
        Assert.StartsWith("Do now: ", wall.Find("[data-testid=scenario-action]").TextContent.Trim());
        Assert.True(wall.Find("[data-testid=scenario-action]").TextContent.Trim().Length > "Do now: ".Length);
        Assert.Equal("Warn", wall.Find("[data-testid=guardrail]").GetAttribute("data-decision"));
    }

    [Fact]
    public async Task LinkDown_ShowsTheLinkDown_ACriticalScenario_AndDeploymentsBlocked()
    {
        var wall = await RenderWithTheLinkCutAsync();
        Assert.Contains("LINK DOWN", wall.Find("[data-testid=link]").TextContent);
        Assert.Equal("Critical", wall.Find("[data-testid=scenario]").GetAttribute("data-severity"));
        Assert.Equal("Block", wall.Find("[data-testid=guardrail]").GetAttribute("data-decision"));
        Assert.Contains("BLOCKED", wall.Find("[data-testid=guardrail]").TextContent);
    }

    [Fact]
    public void LinkDown_TheOtherDatacenterAsItsConsoleSeesIt_IsMarkedSo_WithItsCounts()
    {
        var wall = Render<WallPage>();
        _clock.Advance(ProbeInterval);
        var now = _clock.GetUtcNow();
        // What the assessment makes of a cut link with the peer console as witness: dc2's components as it reported them.
        var assessed = ApimConsole.Core.Health.EstateAssessor.Assess("lab", "dc1", At(now).Datacenters, null, null, now) with
        {
            Link = new ApimConsole.Core.Estate.InterDatacenterLink(ApimConsole.Core.Estate.LinkState.Down, now, "the console in dc2 sees it serving: the inter-DC link is down."),
        };
        var seenAt = new DateTimeOffset(2026, 11, 23, 8, 0, 41, TimeSpan.Zero);
        var peerView = new ApimConsole.Core.Peer.PeerView("1", "dc2", seenAt, 0, assessed.Find("dc2")!, null,
            new ApimConsole.Core.Peer.PeerTraffic(seenAt, 9.8, 0), null, new ApimConsole.Core.Peer.PeerDeployment(false));
        _status.Publish(assessed.MapDc2(d => d with
        {
            State = ApimConsole.Core.Estate.DatacenterState.Unreachable,
            SeenBy = new ApimConsole.Core.Peer.PeerSighting("dc2", seenAt),
        }) with
        {
            Peer = new ApimConsole.Core.Peer.PeerWitness("dc2", "https://console.dc2.test", true, null, peerView, seenAt, seenAt),
        });
        _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.NotNull(wall.Find("[data-datacenter=dc2] [data-testid=dc-seen-by]")), Wait);
        Assert.Equal("as seen by the console in dc2, 08:00:41", wall.Find("[data-datacenter=dc2] [data-testid=dc-seen-by]").TextContent.Trim());
        Assert.Equal("2", wall.Find("[data-datacenter=dc2] [data-testid=count-instances]").GetAttribute("data-up"));
        Assert.Empty(wall.FindAll("[data-datacenter=dc1] [data-testid=dc-seen-by]"));
        // Serving, as its own console sees it, and its rate is that console's, said so; no "counts unknown" then.
        Assert.Equal("SERVING", wall.Find("[data-datacenter=dc2] [data-testid=dc-state]").TextContent.Trim());
        Assert.Equal("Cut off from dc1; its own console sees it serving.", wall.Find("[data-datacenter=dc2] [data-testid=dc-reason]").TextContent.Trim());
        var rate = wall.Find("[data-datacenter=dc2] [data-testid=rate]");
        Assert.Equal("true", rate.GetAttribute("data-from-peer"));
        Assert.Equal("9.8 req/s, its console", rate.TextContent.Trim());
        Assert.Empty(wall.FindAll("[data-datacenter=dc2] [data-testid=counts-note]"));
    }

    [Fact]
    public async Task LinkCut_TheCutOffDatacentersCard_TellsTheHeadlinesStory_CountsUnknown_NotZeroUp()
    {
        var wall = await RenderWithTheLinkCutAsync();
        Assert.Contains("both datacenters serving", wall.Find("[data-testid=scenario]").TextContent);
        var dc2 = wall.Find("[data-datacenter=dc2]");
        // Unreachable from here (the data attribute says so), and serving as the headline says: one story.
        Assert.Equal("Unreachable", dc2.GetAttribute("data-state"));
        Assert.Equal("SERVING", dc2.QuerySelector("[data-testid=dc-state]")!.TextContent.Trim());
        Assert.Equal("Cut off from dc1; the load balancer sees it serving (2/2 healthy).", dc2.QuerySelector("[data-testid=dc-reason]")!.TextContent.Trim());
        // Nobody saw its components down: the counts are unknown, and say why, rather than "0/2 up".
        foreach (var (count, total) in new[] { ("count-instances", "2"), ("count-nodes", "3"), ("count-anms", "1") })
        {
            var cell = dc2.QuerySelector($"[data-testid={count}]")!;
            Assert.Equal("", cell.GetAttribute("data-up"));
            Assert.Equal(total, cell.GetAttribute("data-unknown"));
            Assert.Equal($"?/{total} unknown", cell.QuerySelector("dd")!.TextContent.Trim());
        }
        Assert.Equal("Counts unknown: no probe from dc1 reaches it.", dc2.QuerySelector("[data-testid=counts-note]")!.TextContent.Trim());
        Assert.Equal("true", dc2.QuerySelector("[data-testid=rate]")!.GetAttribute("data-no-data"));
        Assert.Equal("UP", wall.Find("[data-datacenter=dc1] [data-testid=dc-state]").TextContent.Trim());
        Assert.Empty(wall.FindAll("[data-datacenter=dc1] [data-testid=counts-note]"));
    }

    [Fact]
    public void DatacenterDown_ShowsNoCurrentRate_OnlySinceWhenThereIsNone()
    {
        // dc2 served 10 req/s until 13:57; it was last read at 13:58, then went down.
        foreach (var dc in new[] { "dc1", "dc2" })
        {
            _history.RecordCoverage(new CoverageSpan(dc, T0.AddMinutes(-9), dc == "dc2" ? T0.AddMinutes(-2) : T0, true, null));
            var stats = new TrafficStats();
            for (var i = 0; i < 600; i++)
                stats.Add(new TrafficTransaction(dc, "instance-1", $"t{i}", T0.AddMinutes(-3), 5, 200, "GET", "/orders/v1", null, "Pass"));
            _history.Add([new KeyValuePair<TrafficMinuteKey, TrafficStats>(new(dc, "instance-1", "/orders/v1", TrafficRollup.MinuteOf(T0.AddMinutes(-3))), stats)]);
        }
        _history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(-2), T0, false, "connection refused"));
        var wall = Render<WallPage>();
        var now = _clock.GetUtcNow();
        _status.Publish(At(now).MapDc2(d => d with { State = ApimConsole.Core.Estate.DatacenterState.Down, Reason = "No component of this datacenter answers." }));
        _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.Equal("Down", wall.Find("[data-datacenter=dc2]").GetAttribute("data-state")), Wait);
        var rate = wall.Find("[data-datacenter=dc2] [data-testid=rate]");
        Assert.Equal("true", rate.GetAttribute("data-no-data"));
        Assert.Equal("no data since " + T0.AddMinutes(-2).ToLocalTime().ToString("HH:mm"), rate.TextContent.Trim());
        Assert.DoesNotContain("req/s", rate.TextContent);
        // The sparkline still shows the minutes it served.
        Assert.NotEmpty(wall.FindAll("[data-datacenter=dc2] [data-testid=sparkline-run]"));
        // dc1, read all along, shows its current rate: nothing in the last minutes, which is a zero, not a gap.
        Assert.Equal("0.0", wall.Find("[data-datacenter=dc1] [data-testid=rate]").FirstChild!.TextContent.Trim());
        Assert.Equal("false", wall.Find("[data-datacenter=dc1] [data-testid=rate]").GetAttribute("data-from-peer"));
    }

    [Fact]
    public void ABurstOfChanges_IsShownAtTheNextSecond_InOneRender()
    {
        var wall = Render<WallPage>();
        var renders = wall.RenderCount;

        // Five snapshots inside one refresh period (the last one 250 ms before the tick): nothing renders yet.
        _status.Publish(At(T0.AddMilliseconds(50), downInDc2: "instance-1"));
        _status.Publish(At(T0.AddMilliseconds(100), downInDc2: ["instance-1", "instance-2"]));
        _status.Publish(At(T0.AddMilliseconds(150), downInDc2: "cassandra-1"));
        _status.Publish(At(T0.AddMilliseconds(200)));
        _status.Publish(At(T0.AddMilliseconds(250), downInDc2: "instance-2"));
        _clock.Advance(TimeSpan.FromMilliseconds(750));
        Assert.Equal(renders, wall.RenderCount);
        Assert.Equal("Up", wall.Find("[data-datacenter=dc2]").GetAttribute("data-state"));

        // The tick: one render, showing the newest snapshot only.
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        wall.WaitForAssertion(() => Assert.Equal("Degraded", wall.Find("[data-datacenter=dc2]").GetAttribute("data-state")), Wait);
        Assert.Equal(renders + 1, wall.RenderCount);
        Assert.Equal("1", wall.Find("[data-datacenter=dc2] [data-testid=count-instances]").GetAttribute("data-up"));
        Assert.Equal("3", wall.Find("[data-datacenter=dc2] [data-testid=count-nodes]").GetAttribute("data-up"));
    }

    [Fact]
    public void NoNewState_ForFifteenSeconds_SaysStale()
    {
        var wall = Render<WallPage>();
        Assert.Equal("false", wall.Find("[data-testid=wall]").GetAttribute("data-stale"));

        for (var i = 0; i < 16; i++)
            _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.Equal("true", wall.Find("[data-testid=wall]").GetAttribute("data-stale")), Wait);
        Assert.Contains("STALE", wall.Find("[data-testid=updated]").TextContent);

        Tick();
        _clock.Advance(WallPage.Refresh);
        wall.WaitForAssertion(() => Assert.Equal("false", wall.Find("[data-testid=wall]").GetAttribute("data-stale")), Wait);
    }

    [Fact]
    public void Sparklines_ShowEachDatacentersRate_FromTheTrafficHistory()
    {
        _history.RecordCoverage(new CoverageSpan("dc1", T0.AddMinutes(-15), T0, true, null));
        _history.RecordCoverage(new CoverageSpan("dc2", T0.AddMinutes(-15), T0, true, null));
        var wall = Render<WallPage>();
        // Collected and nothing seen: zero, not a gap.
        Assert.Equal("0.0", wall.Find("[data-datacenter=dc1] [data-testid=rate]").FirstChild!.TextContent.Trim());

        // 600 requests in dc1's last full minute: 10 req/s.
        var stats = new TrafficStats();
        for (var i = 0; i < 600; i++)
            stats.Add(new TrafficTransaction("dc1", "instance-1", $"t{i}", T0.AddMinutes(-1), 5, 200, "GET", "/orders/v1", null, "Pass"));
        _history.Add([new KeyValuePair<TrafficMinuteKey, TrafficStats>(new("dc1", "instance-1", "/orders/v1", TrafficRollup.MinuteOf(T0.AddMinutes(-1))), stats)]);
        _clock.Advance(WallPage.Refresh);

        wall.WaitForAssertion(() => Assert.Equal("10", wall.Find("[data-datacenter=dc1] [data-testid=rate]").FirstChild!.TextContent.Trim()), Wait);
        Assert.NotEmpty(wall.FindAll("[data-datacenter=dc1] [data-testid=sparkline-run]"));
    }

    [Fact]
    public async Task Disposed_HoldsNothing_AndTheClockNoLongerRendersIt()
    {
        // The guardrail (a singleton) holds its own subscription; the page adds none.
        Services.GetRequiredService<GuardrailService>();
        var subscribers = _status.Subscribers;
        var wall = Render<WallPage>();
        _clock.Advance(WallPage.Refresh);
        wall.WaitForAssertion(() => Assert.True(wall.RenderCount >= 2), Wait);
        Assert.Equal(subscribers, _status.Subscribers);
        Assert.Equal(0, _history.Listeners);

        var renders = wall.RenderCount;
        await DisposeComponentsAsync();
        Tick(linkDown: true);
        for (var i = 0; i < 3; i++)
            _clock.Advance(WallPage.Refresh);
        Assert.Equal(renders, wall.RenderCount);
    }

    private sealed class NoAnm : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
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
        public Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CoverageSpan>>([]);
        public Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}

/// <summary>The sparkline alone: a gap splits the line, and nothing is drawn as zero.</summary>
public sealed class WallSparklineTests
{
    [Fact]
    public void AGap_SplitsTheLine_IntoTwoRuns()
    {
        var runs = WallScreen.SparklineRuns([1.0, 2.0, null, 3.0, 4.0], 4.0);
        Assert.Equal(2, runs.Count);
        Assert.Equal(2, runs[0].Split(' ').Length);
        Assert.Equal(2, runs[1].Split(' ').Length);
        // The highest value touches the top (y = 2), the first run starts at x = 0, the second at the fourth step.
        Assert.EndsWith(",2", runs[1]);
        Assert.StartsWith("0,", runs[0]);
        Assert.StartsWith("225,", runs[1]);
    }

    [Fact]
    public void ALonePoint_IsDrawnAsAShortStroke()
    {
        var runs = WallScreen.SparklineRuns([null, 2.0, null], 4.0);
        Assert.Equal(["147,30 153,30"], runs);
    }

    [Fact]
    public void NoData_DrawsNoLine()
    {
        Assert.Empty(WallScreen.SparklineRuns([null, null], 0.0));
    }
}

internal static class WallEstateEdits
{
    public static ApimConsole.Core.Estate.EstateSnapshot MapDc2(this ApimConsole.Core.Estate.EstateSnapshot s,
        Func<ApimConsole.Core.Estate.DatacenterSnapshot, ApimConsole.Core.Estate.DatacenterSnapshot> map) =>
        s with { Datacenters = s.Datacenters.Select(d => d.Id == "dc2" ? map(d) : d).ToList() };
}
