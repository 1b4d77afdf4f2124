using ApimConsole.Core.Configuration;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Logs;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Logs.TraceRecords;
using LogsPage = ApimConsole.Web.Components.Pages.Logs;

namespace ApimConsole.Web.Tests.Logs;

public sealed class LogsPageTests : BunitContext, IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 11, 23, 14, 0, 0, DateTimeKind.Unspecified);
    private const string Correlation = "697f605fdb408a78c01cc73e";

    private readonly TraceLogBuffer _buffer = new(1000);
    private readonly SwitchableSource _dc1 = new("http://logs.dc1.test/");
    private readonly SwitchableSource _dc2 = new("http://logs.dc2.test/");
    private readonly FakeTimeProvider _tailClock = new(new DateTimeOffset(2026, 11, 23, 13, 2, 11, TimeSpan.Zero));
    private readonly TraceLogTailService _tails;
    private readonly FakeSearch _search = new();

    public LogsPageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        var estate = Options.Create(new EstateOptions
        {
            ConsoleDatacenter = "dc1",
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", Name = "Frankfurt" },
                new DatacenterOptions { Id = "dc2", Name = "Amsterdam" },
            ],
        });
        var sources = new FakeSources(
            new Dictionary<string, ITraceLogSource> { ["dc1"] = _dc1, ["dc2"] = _dc2 },
            new Dictionary<string, TimeZoneInfo> { ["dc2"] = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam") });
        // The tails poll on their own fake clock; the page throttles on the real one.
        _tails = new TraceLogTailService(sources, _buffer, _tailClock, NullLoggerFactory.Instance);
        Services.AddSingleton(_buffer);
        Services.AddSingleton(_tails);
        Services.AddSingleton(new LogDatacenters(estate, sources));
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<ITraceLogSearch>(_search);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await _tails.StopAsync(default);
        await DisposeAsync();
    }

    private void Seed()
    {
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc",
        [
            Entry(TraceLevel.Info, T0.AddSeconds(2), "dc1 second"),
            Entry(TraceLevel.Error, T0.AddSeconds(3), "dc1 failed upstream"),
        ]);
        // Another instance's batch arrives later but holds an earlier line: the view sorts a batch by time.
        _buffer.Append("dc1", "group-2", "instance-2", "b.trc", [Entry(TraceLevel.Info, T0.AddSeconds(1), "dc1 first", correlation: null)]);
        _buffer.Append("dc2", "group-2", "instance-3", "c.trc",
        [
            Entry(TraceLevel.Info, T0, "dc2 only"),
            new TraceEntry(0, 10, TraceLevel.Unknown, null, null, null, "\u0001\u0002garbage", IsMalformed: true, Note: "binary data"),
        ]);
    }

    /// <summary>The page's clock, moved by the test (its renders are still paced in real time).</summary>
    private FakeTimeProvider PageClock(DateTimeOffset now)
    {
        var clock = new FakeTimeProvider(now);
        Services.AddSingleton<TimeProvider>(clock);
        return clock;
    }

    private static string RangeWindow(IRenderedComponent<LogsPage> page) => page.Find("[data-testid=range-window]").TextContent.Trim();

    private static IReadOnlyList<string> Messages(IRenderedComponent<LogsPage> page) =>
        page.FindAll("[data-testid=lines] [data-testid=line] .log-message").Select(m => m.TextContent.Trim()).ToList();

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<LogsPage> page, string testId)
    {
        var element = page.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }

    [Fact]
    public void RendersTheChosenDatacentersLines_FromTheSharedBuffer_MergedByTime()
    {
        Seed();
        var page = Render<LogsPage>();

        Assert.Equal("dc1", page.Find("[data-testid=lines]").GetAttribute("data-dc"));
        // instance-2's line came later but is older: what a refresh reads is merged by time; dc2's lines are left out.
        Assert.Equal(["dc1 first", "dc1 second", "dc1 failed upstream"], Messages(page));
        Assert.Equal("ERROR", page.FindAll("[data-testid=line]")[2].GetAttribute("data-level"));
        Assert.Contains("UTC", page.Find("[data-testid=zone]").TextContent);

        page.Find("[data-testid=dc-dc2]").Click();
        Assert.Equal(["dc2 only", "\u0001\u0002garbage"], Messages(page));
        var malformed = page.FindAll("[data-testid=line]")[1];
        Assert.Contains("log-malformed", malformed.ClassName);
        Assert.Contains("binary data", malformed.QuerySelector("[data-testid=line-note]")!.TextContent);
        Assert.Contains("Europe/Amsterdam", page.Find("[data-testid=zone]").TextContent);
    }

    [Fact]
    public void Filters_ByLevelTextAndInstance_AndABadTimeIsNamed()
    {
        Seed();
        var page = Render<LogsPage>();

        // Each change and click may wait behind a render already on the circuit's dispatcher: wait for their results.
        Input(page, "f-level-Error").Change(true);
        page.Find("[data-testid=apply]").Click();
        page.WaitForAssertion(() => Assert.Equal(["dc1 failed upstream"], Messages(page)));

        Input(page, "f-level-Error").Change(false);
        Input(page, "f-text").Change("FIRST");
        page.Find("[data-testid=apply]").Click();
        page.WaitForAssertion(() => Assert.Equal(["dc1 first"], Messages(page)));

        Input(page, "f-text").Change("");
        Input(page, "f-instance").Change("group-2/instance-1");
        page.Find("[data-testid=apply]").Click();
        page.WaitForAssertion(() => Assert.Equal(["dc1 second", "dc1 failed upstream"], Messages(page)));
        Assert.Contains("instance=group-2%2Finstance-1", page.Find("[data-testid=download]").GetAttribute("href"));

        page.Find("[data-testid=range-custom]").Click();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=f-from]")));
        Input(page, "f-from").Change("yesterday-ish");
        page.Find("[data-testid=apply]").Click();
        page.WaitForAssertion(() => Assert.Contains("from 'yesterday-ish' is not a time", page.Find("[data-testid=filter-errors]").TextContent));
        // The bad filter changed nothing.
        Assert.Equal(["dc1 second", "dc1 failed upstream"], Messages(page));
    }

    [Fact]
    public void NewLines_AppearLive_AndPauseStopsThemUntilResume()
    {
        Seed();
        var page = Render<LogsPage>();
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddSeconds(5), "live one")]);
        page.WaitForAssertion(() => Assert.Contains("live one", Messages(page)));

        page.Find("[data-testid=pause]").Click();
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=pause]").GetAttribute("aria-pressed")));
        var renders = page.RenderCount;
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddSeconds(6), "while paused")]);
        // The append was taken in (the page rendered again) but the paused view did not move.
        page.WaitForAssertion(() => Assert.True(page.RenderCount > renders));
        Assert.DoesNotContain("while paused", Messages(page));
        Assert.Contains("paused", page.Find("[data-testid=line-count]").TextContent);

        page.Find("[data-testid=pause]").Click();
        // The click may wait for a refresh already on the circuit's dispatcher: wait for its result.
        page.WaitForAssertion(() => Assert.Equal("while paused", Messages(page)[^1]));
    }

    [Fact]
    public async Task UnreachableSource_ShowsABannerWithSinceWhen_OnlyForThatDatacenter_AndClearsWhenItAnswers()
    {
        Seed();
        _dc2.FailWith = "logs.dc2.test unreachable (connection refused)";
        await _tails.StartAsync(default);
        await Eventually.Until(() => _tails.StatusOf("dc2")!.UnreachableSince is not null && _tails.StatusOf("dc1")!.Reachable,
            TimeSpan.FromSeconds(10), "dc2's tail unreachable and dc1's reachable");

        var page = Render<LogsPage>();
        Assert.Empty(page.FindAll("[data-testid=unreachable-banner]"));
        page.Find("[data-testid=dc-dc2]").Click();

        var banner = page.Find("[data-testid=unreachable-banner]");
        // 13:02:11 UTC is 14:02:11 in Amsterdam in November.
        Assert.Equal("14:02:11", banner.QuerySelector("[data-testid=unreachable-since]")!.TextContent);
        Assert.Contains("Amsterdam's logs unreachable since", banner.TextContent);
        Assert.Contains("connection refused", banner.TextContent);
        Assert.Contains("retrying every 1 s", banner.TextContent);
        // What was read before stays shown.
        Assert.Contains("dc2 only", Messages(page));

        _dc2.FailWith = null;
        _tailClock.Advance(TraceLogTailOptionsDefaults.PollInterval);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=unreachable-banner]")));
    }

    [Fact]
    public async Task UnreachableSource_WithItsConsoleAWitness_ShowsItsLiveLinesThroughThatConsole_MarkedSo()
    {
        Seed();
        var peer = new ApimConsole.Web.Tests.Peer.FakePeerReads
        {
            Answer = _ => ApimConsole.Web.Tests.Peer.PeerAnswers.PeerLines(7, ApimConsole.Web.Tests.Peer.PeerAnswers.Line(7, "dc2 live through its console")),
        };
        Services.AddSingleton<ApimConsole.Web.Peer.IPeerReads>(peer);
        _dc2.FailWith = "logs.dc2.test unreachable (connection refused)";
        await _tails.StartAsync(default);
        await Eventually.Until(() => _tails.StatusOf("dc2")!.UnreachableSince is not null, TimeSpan.FromSeconds(10), "dc2's tail unreachable");

        var page = Render<LogsPage>();
        // dc1 is reachable: nothing through the peer.
        Assert.Empty(page.FindAll("[data-testid=through-peer-lines]"));
        page.Find("[data-testid=dc-dc2]").Click();

        page.WaitForAssertion(() => Assert.Contains("dc2 live through its console",
            page.Find("[data-testid=through-peer-lines]").TextContent), TimeSpan.FromSeconds(10));
        Assert.StartsWith("through the console in dc2, read ", page.Find("[data-testid=through-peer-label]").TextContent);
        // What this console read before stays in its own list.
        Assert.Contains("dc2 only", Messages(page));
    }

    [Fact]
    public async Task SlidingWindow_DoesNotRestartTheReadThroughThePeer_EachSecond()
    {
        var clock = PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        // As a real peer pages: its line once, then nothing newer.
        var peer = new ApimConsole.Web.Tests.Peer.FakePeerReads
        {
            Answer = path => path.Contains("after=0&", StringComparison.Ordinal)
                ? ApimConsole.Web.Tests.Peer.PeerAnswers.PeerLines(7, ApimConsole.Web.Tests.Peer.PeerAnswers.Line(7, "dc2 live through its console"))
                : ApimConsole.Web.Tests.Peer.PeerAnswers.PeerLines(7),
        };
        Services.AddSingleton<ApimConsole.Web.Peer.IPeerReads>(peer);
        _dc2.FailWith = "logs.dc2.test unreachable (connection refused)";
        await _tails.StartAsync(default);
        await Eventually.Until(() => _tails.StatusOf("dc2")!.UnreachableSince is not null, TimeSpan.FromSeconds(10), "dc2's tail unreachable");
        var page = Render<LogsPage>();
        page.Find("[data-testid=dc-dc2]").Click();
        page.Find("[data-testid=range-5m]").Click();
        page.WaitForAssertion(() => Assert.Equal("last 5 min: 15:05:00–15:10:00 UTC+01:00, live", RangeWindow(page)));

        clock.Advance(TimeSpan.FromMinutes(1));
        page.WaitForAssertion(() => Assert.Equal("last 5 min: 15:06:00–15:11:00 UTC+01:00, live", RangeWindow(page)));

        // The peer's tail is given the filter as applied: a new filter would start its read over (from scratch, every
        // second); the lines it shows are the newest of the peer's, the window's start as chosen.
        var peerTail = page.FindComponent<ApimConsole.Web.Components.Logs.PeerLogTail>().Instance;
        Assert.Contains("from=2026-11-23T15%3A05%3A00.000", peerTail.FilterQuery);
        page.WaitForAssertion(() => Assert.Contains("dc2 live through its console", page.Find("[data-testid=through-peer-lines]").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void UnreachableBanner_ThroughThePeer_OffersItsConsolesLines()
    {
        var dc = new LogDatacenter("dc2", "Amsterdam", TimeZoneInfo.Utc);
        var since = new DateTimeOffset(2026, 11, 23, 13, 2, 11, TimeSpan.Zero);
        var status = new TraceTailStatus("dc2", "http://logs.dc2.test/", false, "connection refused", null, [], since);
        var banner = Render<ApimConsole.Web.Components.Logs.LogUnreachableBanner>(p => p
            .Add(b => b.Datacenter, dc).Add(b => b.Status, status).Add(b => b.Now, since.AddMinutes(1))
            .Add(b => b.ThroughPeer, true).Add(b => b.PeerDownloadHref, "api/logs/dc2/download?correlationId=abc"));
        Assert.Contains("The console in dc2 answers", banner.Find("[data-testid=through-peer]").TextContent);
        Assert.Equal("api/logs/dc2/download?correlationId=abc", banner.Find("[data-testid=through-peer-download]").GetAttribute("href"));

        var without = Render<ApimConsole.Web.Components.Logs.LogUnreachableBanner>(p => p
            .Add(b => b.Datacenter, dc).Add(b => b.Status, status).Add(b => b.Now, since.AddMinutes(1)));
        Assert.Empty(without.FindAll("[data-testid=through-peer]"));
    }

    [Fact]
    public void ZoneSentence_NamesTheDatacentersZone_AndTheOffsetInForce()
    {
        var page = Render<LogsPage>();
        Assert.Equal("Times are UTC, as Frankfurt's gateways write them.", page.Find("[data-testid=zone]").TextContent.Trim());

        page.Find("[data-testid=dc-dc2]").Click();
        var amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
        var now = DateTimeOffset.UtcNow;
        var offset = amsterdam.GetUtcOffset(now).Hours;
        var sentence = page.Find("[data-testid=zone]").TextContent.Trim();
        Assert.StartsWith("Times are Amsterdam's local time: Europe/Amsterdam, ", sentence);
        Assert.EndsWith($"(UTC+0{offset}:00).", sentence);
        Assert.DoesNotContain("local time, UTC", sentence);
    }

    [Fact]
    public void RelativeRange_ShowsOnlyTheLastMinutes_CountedInTheDatacentersTime()
    {
        // dc1 writes UTC: one line two minutes ago, one ten minutes ago, one from last month.
        var now = new DateTime(2026, 12, 6, 9, 16, 7, DateTimeKind.Unspecified);
        PageClock(new DateTimeOffset(now, TimeSpan.Zero));
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc",
        [
            Entry(TraceLevel.Info, T0, "last month"),
            Entry(TraceLevel.Info, now.AddMinutes(-10), "ten minutes ago"),
            Entry(TraceLevel.Info, now.AddMinutes(-2), "two minutes ago"),
        ]);
        var page = Render<LogsPage>();
        Assert.Equal("true", page.Find("[data-testid=range-any]").GetAttribute("aria-pressed"));
        Assert.Equal(3, Messages(page).Count);
        // No From/To boxes unless a custom range is wanted.
        Assert.Empty(page.FindAll("[data-testid=f-from]"));

        page.Find("[data-testid=range-5m]").Click();
        page.WaitForAssertion(() => Assert.Equal(["two minutes ago"], Messages(page)));
        Assert.Equal("true", page.Find("[data-testid=range-5m]").GetAttribute("aria-pressed"));
        Assert.Equal("last 5 min: 09:11:07–09:16:07 UTC, live", RangeWindow(page));

        page.Find("[data-testid=range-15m]").Click();
        page.WaitForAssertion(() => Assert.Equal(["ten minutes ago", "two minutes ago"], Messages(page)));

        page.Find("[data-testid=range-24h]").Click();
        // Across midnight the label gives both dates.
        page.WaitForAssertion(() => Assert.Equal("last 24 h: 2026-12-05 09:16:07 – 2026-12-06 09:16:07 UTC, live", RangeWindow(page)));

        page.Find("[data-testid=range-any]").Click();
        page.WaitForAssertion(() => Assert.Equal(3, Messages(page).Count));
        Assert.Empty(page.FindAll("[data-testid=range-window]"));
    }

    [Fact]
    public void RelativeRange_SlidesWithTheClock_OldLinesLeave_NewLinesEnter_WithoutSearchingTheFiles()
    {
        var clock = PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc",
        [
            Entry(TraceLevel.Info, T0.AddMinutes(1), "before the window"),
            Entry(TraceLevel.Info, T0.AddMinutes(5).AddSeconds(30), "leaves after a minute"),
            Entry(TraceLevel.Info, T0.AddMinutes(8), "stays"),
        ]);
        var page = Render<LogsPage>();
        page.Find("[data-testid=range-5m]").Click();
        page.WaitForAssertion(() => Assert.Equal(["leaves after a minute", "stays"], Messages(page)));
        Assert.Equal("last 5 min: 14:05:00–14:10:00 UTC, live", RangeWindow(page));
        Assert.Equal("live", page.Find("[data-testid=range-window]").GetAttribute("data-state"));

        // A minute later: the line from 14:05:30 is out of the window, one the tail reads at 14:10:30 is in; the label
        // moved with the clock, and no file was searched for any of it.
        clock.Advance(TimeSpan.FromSeconds(30));
        _buffer.Append("dc1", "group-2", "instance-2", "b.trc", [Entry(TraceLevel.Info, T0.AddMinutes(10).AddSeconds(30), "arrived")]);
        page.WaitForAssertion(() => Assert.Equal(["leaves after a minute", "stays", "arrived"], Messages(page)));
        clock.Advance(TimeSpan.FromSeconds(30));
        page.WaitForAssertion(() => Assert.Equal("last 5 min: 14:06:00–14:11:00 UTC, live", RangeWindow(page)));
        Assert.Equal(["stays", "arrived"], Messages(page));
        Assert.Null(_search.Query);
        Assert.Contains("from=2026-11-23T14%3A06%3A00.000", page.Find("[data-testid=download]").GetAttribute("href"));

        // Amsterdam's window is counted back in its own time (UTC+1 in November).
        page.Find("[data-testid=dc-dc2]").Click();
        page.WaitForAssertion(() => Assert.Equal("dc2", page.Find("[data-testid=lines]").GetAttribute("data-dc")));
        Assert.Equal("last 5 min: 15:06:00–15:11:00 UTC+01:00, live", RangeWindow(page));
    }

    [Fact]
    public void RelativeRange_Paused_StandsStillAsAFixedRange_UntilResumed()
    {
        var clock = PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc",
        [
            Entry(TraceLevel.Info, T0.AddMinutes(5).AddSeconds(30), "old by the resume"),
            Entry(TraceLevel.Info, T0.AddMinutes(9), "recent"),
        ]);
        var page = Render<LogsPage>();
        page.Find("[data-testid=range-5m]").Click();
        page.Find("[data-testid=pause]").Click();
        page.WaitForAssertion(() => Assert.Equal("last 5 min: 14:05:00–14:10:00 UTC, paused (fixed)", RangeWindow(page)));
        Assert.Equal("fixed", page.Find("[data-testid=range-window]").GetAttribute("data-state"));
        // The download holds what the screen holds: the fixed range, not what the tail reads since.
        Assert.Contains("from=2026-11-23T14%3A05%3A00.000&to=2026-11-23T14%3A10%3A00.000", page.Find("[data-testid=download]").GetAttribute("href"));

        // Three minutes on, with a new line taken in (the page rendered again): the window has not moved.
        clock.Advance(TimeSpan.FromMinutes(3));
        var renders = page.RenderCount;
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddMinutes(12), "while paused")]);
        page.WaitForAssertion(() => Assert.True(page.RenderCount > renders));
        Assert.Equal("last 5 min: 14:05:00–14:10:00 UTC, paused (fixed)", RangeWindow(page));
        Assert.Equal(["old by the resume", "recent"], Messages(page));

        // Resume: the window ends now again, the old line has left and the one that came meanwhile is in.
        page.Find("[data-testid=pause]").Click();
        page.WaitForAssertion(() => Assert.Equal(["recent", "while paused"], Messages(page)));
        Assert.Equal("last 5 min: 14:08:00–14:13:00 UTC, live", RangeWindow(page));
    }

    [Fact]
    public void RelativeRange_OfASearch_IsTheWindowAsSearched_AndBackToLiveSlidesAgain()
    {
        var clock = PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        var page = Render<LogsPage>();
        page.Find("[data-testid=range-15m]").Click();
        page.Find("[data-testid=search]").Click();

        page.WaitForAssertion(() => Assert.NotNull(_search.Query));
        Assert.Equal(T0.AddMinutes(-5), _search.Query!.From);
        Assert.Equal("last 15 min: 13:55:00–14:10:00 UTC, as searched (fixed)", RangeWindow(page));
        // The files are searched once: a minute later, once the page rendered again (a tailed line came), the window
        // stands still.
        clock.Advance(TimeSpan.FromMinutes(1));
        var renders = page.RenderCount;
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddMinutes(10).AddSeconds(30), "tailed")]);
        page.WaitForAssertion(() => Assert.True(page.RenderCount > renders));
        Assert.Equal("last 15 min: 13:55:00–14:10:00 UTC, as searched (fixed)", RangeWindow(page));

        page.Find("[data-testid=back-to-live]").Click();
        page.WaitForAssertion(() => Assert.Equal("last 15 min: 13:56:00–14:11:00 UTC, live", RangeWindow(page)));
        page.WaitForAssertion(() => Assert.Equal(["tailed"], Messages(page)));
    }

    [Fact]
    public void CustomRange_FromBox_HasNoPlaceholderThatReadsAsAValue()
    {
        var page = Render<LogsPage>();
        page.Find("[data-testid=range-custom]").Click();

        var from = Input(page, "f-from");
        Assert.True(string.IsNullOrEmpty(from.GetAttribute("placeholder")), "the From box shows a time although none is set");
        Assert.True(string.IsNullOrEmpty(from.GetAttribute("value")));
        Assert.Contains("e.g. 2026-11-23T14:05:00", page.Markup);
    }

    [Fact]
    public void Lines_ShowTheirInstanceWithItsGroupAndZone()
    {
        var snapshot = ApimConsole.Web.Tests.Guardrails.GuardrailEstate.At(DateTimeOffset.UtcNow);
        snapshot = snapshot with
        {
            Datacenters = snapshot.Datacenters.Select(d => d.Id != "dc1" ? d : d with
            {
                Groups = [d.Groups[0] with { Id = "group-2", Name = "Core", Zone = ApimConsole.Core.Estate.GatewayZone.Internal }],
            }).ToList(),
        };
        Services.AddSingleton<ApimConsole.Monitoring.Engine.IEstateStatus>(new ApimConsole.Web.Tests.Components.FakeEstateStatus(snapshot));
        Seed();
        var page = Render<LogsPage>();

        var instances = page.FindAll("[data-testid=line-instance]").Select(e => e.TextContent.Trim()).ToList();
        Assert.Equal(["instance-2 · Core, internal zone", "instance-1 · Core, internal zone", "instance-1 · Core, internal zone"], instances);

        // dc2's group is not in the estate's snapshot under that id: its id is shown, never a guess.
        page.Find("[data-testid=dc-dc2]").Click();
        Assert.StartsWith("instance-3 · group-2", page.FindAll("[data-testid=line-instance]")[0].TextContent.Trim());
    }

    [Fact]
    public void SwitchingTheDatacenter_PutsItInTheAddress_ReplacingTheEntry()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo($"/logs?correlationId={Correlation}");
        var page = Render<LogsPage>();

        page.Find("[data-testid=dc-dc2]").Click();

        Assert.EndsWith("/logs?dc=dc2", navigation.Uri);
        var step = ((Bunit.TestDoubles.BunitNavigationManager)navigation).History.First();
        Assert.True(step.Options.ReplaceHistoryEntry);
        Assert.Equal("dc2", page.Find("[data-testid=lines]").GetAttribute("data-dc"));
    }

    [Fact]
    public void QueryString_OpensTheDatacenter_AndSearchesTheTransaction_StreamingHits_UntilCancelled()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/logs?dc=dc2&correlationId={Correlation}");
        var page = Render<LogsPage>();

        page.WaitForAssertion(() => Assert.NotNull(_search.Query));
        Assert.Equal("dc2", _search.Query!.DatacenterId);
        Assert.Equal(Correlation, _search.Query.CorrelationId);
        Assert.Equal("dc2", page.Find("[data-testid=lines]").GetAttribute("data-dc"));
        Assert.Equal("search", page.Find("[data-testid=lines]").GetAttribute("data-mode"));
        Assert.Equal(Correlation, Input(page, "f-correlation").GetAttribute("value"));

        // Hits stream in as found, in any order; the view keeps them by time.
        _search.Hits.Writer.TryWrite(Record(1, "dc2", "instance-3", Entry(TraceLevel.Info, T0.AddSeconds(9), "later hit")));
        page.WaitForAssertion(() => Assert.Equal(["later hit"], Messages(page)));
        _search.Hits.Writer.TryWrite(Record(2, "dc2", "instance-4", Entry(TraceLevel.Info, T0.AddSeconds(1), "earlier hit")));
        _search.Progress!.Report(new TraceSearchProgress(4, 2, 2048, 1024, 2, Done: false, Truncated: false, Error: null));
        page.WaitForAssertion(() => Assert.Equal(["earlier hit", "later hit"], Messages(page)));
        page.WaitForAssertion(() => Assert.Contains("2 of 4 file(s)", page.Find("[data-testid=search-progress]").TextContent));
        Assert.Contains("source=search", page.Find("[data-testid=download]").GetAttribute("href"));
        Assert.Equal("running", page.Find("[data-testid=search-panel]").GetAttribute("data-state"));

        page.Find("[data-testid=search-cancel]").Click();
        page.WaitForAssertion(() => Assert.Equal("cancelled", page.Find("[data-testid=search-panel]").GetAttribute("data-state")));
        Assert.True(_search.WasCancelled);
        Assert.Equal(["earlier hit", "later hit"], Messages(page));
    }

    private static AngleSharp.Dom.IElement? HeldHint(IRenderedComponent<LogsPage> page) => page.FindAll("[data-testid=held-hint]").SingleOrDefault();

    private async Task TailsHaveRead()
    {
        await _tails.StartAsync(default);
        await Eventually.Until(() => _tails.StatusOf("dc1")!.Reachable && _tails.StatusOf("dc2")!.Reachable, TimeSpan.FromSeconds(10), "both tails read once");
    }

    [Fact]
    public async Task HeldHint_AWindowBeforeWhereTheTailBegan_SaysFromWhenInTheDatacentersTime_AndSearchesTheFiles()
    {
        PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        // dc2's tail began at a line written at 15:02:30.250 Amsterdam time (14:02:30 UTC); older lines are only in the files.
        _buffer.NoteTailStart("dc2", new DateTime(2026, 11, 23, 15, 2, 30, 250));
        _buffer.Append("dc2", "group-2", "instance-3", "c.trc",
        [
            Entry(TraceLevel.Info, new DateTime(2026, 11, 23, 15, 2, 30, 250), "first read"),
            Entry(TraceLevel.Info, new DateTime(2026, 11, 23, 15, 8, 0), "recent"),
        ]);
        await TailsHaveRead();
        var page = Render<LogsPage>();
        page.Find("[data-testid=dc-dc2]").Click();

        // Last 5 min (from 15:05:00) lies inside what is held: nothing to say.
        page.Find("[data-testid=range-5m]").Click();
        page.WaitForAssertion(() => Assert.Equal(["recent"], Messages(page)));
        Assert.Null(HeldHint(page));

        // Last 15 min starts at 14:55:00, before the tail began: said, to the second rounded up, in dc2's time.
        page.Find("[data-testid=range-15m]").Click();
        page.WaitForAssertion(() => Assert.Equal(["first read", "recent"], Messages(page)));
        var hint = HeldHint(page)!;
        Assert.Equal("tail-start", hint.GetAttribute("data-reason"));
        Assert.Equal("The live tail holds dc2's lines from 15:02:31 UTC+01:00 (where the tail began reading the files; it did not read the older lines).",
            hint.TextContent.Trim());

        var search = page.Find("[data-testid=held-search]");
        Assert.Equal("Search the files for the last 15 min", search.TextContent.Trim());
        search.Click();
        page.WaitForAssertion(() => Assert.Equal(new DateTime(2026, 11, 23, 14, 55, 0), _search.Query?.From));
        Assert.Equal("dc2", _search.Query!.DatacenterId);
        // The search shows the files: the hint is for the live tail only.
        Assert.Null(HeldHint(page));
    }

    [Fact]
    public async Task HeldHint_NotReadYet_ThenOlderLinesLeftTheFullBuffer()
    {
        PageClock(new DateTimeOffset(2026, 11, 23, 14, 10, 0, TimeSpan.Zero));
        var page = Render<LogsPage>();
        Assert.Equal("The live tail has not read dc1's files yet: it holds none of its lines.", HeldHint(page)!.TextContent.Trim());

        // One more line than the buffer holds: the first (13:40:00.000) leaves it.
        var first = new DateTime(2026, 11, 23, 13, 40, 0);
        _buffer.Append("dc1", "group-2", "instance-1", "a.trc",
            Enumerable.Range(0, _buffer.Capacity + 1).Select(i => Entry(TraceLevel.Info, first.AddSeconds(i), $"line {i}")).ToList());
        await TailsHaveRead();
        // Any time reaches back before every held line.
        page.WaitForAssertion(() => Assert.Equal("capacity", HeldHint(page)?.GetAttribute("data-reason")));
        Assert.Equal("The live tail holds dc1's lines from 13:40:01 UTC (older lines left the buffer of 1,000 lines, shared by all datacenters).",
            HeldHint(page)!.TextContent.Trim());
        Assert.Equal("Search the files", page.Find("[data-testid=held-search]").TextContent.Trim());

        page.Find("[data-testid=range-60m]").Click();
        page.WaitForAssertion(() => Assert.Equal("Search the files for the last 60 min", page.Find("[data-testid=held-search]").TextContent.Trim()));
        Assert.Contains("from 13:40:01 UTC", HeldHint(page)!.TextContent);

        page.Find("[data-testid=range-15m]").Click();
        page.WaitForAssertion(() => Assert.Null(HeldHint(page)));
    }
}

internal static class TraceLogTailOptionsDefaults
{
    public static TimeSpan PollInterval => new TraceLogTailOptions().PollInterval;
}
