using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApimConsole.Web.Components.Logs;
using ApimConsole.Web.Logs;
using ApimConsole.Web.Peer;
using ApimConsole.Web.Tests.Live;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>
/// How far back the console in dc2 holds dc2's lines (<c>held</c>), as the console in dc1 receives it through the peer:
/// two real consoles and the lab, no fake peer. What dc1 receives must be exactly what dc2's own <c>/api/logs/dc2</c>
/// says, and dc1 says it in dc2's time (its offset, from dc1's configuration of dc2).
/// </summary>
public sealed class TwoConsolesLogHeldTests : IAsyncLifetime
{
    // The lab's gateways write UTC; naming another zone for dc2 on both consoles makes the offset a part of what is
    // checked (UTC is this machine's and dc1's zone: the label could come from anywhere). Kolkata keeps +05:30 all year.
    // No assertion here compares a line's time with the held time, so the lab's stamps being UTC changes nothing checked.
    private const string Dc2Zone = "Asia/Kolkata";
    private const string Dc2Offset = "UTC+05:30";

    private TwoConsoles _consoles = null!;
    private DateTimeOffset _started;

    public async Task InitializeAsync()
    {
        _started = DateTimeOffset.UtcNow;
        _consoles = await TwoConsoles.StartAsync(loadBalancerWitness: false, new Dictionary<string, string?>
        {
            ["Estate:Datacenters:1:Logs:TimeZone"] = Dc2Zone,
            // Each tail begins at the end of the files: it holds the lines from that moment, in dc2's time to the tick,
            // which dc1 must receive unchanged.
            ["Logs:BackfillBytes"] = "0",
        }, beforeConsoles: Dc2HasWrittenLinesAsync);
    }

    public async Task DisposeAsync() => await _consoles.DisposeAsync();

