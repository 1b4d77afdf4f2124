using System.Diagnostics;
using System.Text;
using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// The status engine's HTTP probes (ANM topology, gateway /healthcheck) against peers that hang, drip, hang up half-way
/// or send what no ANM or gateway sends: each component ends Down with a reason that names the problem, after one
/// probe timeout (plus a margin), never later.
/// </summary>
public sealed class HttpPeersHostileTests
{
    /// <summary>Generous: a probe's timeout, the loop's fast interval and a loaded 2-core machine's scheduling.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private static readonly string Topology = """
        {"result":{"id":"domain","productVersion":"7.7.0","hosts":[{"id":"host-1","name":"127.0.0.1"}],
         "groups":[{"id":"group-1","name":"Internal","tags":{"zone":"internal"},
           "services":[{"id":"instance-1","name":"gw-1","type":"Gateway","hostID":"host-1"}]}]}}
        """;

    public static TheoryData<string, Func<HostilePeer>, string> AnmPeers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { "one byte per 100 ms", () => HostilePeer.HttpDripping(HostilePeer.HttpResponse(200, Topology), TimeSpan.FromMilliseconds(100)), "no answer within 1000 ms" },
        { "closes mid-headers", () => HostilePeer.HttpHalfAnswering(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: applic"), reset: false), "connection closed before a response" },
        { "closes mid-body", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, Topology + new string(' ', 4000)), reset: false), "ended prematurely" },
        { "resets mid-body", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, Topology + new string(' ', 4000)), reset: true), "connection reset" },
        { "broken JSON", () => Answering(HostilePeer.HttpResponse(200, "{\"result\":{\"groups\":[{\"id\":\"")), "topology is not JSON" },
        { "JSON of the wrong shape", () => Answering(HostilePeer.HttpResponse(200, """{"result":[1,2,3]}""")), "topology has no 'result' object" },
        { "a group without an id", () => Answering(HostilePeer.HttpResponse(200, """{"result":{"groups":[{"name":"x"}]}}""")), "a group in the topology has no id" },
        { "JSON nested 10 000 deep", () => Answering(HostilePeer.HttpResponse(200, new string('[', 10_000))), "topology is not JSON" },
        { "a 2 GB body", () => HostilePeer.HttpHuge(2L << 30), "response larger than 4194304 bytes" },
        { "HTTP 500", () => Answering(HostilePeer.HttpResponse(500, "boom", "text/plain")), "ANM answered 500" },
        { "not HTTP at all", () => Answering(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6\r\n")), "request failed (InvalidResponse)" },
    };

    private static HostilePeer Answering(byte[] response) => HostilePeer.HttpAnswering(_ => response);

    [Theory]
    [MemberData(nameof(AnmPeers))]
    public async Task Anm_EndsDown_WithAReasonNamingTheProblem(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        var clock = Stopwatch.StartNew();
        await using var engine = await HostileEngine.StartAsync(HostileEngine.Datacenter("dc1", peer.Url));

        var actual = await engine.DownReasonAsync("dc1/anm");

        Assert.True(actual.Contains(reason, StringComparison.Ordinal), $"peer {peerDoes}: reason '{actual}' does not name '{reason}'");
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"peer {peerDoes}: Down only after {clock.Elapsed}");
    }

    public static TheoryData<string, Func<HostilePeer>, string> GatewayPeers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { "one byte per 100 ms", () => HostilePeer.HttpDripping(HostilePeer.HttpResponse(200, "<status>ok</status>", "text/xml"), TimeSpan.FromMilliseconds(100)), "no answer within 1000 ms" },
        { "resets mid-response", () => HostilePeer.HttpHalfAnswering(HostilePeer.HttpResponse(200, "<status>ok</status>", "text/xml"), reset: true), "connection reset" },
        { "a 2 GB body", () => HostilePeer.HttpHuge(2L << 30), "healthcheck did not say <status>ok</status>" },
        { "HTTP 503", () => Answering(HostilePeer.HttpResponse(503, "<status>down</status>", "text/xml")), "healthcheck answered 503" },
        { "not HTTP at all", () => Answering(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6\r\n")), "request failed (InvalidResponse)" },
        // A status line that never ends (a CQL frame on the traffic port): the deadline, not the parser, ends it.
        { "half a status line", () => Answering([0x84, 0, 0, 1, 0x06, 0, 0, 0, 0]), "no answer within 1000 ms" },
    };

    [Theory]
    [MemberData(nameof(GatewayPeers))]
    public async Task Gateway_EndsDown_WithAReasonNamingTheProblem(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var anm = HostilePeer.HttpAnswering(path => path.Contains("/management/status/")
            ? HostilePeer.HttpResponse(200, """{"result":"0"}""")
            : HostilePeer.HttpResponse(200, Topology));
        await using var gateway = start();
        await using var engine = await HostileEngine.StartAsync(HostileEngine.Datacenter("dc1", anm.Url, gateway.Port));
        await engine.WaitForAsync(s => s.AllComponents().Any(c => c.Key == "dc1/instance-1"), "the gateway from the topology");
        var clock = Stopwatch.StartNew();

        var actual = await engine.DownReasonAsync("dc1/instance-1");

        Assert.True(actual.Contains(reason, StringComparison.Ordinal), $"peer {peerDoes}: reason '{actual}' does not name '{reason}'");
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"peer {peerDoes}: Down only after {clock.Elapsed}");
        Assert.Equal(ComponentState.Up, engine.Engine.Current.AllComponents().Single(c => c.Key == "dc1/anm").State);
    }

    [Fact]
    public async Task ManagementStatusThatIsNotJson_LeavesTheHealthcheckReason_AndNoManagementState()
    {
        await using var anm = HostilePeer.HttpAnswering(path => path.Contains("/management/status/")
            ? HostilePeer.HttpResponse(200, "<html>not the ANM</html>", "text/html")
            : HostilePeer.HttpResponse(200, Topology));
        await using var gateway = Answering(HostilePeer.HttpResponse(503, "<status>down</status>", "text/xml"));
        await using var engine = await HostileEngine.StartAsync(HostileEngine.Datacenter("dc1", anm.Url, gateway.Port));

        Assert.Equal("healthcheck answered 503", await engine.DownReasonAsync("dc1/instance-1"));
        var instance = engine.Engine.Current.Find("dc1")!.GatewayInstances.Single();
        Assert.Null(instance.ManagementStatus);
    }

    public static TheoryData<string, Func<HostilePeer>, string> LoadBalancerPeers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { "broken JSON", () => Answering(HostilePeer.HttpResponse(200, "{\"pools\":[{")), "load balancer status is not JSON" },
        { "JSON of the wrong shape", () => Answering(HostilePeer.HttpResponse(200, """{"pools":[{"datacenter":1,"serving":"yes"}]}""")), "a load balancer pool lacks 'datacenter' or 'serving'" },
        { "a 2 GB body", () => HostilePeer.HttpHuge(2L << 30), "response larger than 1048576 bytes" },
    };

    [Theory]
    [MemberData(nameof(LoadBalancerPeers))]
    public async Task LoadBalancer_EndsDown_WithAReasonNamingTheProblem(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        var dc = HostileEngine.Datacenter("dc1", anm: null);
        var clock = Stopwatch.StartNew();
        await using var engine = await HostileEngine.StartAsync(new Core.Configuration.LoadBalancerOptions { StatusUrl = peer.Url + "pools" }, dc);

        var snapshot = await engine.WaitForAsync(s => s.LoadBalancer?.State == ComponentState.Down, "the load balancer Down");

        Assert.True(snapshot.LoadBalancer!.Reason!.Contains(reason, StringComparison.Ordinal), $"peer {peerDoes}: reason '{snapshot.LoadBalancer.Reason}' does not name '{reason}'");
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"peer {peerDoes}: Down only after {clock.Elapsed}");
        Assert.Empty(snapshot.LoadBalancer.Pools);
    }
}
