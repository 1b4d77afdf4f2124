using System.Diagnostics;
using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Monitoring.Tests.Traffic;
using ApimConsole.Monitoring.Traffic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// The traffic collector (over real HTTP, through its own client) and the HTTP trace log source against hostile
/// peers: each call ends within its timeout plus a margin, with a reason that names the problem, and nothing of a
/// broken answer is kept.
/// </summary>
public sealed class TrafficAndLogPeersHostileTests
{
    // Long enough to read a bounded answer (8 MB of search, 4 MB of listing) on a loaded machine before it is refused.
    private static readonly TimeSpan TrafficTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private static readonly string Transaction =
        """{"correlationId":"697f605fdb408a78c01cc73e","timestamp":TS,"duration":4,"status":200,"method":"GET","uri":"/a","finalStatus":"Pass","leg":0}""";

    public static TheoryData<string, Func<HostilePeer>, string> AnmPeers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, "ANM did not answer (no answer within 2000 ms)" },
        { "one byte per 100 ms", () => HostilePeer.HttpDripping(HostilePeer.HttpResponse(200, """{"data":[]}"""), TimeSpan.FromMilliseconds(100)), "ANM did not answer (no answer within 2000 ms)" },
        { "resets mid-response", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, """{"data":[]}""" + new string(' ', 2000)), reset: true), "ANM did not answer (connection reset)" },
        { "closes mid-headers", () => HostilePeer.HttpHalfAnswering(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Le"), reset: false), "ANM did not answer (connection closed before a response)" },
        { "broken JSON", () => Answering("""{"data":[{"correlationId":"""), "is not a traffic monitor answer: ops/search answer is not JSON" },
        { "JSON of the wrong shape", () => Answering("""{"data":{"correlationId":"ab"}}"""), "is not a traffic monitor answer: ops/search answer has no 'data' array" },
        { "a row that lies", () => Answering("""{"data":[""" + Transaction.Replace("TS", "1") + """,{"correlationId":"zz","timestamp":1}]}"""), "ops/search row 2: correlationId 'zz' is not hex" },
        { "a 2 GB body", () => HostilePeer.HttpHuge(2L << 30), "response larger than 8388608 bytes" },
    };

    private static HostilePeer Answering(string body) => HostilePeer.HttpAnswering(_ => HostilePeer.HttpResponse(200, body));

    [Theory]
    [MemberData(nameof(AnmPeers))]
    public async Task TrafficPoll_RecordsAGapNamingTheProblem_AndKeepsNothing(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        var estate = new EstateOptions
        {
            Name = "hostile",
            ConsoleDatacenter = "dc1",
            Datacenters = [new DatacenterOptions { Id = "dc1", AdminNodeManager = new() { Urls = [peer.Url.AbsoluteUri.TrimEnd('/')], Username = "a", Password = "b" } }],
        };
        var recent = new RecentTransactions();
        var history = new TrafficHistory();
        var store = new MemoryTrafficStore();
        var traffic = new TrafficOptions { RequestTimeout = TrafficTimeout };
        using var http = new EstateHttp(traffic: traffic);
        using var collector = new TrafficCollector(Options.Create(estate), Options.Create(traffic),
            new OneInstanceEstate(), store, history, recent, TimeProvider.System, NullLogger<TrafficCollector>.Instance, http);
        var clock = Stopwatch.StartNew();

        await collector.PollAsync("dc1", CancellationToken.None);
        await collector.FlushAsync(CancellationToken.None);

        Assert.True(clock.Elapsed < TrafficTimeout + Margin, $"peer {peerDoes}: the poll took {clock.Elapsed}");
        var status = Assert.Single(collector.Status());
        Assert.False(status.Collected);
        Assert.True(status.Reason?.Contains(reason, StringComparison.Ordinal), $"peer {peerDoes}: reason '{status.Reason}' does not name '{reason}'");
        Assert.Equal(0, recent.Count);
        Assert.Empty(store.Cells);
        Assert.All(store.Coverage, span => Assert.False(span.Collected));
    }

    public static TheoryData<string, Func<HostilePeer>, string> LogPeers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, "did not answer within 1 s" },
        { "one byte per 100 ms", () => HostilePeer.HttpDripping(HostilePeer.HttpResponse(200, "[]"), TimeSpan.FromMilliseconds(100)), "did not answer within 1 s" },
        { "resets mid-response", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, "[" + new string(' ', 2000) + "]"), reset: true), "the connection broke (" },
        { "closes mid-body", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, "[" + new string(' ', 2000) + "]"), reset: false), "the connection broke" },
        { "broken JSON", () => Answering("""[{"name":"g1","type":"directory" """), "the directory listing is not JSON" },
        { "not UTF-8", () => HostilePeer.HttpAnswering(_ => HostilePeer.HttpResponse(200, [0x5B, 0xFF, 0xFE, 0x5D])), "is not a JSON directory listing (not UTF-8)" },
        { "an HTML listing", () => HostilePeer.HttpAnswering(_ => HostilePeer.HttpResponse(200, "<html><body>Index of /groups/</body></html>", "text/html")), "the directory listing is not JSON" },
        { "a 2 GB listing", () => HostilePeer.HttpHuge(2L << 30), "the directory listing is larger than 4194304 bytes" },
        { "a name that climbs out", () => Answering("""[{"name":"..","type":"directory"}]"""), "has a name that is not a plain file name: '..'" },
    };

    [Theory]
    [MemberData(nameof(LogPeers))]
    public async Task TraceLogListing_FailsWithAReasonNamingTheProblem(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var source = new HttpTraceLogSource(http, peer.Url, Timeout);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ListFilesAsync(CancellationToken.None));

        Assert.True(clock.Elapsed < Timeout + Margin, $"peer {peerDoes}: the listing took {clock.Elapsed}");
        Assert.True(error.Message.Contains(reason, StringComparison.Ordinal), $"peer {peerDoes}: '{error.Message}' does not name '{reason}'");
    }

    [Fact]
    public async Task TraceLogRead_OfAHungPeer_EndsWithinItsTimeout()
    {
        await using var peer = HostilePeer.NeverAnswering();
        using var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var source = new HttpTraceLogSource(http, peer.Url, Timeout);
        var file = new TraceFileInfo("group-1", "instance-1", "instance-1_20261123140000.trc", 100, null);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ReadAsync(file, 0, 4096, CancellationToken.None));

        Assert.True(clock.Elapsed < Timeout + Margin, $"the read took {clock.Elapsed}");
        Assert.EndsWith("did not answer within 1 s", error.Message);
    }

    /// <summary>The status engine's view for the collector: dc1 up, one gateway instance.</summary>
    private sealed class OneInstanceEstate : IEstateStatus
    {
        public EstateSnapshot Current { get; } = Snapshot(DateTimeOffset.UtcNow);

        public FeedSubscription<EstateSnapshot> Subscribe(int capacity = 16) => new LiveFeed<EstateSnapshot>(Current).Subscribe(capacity);

        private static EstateSnapshot Snapshot(DateTimeOffset at) => new(at, "hostile", "dc1",
        [
            new DatacenterSnapshot("dc1", "dc1", DatacenterState.Up, at, null,
                [new ComponentStatus("dc1", "anm", "anm", ComponentKind.AdminNodeManager, ComponentState.Up, at, null)],
                [new GatewayGroupStatus("group-1", "Internal", GatewayZone.Internal,
                    [new GatewayInstanceStatus("dc1", "instance-1", "gw-1", ComponentState.Up, at, null, "group-1", "h", "Running")])],
                []),
        ], new InterDatacenterLink(LinkState.Up, at, null), null);
    }
}