    /// <summary>
    /// A tail that starts at the end of an empty file left nothing out, and rightly says nothing (a fresh clone's run
    /// started the consoles before the lab's gateways had written a line): the consoles start once dc2's files hold lines.
    /// </summary>
    private static Task Dc2HasWrittenLinesAsync(ApimConsole.Lab.LabEstate lab) =>
        Eventually.Until(() =>
        {
            lab.FlushTraceFiles();
            return Directory.Exists(lab.TraceDirectory("dc2"))
                ? Directory.EnumerateFiles(lab.TraceDirectory("dc2"), "*.trc", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
                : 0;
        }, bytes => bytes > 0, TimeSpan.FromSeconds(30), "dc2's gateways writing trace lines before the consoles start", every: TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task Held_TheDc1ConsoleReceivesThroughThePeer_IsExactlyWhatDc2sOwnConsoleSays_AndIsShownInDc2sTime()
    {
        await _consoles.Dc1.WaitForEstateAsync(e => e.AllUp() && TwoConsolesLinkTests.PeerAvailable(e), TimeSpan.FromSeconds(60), "all up, peer a witness");
        using var dc2Api = _consoles.Dc2.Api();
        using var dc1Api = _consoles.Dc1.Api();
        var peer = _consoles.Dc1.Services.GetRequiredService<IPeerReads>();
        var dc2InDc1 = _consoles.Dc1.Services.GetRequiredService<LogDatacenters>().Find("dc2")!;
        Assert.Equal(Dc2Zone, dc2InDc1.Zone.Id);

        // dc2's tail has begun: its own console knows from when it holds dc2's lines.
        await Eventually.Until(() => Held(dc2Api, "/api/logs/dc2?max=1"), h => h?["readFrom"] is not null, TimeSpan.FromSeconds(30),
            "dc2's console holding dc2's lines from where its tail began", every: TimeSpan.FromMilliseconds(100));

        // 1. What the Logs page's part for the peer reads (PeerLogTail: dc1's peer reads, /api/peer/logs on the console in dc2).
        var throughPeer = await Agreeing(dc2Api, async () => (await peer.PeerJsonAsync("dc2", "/api/peer/logs?after=0&max=1", CancellationToken.None))?["held"]);

        // 2. What dc1's own /api/logs/dc2 relays once dc1 is cut off from dc2's log source.
        _consoles.Lab.Faults.Apply("link", "down", "test");
        var relayed = await Agreeing(dc2Api, async () =>
        {
            var answer = await dc1Api.GetFromJsonAsync<JsonObject>("/api/logs/dc2?max=1");
            return answer?["through"] is not null ? answer["held"] : null;
        });
        Assert.True(JsonNode.DeepEquals(throughPeer, relayed), $"through the peer {throughPeer}, relayed {relayed}");

        // Shown on dc1 as PeerLogTail shows it: read back exactly, from the second after (rounded up), in dc2's offset.
        var span = TraceHeldSpanJson.Parse(throughPeer, "dc2");
        Assert.NotNull(span);
        var readFrom = DateTime.ParseExact(throughPeer!["readFrom"]!.GetValue<string>(), "yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture);
        Assert.Equal(readFrom, span.ReadFrom);
        // dc2's console noted where its tail began in dc2's time: a moment of this test, read as Kolkata's wall clock.
        var readFromUtc = TimeZoneInfo.ConvertTimeToUtc(readFrom, dc2InDc1.Zone);
        Assert.InRange(readFromUtc, _started.UtcDateTime, DateTime.UtcNow);
        var second = new DateTime(readFrom.Ticks + TimeSpan.TicksPerSecond - 1 - (readFrom.Ticks + TimeSpan.TicksPerSecond - 1) % TimeSpan.TicksPerSecond);
        var heldFrom = $"dc2's lines from ({second:yyyy-MM-dd} )?{second:HH:mm:ss} {System.Text.RegularExpressions.Regex.Escape(Dc2Offset)} \\(where the tail began reading the files";
        Assert.Matches("^" + heldFrom, TailHeldHint.HeldFrom(dc2InDc1, span, DateTimeOffset.UtcNow));

        // The Logs page's part for the peer itself, on dc1's services (its peer reads, its zones): it says the same.
        await using var page = new BunitContext();
        page.JSInterop.Mode = JSRuntimeMode.Loose;
        page.Services.AddMudServices();
        page.Services.AddSingleton(TimeProvider.System);
        page.Services.AddSingleton(peer);
        page.Services.AddSingleton(_consoles.Dc1.Services.GetRequiredService<LogDatacenters>());
        var tail = page.Render<PeerLogTail>(p => p.Add(t => t.DatacenterId, "dc2"));
        tail.WaitForAssertion(() => Assert.Matches($"^The console in dc2 holds {heldFrom}.*; shown here: the newest of them\\.$",
            tail.Find("[data-testid=through-peer-held]").TextContent.Trim()), TimeSpan.FromSeconds(20));
        Assert.Equal("true", tail.Find("[data-testid=through-peer-held]").GetAttribute("data-known"));
        Assert.StartsWith("through the console in dc2, read ", tail.Find("[data-testid=through-peer-label]").TextContent);
    }

    /// <summary>
    /// <c>held</c> as dc1 receives it by <paramref name="read"/>, once dc2's own console said the same before and after it
    /// (its span moves when a tail starts anew): then dc1's must equal it exactly.
    /// </summary>
    private static async Task<JsonNode> Agreeing(HttpClient dc2Api, Func<Task<JsonNode?>> read)
    {
        var (before, received, after) = await Eventually.Until(async () => (await Held(dc2Api, "/api/logs/dc2?max=1"), await read(), await Held(dc2Api, "/api/logs/dc2?max=1")),
            r => r.Item2 is not null && JsonNode.DeepEquals(r.Item1, r.Item3), TimeSpan.FromSeconds(30),
            "dc1 receiving held while dc2's own answer stays the same", every: TimeSpan.FromMilliseconds(200));
        Assert.True(JsonNode.DeepEquals(before, received), $"dc2's console says {before}, dc1 received {received}");
        return received!;
    }

    private static async Task<JsonNode?> Held(HttpClient client, string path) => (await client.GetFromJsonAsync<JsonObject>(path))?["held"];
}
