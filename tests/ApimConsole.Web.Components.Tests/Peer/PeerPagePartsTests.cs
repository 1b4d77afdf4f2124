using System.Text.Json;
using System.Text.Json.Nodes;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Logs;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Api;
using ApimConsole.Web.Components.Logs;
using ApimConsole.Web.Components.Traffic;
using ApimConsole.Web.Logs;
using ApimConsole.Web.Peer;
using ApimConsole.Web.Traffic;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Peer.PeerAnswers;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>
/// The parts of the Logs and Traffic pages that show the other datacenter through its console during a partition:
/// they read the peer after the first render, show what it sent marked as coming through it, and say when it did not
/// answer (keeping what it sent before). The peer's answers are written by the console's own serializers
/// (<see cref="LogRecordJson"/>, <see cref="EstateJson"/>), as <c>/api/peer/logs</c> and <c>/api/peer/traffic</c> write them.
/// </summary>
public sealed class PeerPagePartsTests : BunitContext, IAsyncLifetime
{
    private readonly FakePeerReads _peer = new();

    public PeerPagePartsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IPeerReads>(_peer);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public void PeerLogTail_ShowsThePeersLines_MarkedAsComingThroughIt_AndReadsOnFromWhereItWas()
    {
        _peer.Answer = path => path.StartsWith("/api/peer/logs?after=0&", StringComparison.Ordinal)
            ? PeerLines(next: 2, Line(1, "first through the peer"), Line(2, "second through the peer", "697f605fdb408a78c01cc73e"))
            : PeerLines(next: 3, Line(3, "third through the peer"));

        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.PollInterval, TimeSpan.FromMilliseconds(100)));

        tail.WaitForAssertion(() => Assert.Equal(["first through the peer", "second through the peer", "third through the peer"], Messages(tail)), TimeSpan.FromSeconds(10));
        Assert.StartsWith("through the console in dc2, read ", tail.Find("[data-testid=through-peer-label]").TextContent);
        Assert.Equal("dc2", tail.Find("[data-testid=through-peer-lines]").GetAttribute("data-dc"));
        Assert.Empty(tail.FindAll("[data-testid=through-peer-failure]"));
        Assert.Contains(_peer.Paths, p => p.StartsWith("/api/peer/logs?after=2&", StringComparison.Ordinal));
        // A line keeps its level and transaction.
        Assert.Contains(tail.FindAll("[data-testid=line]"), l => l.GetAttribute("data-level") == "ERROR");
        Assert.Single(tail.FindAll("[data-testid=line-correlation]"));
    }

    [Fact]
    public void PeerLogTail_APeerThatAnswersLinesAgain_ShowsEachOnce()
    {
        // A peer that ignores "after" and sends the same lines (and one older) on every poll.
        _peer.Answer = _ => PeerLines(next: 3, Line(2, "second"), Line(3, "third"), Line(1, "first, late"), Line(3, "third again"));

        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.PollInterval, TimeSpan.FromMilliseconds(50)));

        tail.WaitForAssertion(() => Assert.True(_peer.Paths.Count(p => p.StartsWith("/api/peer/logs?after=3&", StringComparison.Ordinal)) >= 3), TimeSpan.FromSeconds(10));
        tail.WaitForAssertion(() => Assert.Equal(["second", "third"], Messages(tail)), TimeSpan.FromSeconds(10));
        Assert.Empty(tail.FindAll("[data-testid=through-peer-failure]"));
    }

    [Fact]
    public void PeerLogTail_AsksThePeerWithThePagesFilter_AndStartsOverWhenItChanges()
    {
        _peer.Answer = _ => PeerLines(next: 1, Line(1, "a line"));
        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.FilterQuery, "level=ERROR"));
        tail.WaitForAssertion(() => Assert.Contains(_peer.Paths, p => p == "/api/peer/logs?after=0&max=500&level=ERROR"), TimeSpan.FromSeconds(10));

        tail.Render(p => p.Add(t => t.FilterQuery, "text=upstream"));
        tail.WaitForAssertion(() => Assert.Contains(_peer.Paths, p => p == "/api/peer/logs?after=0&max=500&text=upstream"), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void PeerLogTail_APeerThatStopsAnswering_IsSaid_AndWhatItSentBeforeStays()
    {
        var answers = 0;
        _peer.Answer = _ => Interlocked.Increment(ref answers) == 1 ? PeerLines(next: 1, Line(1, "before it stopped")) : null;
        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.PollInterval, TimeSpan.FromMilliseconds(100)));

        tail.WaitForAssertion(() => Assert.Contains("did not answer", tail.Find("[data-testid=through-peer-failure]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("showing what it sent before", tail.Find("[data-testid=through-peer-failure]").TextContent);
        Assert.Equal(["before it stopped"], Messages(tail));
    }

    [Theory]
    [InlineData("next", "\"x\"")]
    [InlineData("next", "{\"n\":1}")]
    [InlineData("lastSequence", "\"soon\"")]
    [InlineData("next", "1.5")]
    public void PeerLogTail_AnAnswerInAShapeThisConsoleDoesNotKnow_IsSaid_AndWhatItSentBeforeStays(string field, string value)
    {
        // Before: GetValue<long> threw inside the read, the exception was lost with the timer's task and the part went on
        // showing its last state as if all were well.
        var answers = 0;
        _peer.Answer = _ =>
        {
            if (Interlocked.Increment(ref answers) == 1)
                return PeerLines(next: 1, Line(1, "before the odd answer"));
            var odd = PeerLines(next: 2, Line(2, "never shown"));
            odd[field] = JsonNode.Parse(value);
            return odd;
        };
        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.PollInterval, TimeSpan.FromMilliseconds(100)));

        tail.WaitForAssertion(() => Assert.Contains("in a shape this console does not know", tail.Find("[data-testid=through-peer-failure]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("showing what it sent before", tail.Find("[data-testid=through-peer-failure]").TextContent);
        Assert.DoesNotContain("did not answer", tail.Find("[data-testid=through-peer-failure]").TextContent);
        Assert.Equal(["before the odd answer"], Messages(tail));
    }

    [Fact]
    public void PeerLogTail_ALabelThatIsNotText_IsReplacedByItsOwnWords()
    {
        _peer.Answer = _ => PeerLines(next: 1, Line(1, "a line"));
        _peer.Label = JsonValue.Create(42);
        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2"));

        tail.WaitForAssertion(() => Assert.StartsWith("through the console in dc2, read ", tail.Find("[data-testid=through-peer-label]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal(["a line"], Messages(tail));
    }

    [Fact]
    public void PeerLogTail_SaysHowFarBackThePeersTailReaches_InTheDatacentersTime_OrThatItIsNotKnown()
    {
        Services.AddSingleton(new LogDatacenters(
            Microsoft.Extensions.Options.Options.Create(new ApimConsole.Core.Configuration.EstateOptions
            {
                Datacenters = [new ApimConsole.Core.Configuration.DatacenterOptions { Id = "dc2", Name = "Amsterdam" }],
            }),
            new ApimConsole.Web.Tests.Logs.FakeSources(
                new Dictionary<string, ITraceLogSource> { ["dc2"] = new ApimConsole.Web.Tests.Logs.SwitchableSource("http://logs.dc2.test/") },
                new Dictionary<string, TimeZoneInfo> { ["dc2"] = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam") })));
        // The peer's own buffer: its tail began at a line written at 15:02:30.250 Amsterdam time.
        var peerBuffer = new TraceLogBuffer(1000);
        peerBuffer.NoteTailStart("dc2", new DateTime(2026, 11, 23, 15, 2, 30, 250));
        // What the peer's answers carry as held: 0 its span, 1 nothing (an earlier version), 2 a shape no buffer writes.
        var held = 0;
        _peer.Answer = path =>
        {
            // As a real peer pages: its line once, then nothing newer.
            var answer = path.StartsWith("/api/peer/logs?after=0&", StringComparison.Ordinal) ? PeerLines(next: 1, Line(1, "a line")) : PeerLines(next: 1);
            switch (Volatile.Read(ref held))
            {
                case 0:
                    answer["held"] = JsonSerializer.SerializeToNode(TraceHeldSpanJson.ToJson(peerBuffer.HeldSpan("dc2")), EstateJson.Options);
                    break;
                case 2:
                    // The last line dropped at the calendar's very end: reading it (the tick after) would overflow.
                    answer["held"] = JsonNode.Parse("""{"readFrom":null,"lastEvicted":"9999-12-31T23:59:59.9999999","evicted":1,"capacity":1000}""");
                    break;
            }
            return answer;
        };

        var tail = Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.PollInterval, TimeSpan.FromMilliseconds(100)));

        tail.WaitForAssertion(() => Assert.Equal("true", tail.Find("[data-testid=through-peer-held]").GetAttribute("data-known")), TimeSpan.FromSeconds(10));
        // In November Amsterdam is UTC+01:00, whatever the date today.
        Assert.Equal("The console in dc2 holds dc2's lines from 2026-11-23 15:02:31 UTC+01:00 (where the tail began reading the files; it did not read the older lines); shown here: the newest of them.",
            tail.Find("[data-testid=through-peer-held]").TextContent.Trim());

        // A peer that does not say (an earlier version): not known, never a guess.
        Volatile.Write(ref held, 1);
        tail.WaitForAssertion(() => Assert.Equal("false", tail.Find("[data-testid=through-peer-held]").GetAttribute("data-known")), TimeSpan.FromSeconds(10));
        Assert.Equal("How far back the console in dc2 holds dc2's lines is not known: its answer does not say (a console of an earlier version).",
            tail.Find("[data-testid=through-peer-held]").TextContent.Trim());

        // A peer that says it in a shape no buffer writes: not known, and why; the lines stay (never an exception).
        Volatile.Write(ref held, 2);
        tail.WaitForAssertion(() => Assert.Equal("How far back the console in dc2 holds dc2's lines is not known: its answer says it in a shape this console does not know.",
            tail.Find("[data-testid=through-peer-held]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal("false", tail.Find("[data-testid=through-peer-held]").GetAttribute("data-known"));
        Assert.Equal(["a line"], Messages(tail));
        Assert.Empty(tail.FindAll("[data-testid=through-peer-failure]"));
    }

    [Fact]
    public void PeerTrafficPanel_ShowsTheDatacentersTraffic_AsItsConsoleCollectsIt_MarkedSo()
    {
        var now = DateTimeOffset.UtcNow;
        var local = PeerAnswers.Traffic("dc2", collected: false, requests: 0, reason: "ANM did not answer (link down)", now);
        var theirs = PeerAnswers.Traffic("dc2", collected: true, requests: 1234, reason: null, now);
        _peer.Answer = path => path == "/api/peer/traffic?window=10m"
            ? new JsonObject { ["datacenter"] = JsonSerializer.SerializeToNode(theirs, EstateJson.Options) }
            : null;

        var panel = Render<PeerTrafficPanel>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.Local, local).Add(t => t.Window, TrafficWindow.TenMinutes));
        // Until the peer answers, what this console has (not collected, and why).
        panel.WaitForAssertion(() =>
        {
            Assert.StartsWith("dc2's traffic through the console in dc2, read ", panel.Find("[data-testid=through-peer-label]").TextContent);
            Assert.Equal("true", panel.Find("[data-testid=collection]").GetAttribute("data-collected"));
        }, TimeSpan.FromSeconds(10));
        Assert.Contains("through its console", panel.Find("h2").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=collection-reason]"));
    }

    [Fact]
    public void PeerTrafficPanel_UntilThePeerAnswers_ShowsWhatThisConsoleHas_AndSaysItDidNotAnswer()
    {
        var local = PeerAnswers.Traffic("dc2", collected: false, requests: 0, reason: "ANM did not answer (link down)", DateTimeOffset.UtcNow);
        _peer.Answer = _ => null;
        var panel = Render<PeerTrafficPanel>(p => p.Add(t => t.DatacenterId, "dc2").Add(t => t.Local, local));
        panel.WaitForAssertion(() => Assert.Contains("did not answer", panel.Find("[data-testid=through-peer-failure]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("false", panel.Find("[data-testid=collection]").GetAttribute("data-collected"));
        Assert.Contains("link down", panel.Find("[data-testid=collection-reason]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=through-peer-label]"));
    }

    private static IReadOnlyList<string> Messages(IRenderedComponent<PeerLogTail> tail) =>
        tail.FindAll("[data-testid=line] .log-message").Select(m => m.TextContent.Trim()).ToList();
}

/// <summary>The peer's answers as <c>/api/peer/logs</c> and <c>/api/peer/traffic</c> write them, with the console's own serializers.</summary>
internal static class PeerAnswers
{
    public static TraceLogRecord Line(long sequence, string message, string? correlation = null) =>
        new(sequence, "dc2", "group-2", "instance-3", "c.trc",
            new ApimConsole.Core.Logs.TraceEntry(0, 10, correlation is null ? TraceLevel.Info : TraceLevel.Error, new DateTime(2026, 11, 23, 14, 0, (int)sequence), "t-1", correlation, message));

    /// <summary>The body of <c>/api/peer/logs</c> (its other fields are not read by the tail).</summary>
    public static JsonObject PeerLines(long next, params TraceLogRecord[] records) =>
        JsonSerializer.SerializeToNode(new { dc = "dc2", next, lastSequence = next, records = records.Select(LogRecordJson.ToJson).ToList() }, EstateJson.Options)!.AsObject();

    public static DatacenterTraffic Traffic(string dc, bool collected, long requests, string? reason, DateTimeOffset now)
    {
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var points = Enumerable.Range(0, 10).Select(i => new TrafficPoint(minute.AddMinutes(i - 9), requests, requests / 60.0, 0.01, 4, 9, 12, null, [])).ToList();
        var view = new TrafficView(dc, new TrafficSeries(dc, TrafficWindow.TenMinutes, TimeSpan.FromMinutes(1), points),
            [new TrafficShare(dc, "/orders", requests, 3, requests / 600.0, 1)], [new TrafficShare(dc, "instance-3", requests, 3, requests / 600.0, 1)], []);
        return new DatacenterTraffic(dc, "Amsterdam", view,
            new DatacenterCollectionStatus(dc, now, collected, reason, requests, new Dictionary<string, InstanceCollectionStatus>()));
    }
}

/// <summary>The peer as the pages see it: available for dc2, answering what <see cref="Answer"/> says, marked as the relay marks it.</summary>
internal sealed class FakePeerReads : IPeerReads
{
    private readonly List<string> _paths = [];

    public Func<string, JsonObject?> Answer { get; set; } = _ => null;

    /// <summary>The relay's label as sent (a text unless a test says otherwise).</summary>
    public JsonNode? Label { get; set; }

    public IReadOnlyList<string> Paths
    {
        get
        {
            lock (_paths)
                return [.. _paths];
        }
    }

    public bool ShouldRelay(string datacenter, TraceTailStatus? local) => datacenter == "dc2" && local is not { Reachable: true };

    public bool TrafficThroughPeer(string datacenter, bool collectedHere, EstateSnapshot estate) => datacenter == "dc2" && !collectedHere;

    public Task<JsonObject?> PeerJsonAsync(string datacenter, string pathAndQuery, CancellationToken cancellationToken)
    {
        lock (_paths)
            _paths.Add(pathAndQuery);
        var answer = Answer(pathAndQuery);
        if (answer is not null)
            answer["through"] = new JsonObject { ["console"] = datacenter, ["at"] = DateTimeOffset.UtcNow, ["label"] = Label?.DeepClone() ?? $"through the console in {datacenter}" };
        return Task.FromResult(answer);
    }
}
