using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.LoadBalancer;

/// <summary>
/// The lab's load balancer as an instance in each datacenter (<c>Lab:LoadBalancerInEachDatacenter</c>), each instance's
/// status endpoint obeying its datacenter's faults and the link, and the real status engine of a console in dc1 reading
/// both as members of one witness (<c>StatusUrl</c> and <c>StatusUrls</c>, as the lab hands them). With the link cut the
/// console reads dc1's instance only, which still sees dc2 serving: the link is named, never dc2 down, and dc2's
/// instance is said to be unread.
/// </summary>
public sealed class LoadBalancerInEachDatacenterLiveTests : IAsyncLifetime
{
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(20);
    private LabEstate _lab = null!;
    private StatusEngine _engine = null!;
    private EstateHttp _http = null!;
    private EstateOptions _estate = null!;

    public async Task InitializeAsync()
    {
        _lab = await LabEstate.StartAsync(new LabOptions
        {
            StartCassandra = false,
            TrafficRatePerSecond = 2,
            LoadBalancerInEachDatacenter = true,
            LoadBalancerHealthCheckInterval = TimeSpan.FromMilliseconds(200),
            LoadBalancerHealthCheckTimeout = TimeSpan.FromMilliseconds(300),
        }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var settings = _lab.ToConsoleConfiguration().Where(kv => !kv.Key.Contains(":Cassandra:", StringComparison.Ordinal));
        _estate = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(EstateOptions.SectionName).Get<EstateOptions>()!;
        _estate.Name = "Lab with a load balancer in each datacenter";
        Assert.Empty(ConsoleOptionsValidator.Validate(_estate));

        var probes = new ProbeOptions { Interval = TimeSpan.FromMilliseconds(300), FastInterval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(1), Fall = 3, Rise = 1 };
        _http = new EstateHttp(probes);
        _engine = new StatusEngine(Options.Create(_estate), Options.Create(probes), _http, TimeProvider.System, NullLogger<StatusEngine>.Instance);
        await _engine.StartAsync(CancellationToken.None);
        await WaitForAsync(s => s.Link.State == LinkState.Up && s.Datacenters.All(d => d.State == DatacenterState.Up)
            && s.LoadBalancer is { State: ComponentState.Up, UnreadMembers: null } lb && lb.Pools.All(p => p.Serving), "every component up, both instances read");
    }

    public async Task DisposeAsync()
    {
        await _engine.StopAsync(CancellationToken.None);
        _engine.Dispose();
        _http.Dispose();
        await _lab.DisposeAsync();
    }

    private string Instance(string dc) => _estate.LoadBalancer.AllStatusUrls()[dc == "dc1" ? 0 : 1];

    [Fact]
    public void TheLab_HandsTheConsoleEachDatacentersInstance_Dc1sFirst()
    {
        var urls = _estate.LoadBalancer.AllStatusUrls();
        Assert.Equal(2, urls.Count);
        Assert.Equal(urls.Count, urls.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([urls[1]], _estate.LoadBalancer.StatusUrls);
        Assert.Contains("/lb/pools", urls[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkCut_IsNamedTheLink_FromDc1sInstance_WithDc2sInstanceSaidUnread()
    {
        using var watch = new ScenarioWatch(_engine.Subscribe(capacity: 1024));
        _lab.Faults.Apply("link", "down", "test");

        var snapshot = await WaitForAsync(s => s.Link.State == LinkState.Down, "the link named down");

        Assert.Contains("InterDatacenterLinkDown", FailoverScenarioClassifier.Classify(snapshot, snapshot.AsOf).Select(s => s.Key));
        Assert.Equal(ComponentState.Up, snapshot.LoadBalancer!.State);
        Assert.Contains(new LoadBalancerPool("dc2", true, 2, 2), snapshot.LoadBalancer.Pools);
        var unread = Assert.Single(snapshot.LoadBalancer.UnreadMembers!);
        Assert.StartsWith(Instance("dc2") + ": ", unread, StringComparison.Ordinal);
        var seen = await Eventually.Until(() => watch.Seen, s => s.Contains("InterDatacenterLinkDown"), Detect, "the watch to read the link named down");
        Assert.DoesNotContain("DatacenterDown:dc2", seen);

        _lab.Faults.HealAll("test");
        await WaitForAsync(s => s.Link.State == LinkState.Up && s.LoadBalancer is { State: ComponentState.Up, UnreadMembers: null }, "both instances read again");
    }

    [Fact]
    public async Task Dc2Down_IsNamedDc2Down_FromDc1sInstance_WhichSeesItsPoolOut()
    {
        using var watch = new ScenarioWatch(_engine.Subscribe(capacity: 1024));
        _lab.Faults.Apply("dc2", "down", "test");

        var snapshot = await WaitForAsync(s => s.Find("dc2")!.State == DatacenterState.Down, "dc2 named down");

        Assert.Contains(new LoadBalancerPool("dc2", false, 0, 2), snapshot.LoadBalancer!.Pools);
        Assert.StartsWith(Instance("dc2") + ": ", Assert.Single(snapshot.LoadBalancer.UnreadMembers!), StringComparison.Ordinal);
        var seen = await Eventually.Until(() => watch.Seen, s => s.Contains("DatacenterDown:dc2"), Detect, "the watch to read dc2 named down");
        Assert.DoesNotContain("InterDatacenterLinkDown", seen);
    }

    [Fact]
    public async Task Dc1sInstanceDownAlone_LeavesDc2sAsTheWitness_AndNothingElseChanges()
    {
        _lab.Faults.Apply("dc1/load-balancer", "down", "test");

        var snapshot = await WaitForAsync(s => s.LoadBalancer is { UnreadMembers.Count: 1 }, "dc1's instance said unread");

        Assert.StartsWith(Instance("dc1") + ": ", snapshot.LoadBalancer!.UnreadMembers![0], StringComparison.Ordinal);
        Assert.Equal(ComponentState.Up, snapshot.LoadBalancer.State);
        Assert.All(snapshot.LoadBalancer.Pools, p => Assert.True(p.Serving));
        Assert.Equal(LinkState.Up, snapshot.Link.State);
        Assert.All(snapshot.Datacenters, d => Assert.Equal(DatacenterState.Up, d.State));
    }

    private Task<EstateSnapshot> WaitForAsync(Func<EstateSnapshot, bool> condition, string what) =>
        EngineWait.ForAsync(_engine, condition, what, Detect, last => $"Link {last.Link.State}; "
            + string.Join("; ", last.Datacenters.Select(d => $"{d.Id} {d.State}")) + $"; load balancer {last.LoadBalancer?.State} ({last.LoadBalancer?.Reason}), unread "
            + string.Join(", ", last.LoadBalancer?.UnreadMembers ?? []));
}
