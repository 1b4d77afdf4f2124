using System.Diagnostics;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// Bad pool views of every kind of load balancer, read by the real status engine: each ends with the load balancer Down
/// and a reason naming the problem (so the console has no witness, and says why), never with pools believed.
/// </summary>
public sealed class LoadBalancerWitnessHostileTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private const string CsvHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act\n";
    private static string CsvRow(string px, string sv, string status) => $"{px},{sv},0,0,0,0,,0,0,0,,0,,0,0,0,0,{status},1,1\n";
    private static readonly string GoodCsv = CsvHeader
        + CsvRow("be_dc1", "dc1-gw1", "UP") + CsvRow("be_dc1", "BACKEND", "UP")
        + CsvRow("be_dc2", "dc2-gw1", "UP") + CsvRow("be_dc2", "BACKEND", "UP");

    private static HostilePeer Answering(int status, string body, string type = "text/plain") =>
        HostilePeer.HttpAnswering(_ => HostilePeer.HttpResponse(status, body, type));

    public static TheoryData<string, string, Func<HostilePeer>, string> Peers => new()
    {
        { LoadBalancerKinds.HaproxyCsv, "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { LoadBalancerKinds.HaproxyCsv, "an HTML page (not CSV)", () => Answering(200, "<html><body>Statistics Report</body></html>", "text/html"), "HAProxy status is not the stats CSV" },
        { LoadBalancerKinds.HaproxyCsv, "CSV without the status column", () => Answering(200, "# pxname,svname,qcur\nbe_dc1,dc1-gw1,0\n"), "HAProxy stats CSV has no 'status' column" },
        { LoadBalancerKinds.HaproxyCsv, "an unknown status", () => Answering(200, CsvHeader + CsvRow("be_dc1", "dc1-gw1", "WOBBLY") + CsvRow("be_dc2", "dc2-gw1", "UP")), "HAProxy server be_dc1/dc1-gw1 has an unknown status 'WOBBLY'" },
        { LoadBalancerKinds.HaproxyCsv, "a mapped backend absent", () => Answering(200, CsvHeader + CsvRow("be_dc1", "dc1-gw1", "UP") + CsvRow("be_dc1", "BACKEND", "UP")), "pool 'be_dc2' (mapped to dc2) is not in the load balancer's status" },
        { LoadBalancerKinds.HaproxyCsv, "only unchecked servers for dc2", () => Answering(200, CsvHeader + CsvRow("be_dc1", "dc1-gw1", "UP") + CsvRow("be_dc2", "dc2-gw1", "no check")), "no member of dc2 is health-checked" },
        { LoadBalancerKinds.HaproxyCsv, "401", () => Answering(401, "401 Unauthorized"), "load balancer refused the credentials (401)" },
        { LoadBalancerKinds.HaproxyCsv, "a 2 GB body", () => HostilePeer.HttpHuge(2L << 30), "response larger than 4194304 bytes" },
        { LoadBalancerKinds.HaproxyJson, "CSV where JSON was asked", () => Answering(200, GoodCsv), "HAProxy status is not JSON" },
        { LoadBalancerKinds.HaproxyJson, "a JSON object, not an array", () => Answering(200, """{"pools":[]}""", "application/json"), "HAProxy stats JSON is not an array of rows" },
        { LoadBalancerKinds.F5, "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { LoadBalancerKinds.NginxPlus, "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { LoadBalancerKinds.Citrix, "never answers", HostilePeer.NeverAnswering, "no answer within 1000 ms" },
        { LoadBalancerKinds.F5, "401", () => Answering(401, """{"code":401,"message":"Authentication failed."}""", "application/json"), "load balancer refused the credentials (401)" },
        { LoadBalancerKinds.F5, "a pool that does not exist (404)", () => Answering(404, """{"code":404,"message":"01020036:3: The requested Pool (/Common/be_dc1) was not found."}""", "application/json"), "is not on the load balancer (404)" },
        { LoadBalancerKinds.F5, "an unknown availability", () => Answering(200, """{"entries":{"m":{"nestedStats":{"entries":{"nodeName":{"description":"/Common/gw1"},"status.availabilityState":{"description":"purple"},"status.enabledState":{"description":"enabled"}}}}}}""", "application/json"), "unknown availability state 'purple'" },
        { LoadBalancerKinds.NginxPlus, "an upstream without peers", () => Answering(200, """{"be_dc1":{"zone":"be_dc1"},"be_dc2":{"peers":[]}}""", "application/json"), "NGINX Plus upstream 'be_dc1' has no 'peers' array" },
        { LoadBalancerKinds.NginxPlus, "an unknown peer state", () => Answering(200, """{"be_dc1":{"peers":[{"name":"10.0.0.1:80","state":"sleepy"}]},"be_dc2":{"peers":[]}}""", "application/json"), "has an unknown state 'sleepy'" },
        { LoadBalancerKinds.Citrix, "a NITRO error", () => Answering(200, """{"errorcode":354,"message":"Invalid username or password","severity":"ERROR"}""", "application/json"), "Citrix NITRO error 354" },
        { LoadBalancerKinds.Citrix, "a virtual server in state UNKNOWN", () => Answering(200, """{"errorcode":0,"message":"Done","lbvserver":[{"name":"be_dc1","state":"UNKNOWN","actsvcs":"0","inactsvcs":"2"},{"name":"be_dc2","state":"UP","actsvcs":"2","inactsvcs":"0"}]}""", "application/json"), "Citrix lbvserver 'be_dc1' is in state 'UNKNOWN', which proves nothing" },
    };

    [Fact]
    public async Task WitnessTimeout_IsItsOwn_NotTheProbes()
    {
        await using var peer = HostilePeer.NeverAnswering();
        var options = Witness(LoadBalancerKinds.HaproxyCsv, peer);
        options.Timeout = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();
        await using var engine = await HostileEngine.StartAsync(options, HostileEngine.Datacenter("dc1", anm: null), HostileEngine.Datacenter("dc2", anm: null));

        var snapshot = await engine.WaitForAsync(s => s.LoadBalancer?.State == ComponentState.Down, "the load balancer Down");

        Assert.Contains("no answer within 300 ms", snapshot.LoadBalancer!.Reason);
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"Down only after {clock.Elapsed}");
    }

    private static LoadBalancerOptions Witness(string kind, HostilePeer peer) => new()
    {
        Kind = kind,
        StatusUrl = kind is LoadBalancerKinds.HaproxyCsv or LoadBalancerKinds.HaproxyJson ? peer.Url + "stats" : peer.Url.ToString(),
        Username = "witness",
        Password = "secret",
        Datacenters =
        {
            ["dc1"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc1"] },
            ["dc2"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc2"] },
        },
    };

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Witness_EndsDown_WithAReasonNamingTheProblem(string kind, string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        var dc1 = HostileEngine.Datacenter("dc1", anm: null);
        var dc2 = HostileEngine.Datacenter("dc2", anm: null);
        var options = Witness(kind, peer);
        Assert.DoesNotContain(ConsoleOptionsValidator.Validate(new EstateOptions { Name = "hostile", ConsoleDatacenter = "dc1", Datacenters = [dc1, dc2], LoadBalancer = options }),
            e => e.Contains("LoadBalancer", StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();
        await using var engine = await HostileEngine.StartAsync(options, dc1, dc2);

        var snapshot = await engine.WaitForAsync(s => s.LoadBalancer?.State == ComponentState.Down, "the load balancer Down");

        Assert.True(snapshot.LoadBalancer!.Reason!.Contains(reason, StringComparison.Ordinal), $"{kind}, peer {peerDoes}: reason '{snapshot.LoadBalancer.Reason}' does not name '{reason}'");
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"{kind}, peer {peerDoes}: Down only after {clock.Elapsed}");
        Assert.Empty(snapshot.LoadBalancer.Pools);
    }
}
