using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.LoadBalancer;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Tests.Hostile;
using ApimConsole.Testing;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Monitoring.Tests.LoadBalancer;

/// <summary>
/// Several members of one load balancer (<c>Estate:LoadBalancer:StatusUrls</c>), such as the global load balancer's
/// instance in each datacenter: those that answer must agree on which datacenters serve, one that does not answer is
/// left out with its reason, and no answer or a disagreement is no witness, never a verdict from one member.
/// </summary>
public sealed class LoadBalancerMembersTests
{
    private static readonly IReadOnlyList<LoadBalancerPool> BothServing = [new("dc1", true, 2, 2), new("dc2", true, 2, 2)];
    private static readonly IReadOnlyList<LoadBalancerPool> Dc2NotServing = [new("dc1", true, 2, 2), new("dc2", false, 0, 2)];

    private sealed class Member(Func<CancellationToken, Task<IReadOnlyList<LoadBalancerPool>>> read) : ILoadBalancerWitness
    {
        public string Product => "HAProxy";
        public Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken) => read(cancellationToken);
    }

    private static Member Answers(IReadOnlyList<LoadBalancerPool> pools) => new(_ => Task.FromResult(pools));
    private static Member Refuses() => new(_ => Task.FromException<IReadOnlyList<LoadBalancerPool>>(
        new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (lb-dc1:80)", new SocketException((int)SocketError.ConnectionRefused))));
    private static Member Hangs() => new(async ct =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        return [];
    });

    private static LoadBalancerMembersWitness Witness(params (string, ILoadBalancerWitness)[] members) => new(members, TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task MembersThatAgree_GiveTheFirstOnesView()
    {
        var fewer = new List<LoadBalancerPool> { new("dc1", true, 1, 2), new("dc2", true, 2, 2) };
        var pools = await Witness(("http://lb-dc1/stats", Answers(fewer)), ("http://lb-dc2/stats", Answers(BothServing))).ReadPoolsAsync(CancellationToken.None);
        Assert.Equal(fewer, pools);
        Assert.Equal("HAProxy", Witness(("a", Answers(fewer))).Product);
    }

    [Fact]
    public async Task AMemberThatFails_OrDoesNotAnswerWithinItsBudget_IsLeftOut_AndNamedAsUnread()
    {
        var refused = Witness(("http://lb-dc1/stats", Refuses()), ("http://lb-dc2/stats", Answers(Dc2NotServing)));
        Assert.Equal(Dc2NotServing, await refused.ReadPoolsAsync(CancellationToken.None));
        Assert.Equal(["http://lb-dc1/stats: connection refused"], refused.Unread);
        var hung = Witness(("http://lb-dc2/stats", Hangs()), ("http://lb-dc1/stats", Answers(BothServing)));
        Assert.Equal(BothServing, await hung.ReadPoolsAsync(CancellationToken.None));
        Assert.Equal(["http://lb-dc2/stats: no answer within 200 ms"], hung.Unread);
        var all = Witness(("http://lb-dc1/stats", Answers(BothServing)), ("http://lb-dc2/stats", Answers(BothServing)));
        await all.ReadPoolsAsync(CancellationToken.None);
        Assert.Empty(all.Unread);
    }

    [Fact]
    public async Task NoMemberAnswering_IsAnErrorNamingEachAndWhy()
    {
        var e = await Assert.ThrowsAsync<LoadBalancerMembersException>(() =>
            Witness(("http://lb-dc1/stats", Refuses()), ("http://lb-dc2/stats", Hangs())).ReadPoolsAsync(CancellationToken.None));
        Assert.Equal("no member of the load balancer answered: http://lb-dc1/stats: connection refused; http://lb-dc2/stats: no answer within 200 ms", e.Message);
    }

    [Fact]
    public async Task MembersThatDisagree_AreNoWitness_SayingWhoSeesWhat()
    {
        var e = await Assert.ThrowsAsync<LoadBalancerMembersException>(() =>
            Witness(("http://lb-dc1/stats", Answers(Dc2NotServing)), ("http://lb-dc2/stats", Answers(BothServing))).ReadPoolsAsync(CancellationToken.None));
        Assert.Equal("the load balancer's members disagree (http://lb-dc1/stats sees dc2 not serving; http://lb-dc2/stats sees dc2 serving): no witness until they agree", e.Message);
    }

    [Fact]
    public async Task TheProbeCancelled_IsCancelled_NotAMemberFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Witness(("a", Hangs()), ("b", Hangs())).ReadPoolsAsync(cancelled.Token));
    }

    [Fact]
    public void Create_WithOneUrl_IsThatMembersReader_WithSeveral_ReadsThemTogether_NamingNoCredentials()
    {
        using var http = new HttpClient();
        var one = new LoadBalancerOptions { Kind = LoadBalancerKinds.Lab, StatusUrl = "http://127.0.0.1:1/lb/pools" };
        Assert.IsNotType<LoadBalancerMembersWitness>(LoadBalancerWitnesses.Create(one, ["dc1", "dc2"], http));
        one.StatusUrls = ["http://127.0.0.2:1/lb/pools"];
        Assert.IsType<LoadBalancerMembersWitness>(LoadBalancerWitnesses.Create(one, ["dc1", "dc2"], http));
        Assert.Equal("https://lb.example:8443/stats", LoadBalancerMembersWitness.Label(new Uri("https://user:pw@lb.example:8443/stats?scope=be")));
    }

    // The real status engine, members on the wire: HAProxy stats CSV from two members, and a third that never answers.
    private const string CsvHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act\n";
    private static string CsvRow(string px, string sv, string status) => $"{px},{sv},0,0,0,0,,0,0,0,,0,,0,0,0,0,{status},1,1\n";
    private static string Csv(string dc2Status) => CsvHeader
        + CsvRow("be_dc1", "dc1-gw1", "UP") + CsvRow("be_dc1", "BACKEND", "UP")
        + CsvRow("be_dc2", "dc2-gw1", dc2Status) + CsvRow("be_dc2", "BACKEND", dc2Status);

    private static HostilePeer Serving(string csv) => HostilePeer.HttpAnswering(_ => HostilePeer.HttpResponse(200, csv, "text/csv"));

    private static LoadBalancerOptions Members(params HostilePeer[] peers) => new()
    {
        Kind = LoadBalancerKinds.HaproxyCsv,
        StatusUrl = peers[0].Url + "stats",
        StatusUrls = peers.Skip(1).Select(p => p.Url + "stats").ToList(),
        Datacenters =
        {
            ["dc1"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc1"] },
            ["dc2"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc2"] },
        },
    };

    private static EstateOptions Estate(LoadBalancerOptions lb) =>
        new() { Name = "members", ConsoleDatacenter = "dc1", Datacenters = [HostileEngine.Datacenter("dc1", anm: null), HostileEngine.Datacenter("dc2", anm: null)], LoadBalancer = lb };

    [Fact]
    public async Task Engine_WithOneMemberSilent_ReadsTheOthers_AndTheirViewIsTheWitness()
    {
        await using var silent = HostilePeer.NeverAnswering();
        await using var first = Serving(Csv("DOWN"));
        await using var second = Serving(Csv("DOWN"));
        var options = Members(silent, first, second);
        Assert.DoesNotContain(ConsoleOptionsValidator.Validate(Estate(options)), e => e.Contains("LoadBalancer", StringComparison.Ordinal));
        using var logs = new CapturingLoggerProvider();
        await using var engine = await HostileEngine.StartAsync(options, new Logger<StatusEngine>(new LoggerFactory([logs])),
            HostileEngine.Datacenter("dc1", anm: null), HostileEngine.Datacenter("dc2", anm: null));

        var snapshot = await engine.WaitForAsync(s => s.LoadBalancer?.State == ComponentState.Up, "the load balancer read from the members that answer");

        Assert.Equal([new LoadBalancerPool("dc1", true, 1, 1), new LoadBalancerPool("dc2", false, 0, 1)], snapshot.LoadBalancer!.Pools);
        Assert.Equal([$"{silent.Url}stats: no answer within 800 ms"], snapshot.LoadBalancer.UnreadMembers);
        // The member left out is not an outage of the witness, but the log says so, once however many reads there are.
        await Eventually.Until(() => logs.AtLeast(LogLevel.Warning).Count > 0, TimeSpan.FromSeconds(10), "the unread member logged");
        // Current moves on every read (publications only on news).
        await Eventually.Until(() => engine.Engine.Current.LoadBalancer!.PoolsReadAt > snapshot.LoadBalancer.PoolsReadAt + TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(15), "more reads of the members");
        var warning = Assert.Single(logs.AtLeast(LogLevel.Warning));
        Assert.Equal($"Load balancer: 1 of its members could not be read; the view is the others': {silent.Url}stats: no answer within 800 ms", warning.Message);
    }

    [Fact]
    public async Task Engine_WithMembersThatDisagree_HasNoWitness_AndSaysSo()
    {
        await using var sees = Serving(Csv("UP"));
        await using var doesNot = Serving(Csv("DOWN"));
        var options = Members(sees, doesNot);
        await using var engine = await HostileEngine.StartAsync(options, HostileEngine.Datacenter("dc1", anm: null), HostileEngine.Datacenter("dc2", anm: null));

        var snapshot = await engine.WaitForAsync(s => s.LoadBalancer?.State == ComponentState.Down, "the load balancer Down");

        Assert.Contains("the load balancer's members disagree", snapshot.LoadBalancer!.Reason);
        Assert.Contains($"{sees.Url}stats sees dc2 serving", snapshot.LoadBalancer.Reason);
        Assert.Contains($"{doesNot.Url}stats sees dc2 not serving", snapshot.LoadBalancer.Reason);
    }
}
