using System.Net.Http.Headers;
using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Scenarios;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.LoadBalancer;
using ApimConsole.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.LoadBalancer;

/// <summary>
/// A real HAProxy 2.6 as the lab's global load balancer (<c>Lab:LoadBalancer = Haproxy</c>): the lab writes its
/// configuration and runs it, health-checking both datacenters' DMZ gateways from the load balancer's side of the link
/// fault. The real status engine reads HAProxy's stats CSV as its only witness, configured with exactly the keys the lab
/// hands a console; the real classifier names the scenario.
/// </summary>
public sealed class HaproxyWitnessLiveTests(HaproxyLab fixture) : IClassFixture<HaproxyLab>, IAsyncLifetime
{
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(20);

    public async Task InitializeAsync()
    {
        if (!fixture.Started)
            return;
        fixture.Lab.Faults.HealAll("test");
        await fixture.WaitForAsync(AllUpWithTheWitness, "every component up and HAProxy serving both datacenters", TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync()
    {
        if (fixture.Started)
            fixture.Lab.Faults.HealAll("test");
        return Task.CompletedTask;
    }

    private static bool AllUpWithTheWitness(EstateSnapshot s) =>
        s.Link.State == LinkState.Up
        && s.Datacenters.All(d => d.State == DatacenterState.Up && d.Groups.Count == 2)
        && s.LoadBalancer is { State: ComponentState.Up } lb
        && lb.Pools.Count == 2 && lb.Pools.All(p => p.Serving && p.HealthyDestinations == p.Destinations);

    [HaproxyFact]
    public async Task LinkCut_IsNamedInterDatacenterLinkDown_AndNeverDatacenterDown()
    {
        fixture.Lab.Faults.Apply("link", "down", "test");
        var (snapshot, seen) = await fixture.WaitForScenarioAsync("InterDatacenterLinkDown", Detect);

        Assert.DoesNotContain("DatacenterDown:dc2", seen);
        Assert.Equal(LinkState.Down, snapshot.Link.State);
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);
        // The witness saw dc2 serving throughout: its checks leave from 127.0.0.2, which the link fault does not cut.
        Assert.Equal(ComponentState.Up, snapshot.LoadBalancer!.State);
        Assert.Contains(new LoadBalancerPool("dc2", true, 2, 2), snapshot.LoadBalancer.Pools);
    }

    /// <summary>
    /// The flake seen under load (load average 15-35), made on purpose: with the link cut, every dc2 DMZ gateway holds
    /// HAProxy's health check unanswered past its timeout for one check, as a stalled process does, then answers again.
    /// One failed check is not a datacenter down (HAProxy's <c>fall</c>), so the console must never name it one, and names
    /// the cut link on pools HAProxy reported after the stall.
    /// </summary>
    [HaproxyFact]
    public async Task LinkCut_WhileEveryDc2GatewayFailsOneCheck_IsNamedTheLink_NeverDatacenterDown()
    {
        using var watch = fixture.WatchScenarios();
        fixture.Lab.Faults.Apply("link", "down", "test");
        await fixture.WaitForAsync(s => s.Find("dc2")!.State == DatacenterState.Unreachable, "dc2 silent from dc1's console", Detect);

        var before = await fixture.Dc2ChecksAsync();
        foreach (var server in before.Keys)
            fixture.Lab.Faults.Apply("dc2/" + server[(server.IndexOf('-') + 1)..], "hang", "test");
        var failed = await Eventually.Until(fixture.Dc2ChecksAsync, now => now.All(s => s.Value.Failed > before[s.Key].Failed), Detect,
            "HAProxy to time out a check of every dc2 gateway", every: TimeSpan.FromMilliseconds(10), describe: Describe);
        // At once: held longer, the gateways would fail HAProxy's next checks too. (With fall 1 the console, which reads
        // the stats every 300 ms, named DatacenterDown:dc2 when this waited for its read first.)
        foreach (var server in before.Keys)
            fixture.Lab.Faults.Apply("dc2/" + server[(server.IndexOf('-') + 1)..], "up", "test");
        var healedAt = TimeProvider.System.GetUtcNow();
        // Polled: a read that finds nothing new publishes no snapshot, but moves the engine's current one.
        var named = await Eventually.Until(() => fixture.Engine.Current, s => s.Link.State == LinkState.Down && s.LoadBalancer!.PoolsReadAt > healedAt,
            Detect, "the link named down on pools read after the stall");

        Assert.Contains("InterDatacenterLinkDown", FailoverScenarioClassifier.Classify(named, named.AsOf).Select(s => s.Key));
        // The watch reads the engine's publications on its own task, which may still be behind the engine's current one.
        var seen = await Eventually.Until(() => watch.Seen, s => s.Contains("InterDatacenterLinkDown"), Detect, "the watch to read the link named down");

        Assert.True(failed.Values.All(s => s.Status.StartsWith("UP", StringComparison.Ordinal)), $"one failed check took a dc2 server out: {Describe(failed)}; before {Describe(before)}; console named {string.Join(", ", seen)}");
        Assert.Equal(0, watch.Dropped);
        Assert.DoesNotContain("DatacenterDown:dc2", seen);
        Assert.Contains(new LoadBalancerPool("dc2", true, 2, 2), named.LoadBalancer!.Pools);
    }

    private static string Describe(IReadOnlyDictionary<string, (string Status, long Failed)> servers) =>
        string.Join(", ", servers.Select(s => $"{s.Key} '{s.Value.Status}' {s.Value.Failed} failed checks"));

    [HaproxyFact]
    public async Task DatacenterDown_IsNamedDatacenterDown_AndNeverInterDatacenterLinkDown()
    {
        fixture.Lab.Faults.Apply("dc2", "down", "test");
        var (snapshot, seen) = await fixture.WaitForScenarioAsync("DatacenterDown:dc2", Detect);

        Assert.DoesNotContain("InterDatacenterLinkDown", seen);
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);
        Assert.Contains(new LoadBalancerPool("dc2", false, 0, 2), snapshot.LoadBalancer!.Pools);
        Assert.Contains(new LoadBalancerPool("dc1", true, 2, 2), snapshot.LoadBalancer.Pools);
    }

    [HaproxyFact]
    public async Task LiveStats_CsvAndJson_SayTheSame_AsTheCapturedSamplesShape()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{fixture.Estate.LoadBalancer.Username}:{fixture.Estate.LoadBalancer.Password}")));
        var csvUrl = fixture.Estate.LoadBalancer.StatusUrl!;
        Assert.EndsWith(";csv", csvUrl);
        var csv = HaproxyStats.ParseCsv(await http.GetStringAsync(csvUrl));
        var json = HaproxyStats.ParseJson(await http.GetStringAsync(csvUrl[..^";csv".Length] + ";json"));

        Assert.Equal(csv.Members, json.Members);
        Assert.Equal(["be_dc1", "be_dc2", "gateways", "stats"], json.Pools.Order(StringComparer.Ordinal));
        // Each datacenter's backend checks its two DMZ gateways; the traffic backend tracks them.
        Assert.Equal(4, csv.Members.Count(m => m.Pool is "be_dc1" or "be_dc2" && m.Health == MemberHealth.Serving));
        Assert.Equal(4, csv.Members.Count(m => m.Pool == "gateways"));
        var pools = new PoolMapping(fixture.Estate.LoadBalancer.Datacenters, ["dc1", "dc2"]).Apply(json);
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)], pools);
    }

    [HaproxyFact]
    public async Task StatsUri_WithoutItsSuffix_IsReadAsCsvOrJson_AsTheKindSays()
    {
        var statsUri = fixture.Estate.LoadBalancer.StatusUrl![..^";csv".Length];
        foreach (var kind in new[] { LoadBalancerKinds.HaproxyCsv, LoadBalancerKinds.HaproxyJson })
        {
            var options = new LoadBalancerOptions
            {
                Kind = kind,
                StatusUrl = statsUri,
                Username = fixture.Estate.LoadBalancer.Username,
                Password = fixture.Estate.LoadBalancer.Password,
                Datacenters = fixture.Estate.LoadBalancer.Datacenters,
            };
            using var http = LoadBalancerWitnesses.CreateHttpClient(options, TimeSpan.FromSeconds(2));
            var pools = await LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http).ReadPoolsAsync(CancellationToken.None);
            Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)], pools);
        }
    }

    /// <summary>
    /// The real HAProxy as one member of a pair whose other member cannot be reached (refused, as the instance in a
    /// datacenter cut off is): its view is the witness. The same HAProxy listed twice agrees with itself.
    /// </summary>
    [HaproxyFact]
    public async Task AsOneMemberOfAPair_WhoseOtherIsUnreachable_ItsViewIsTheWitness()
    {
        var options = new LoadBalancerOptions
        {
            Kind = LoadBalancerKinds.HaproxyCsv,
            StatusUrl = "http://127.0.0.1:1/stats",
            StatusUrls = [fixture.Estate.LoadBalancer.StatusUrl!],
            Username = fixture.Estate.LoadBalancer.Username,
            Password = fixture.Estate.LoadBalancer.Password,
            Datacenters = fixture.Estate.LoadBalancer.Datacenters,
        };
        using var http = LoadBalancerWitnesses.CreateHttpClient(options, TimeSpan.FromSeconds(2));
        var witness = LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http, TimeSpan.FromSeconds(2));
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)], await witness.ReadPoolsAsync(CancellationToken.None));

        options.StatusUrl = fixture.Estate.LoadBalancer.StatusUrl;
        options.StatusUrls = [fixture.Estate.LoadBalancer.StatusUrl![..^";csv".Length]];
        var twice = LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http, TimeSpan.FromSeconds(2));
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)], await twice.ReadPoolsAsync(CancellationToken.None));
    }

    [HaproxyFact]
    public async Task WrongPassword_IsRefusedWith401_NamingTheKeys()
    {
        var options = new LoadBalancerOptions
        {
            Kind = LoadBalancerKinds.HaproxyCsv,
            StatusUrl = fixture.Estate.LoadBalancer.StatusUrl,
            Username = fixture.Estate.LoadBalancer.Username,
            Password = "not-the-password",
            Datacenters = fixture.Estate.LoadBalancer.Datacenters,
        };
        using var http = LoadBalancerWitnesses.CreateHttpClient(options, TimeSpan.FromSeconds(2));
        var witness = LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => witness.ReadPoolsAsync(CancellationToken.None));
        Assert.Equal("load balancer refused the credentials (401): check Estate:LoadBalancer:Username/Password", e.Message);
    }
}

/// <summary>One lab with HAProxy as its load balancer, and one status engine watching it, for the class.</summary>
public sealed class HaproxyLab : IAsyncLifetime
{
    public LabEstate Lab { get; private set; } = null!;
    public StatusEngine Engine { get; private set; } = null!;
    private EstateHttp? _http;
    public EstateOptions Estate { get; private set; } = null!;
    public bool Started { get; private set; }

    public async Task InitializeAsync()
    {
        if (HaproxyFactAttribute.Binary is null)
            return;
        Lab = await LabEstate.StartAsync(new LabOptions
        {
            LoadBalancer = LabOptions.HaproxyLoadBalancer,
            StartCassandra = false,
            TrafficRatePerSecond = 2,
            LoadBalancerHealthCheckInterval = TimeSpan.FromMilliseconds(200),
            LoadBalancerHealthCheckTimeout = TimeSpan.FromMilliseconds(300),
        }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

        // The console's configuration is what the lab hands a console (Cassandra is off here, so without its nodes).
        var settings = Lab.ToConsoleConfiguration().Where(kv => !kv.Key.Contains(":Cassandra:", StringComparison.Ordinal));
        Estate = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(EstateOptions.SectionName).Get<EstateOptions>()!;
        Estate.Name = "HAProxy lab";
        Assert.Empty(ConsoleOptionsValidator.Validate(Estate));
        Assert.Equal(LoadBalancerKinds.HaproxyCsv, Estate.LoadBalancer.Kind);

        var probes = new ProbeOptions
        {
            Interval = TimeSpan.FromMilliseconds(300),
            FastInterval = TimeSpan.FromMilliseconds(100),
            Timeout = TimeSpan.FromSeconds(1),
            Fall = 3,
            Rise = 1,
        };
        _http = new EstateHttp(probes);
        Engine = new StatusEngine(Options.Create(Estate), Options.Create(probes), _http, TimeProvider.System, NullLogger<StatusEngine>.Instance);
        await Engine.StartAsync(CancellationToken.None);
        Started = true;
        await WaitForAsync(s => s.LoadBalancer is { State: ComponentState.Up }, "HAProxy read", TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits on the engine's own publications until <paramref name="condition"/> holds; fails with the last snapshot.</summary>
    public Task<EstateSnapshot> WaitForAsync(Func<EstateSnapshot, bool> condition, string what, TimeSpan limit) =>
        EngineWait.ForAsync(Engine, condition, what, limit, last => "Last: " + Describe(last));

    /// <summary>
    /// Classifies every snapshot the engine publishes until the scenario <paramref name="key"/> is in force; returns that
    /// snapshot and every scenario key seen on the way (so a test can say what was never named).
    /// </summary>
    public async Task<(EstateSnapshot Snapshot, IReadOnlySet<string> Seen)> WaitForScenarioAsync(string key, TimeSpan limit)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var subscription = Engine.Subscribe(capacity: 1024);
        using var cts = new CancellationTokenSource(limit);
        var last = subscription.Snapshot;
        try
        {
            while (true)
            {
                var keys = FailoverScenarioClassifier.Classify(last, last.AsOf).Select(s => s.Key).ToList();
                seen.UnionWith(keys);
                if (keys.Contains(key))
                    return (last, seen);
                last = await subscription.Updates.ReadAsync(cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out after {limit.TotalSeconds} s waiting for scenario {key}; seen: {string.Join(", ", seen)}. Last: {Describe(last)}");
        }
    }

    /// <summary>Every scenario key the engine's published snapshots name from now until disposed.</summary>
    public ScenarioWatch WatchScenarios() => new(Engine.Subscribe(capacity: 1024));

    /// <summary>
    /// HAProxy's own word on each dc2 DMZ gateway, read from its stats CSV (management guide 9.1): field 17 <c>status</c>
    /// and field 24 <c>chkfail</c> (failed checks so far), by server name.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, (string Status, long Failed)>> Dc2ChecksAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Estate.LoadBalancer.Username}:{Estate.LoadBalancer.Password}")));
        var rows = (await http.GetStringAsync(Estate.LoadBalancer.StatusUrl)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var columns = rows[0].TrimStart('#', ' ').Split(',').ToList();
        int pool = columns.IndexOf("pxname"), server = columns.IndexOf("svname"), status = columns.IndexOf("status"), failed = columns.IndexOf("chkfail");
        return rows.Skip(1).Select(r => r.Split(','))
            .Where(f => f[pool] == "be_dc2" && f[server] is not ("FRONTEND" or "BACKEND"))
            .ToDictionary(f => f[server], f => (f[status], long.Parse(f[failed], System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static string Describe(EstateSnapshot s) =>
        $"link {s.Link.State} ({s.Link.Reason}); " + string.Join("; ", s.Datacenters.Select(d => $"{d.Id} {d.State} ({d.Reason})"))
        + $"; load balancer {s.LoadBalancer?.State} ({s.LoadBalancer?.Reason}) pools "
        + string.Join(", ", s.LoadBalancer?.Pools.Select(p => $"{p.DatacenterId}:{p.Serving}:{p.HealthyDestinations}/{p.Destinations}") ?? []);

    public async Task DisposeAsync()
    {
        if (!Started)
            return;
        await Engine.StopAsync(CancellationToken.None);
        Engine.Dispose();
        _http?.Dispose();
        await Lab.DisposeAsync();
    }
}

/// <summary>Collects every scenario key named by the snapshots a subscription receives, until disposed.</summary>
public sealed class ScenarioWatch : IDisposable
{
    private readonly FeedSubscription<EstateSnapshot> _subscription;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Task _reading;

    public ScenarioWatch(FeedSubscription<EstateSnapshot> subscription)
    {
        _subscription = subscription;
        Add(subscription.Snapshot);
        _reading = ReadAsync();
    }

    /// <summary>The keys named so far (a copy).</summary>
    public IReadOnlySet<string> Seen
    {
        get
        {
            lock (_seen)
                return _seen.ToHashSet(StringComparer.Ordinal);
        }
    }

    /// <summary>Snapshots the subscription dropped unread (then <see cref="Seen"/> may miss a key).</summary>
    public long Dropped => _subscription.Dropped;

    private void Add(EstateSnapshot snapshot)
    {
        var keys = FailoverScenarioClassifier.Classify(snapshot, snapshot.AsOf).Select(s => s.Key);
        lock (_seen)
            _seen.UnionWith(keys);
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var snapshot in _subscription.Updates.ReadAllAsync(_stop.Token))
                Add(snapshot);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _reading.GetAwaiter().GetResult();
        _subscription.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A fact that needs haproxy: skipped, saying how to install it, only when the binary is absent.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public static string? Binary { get; } =
        new[] { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy" }.FirstOrDefault(File.Exists)
        ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "haproxy")).FirstOrDefault(File.Exists);

    public HaproxyFactAttribute()
    {
        if (Binary is null)
            Skip = "haproxy is not installed: bash tests/run.sh installs it from Debian (apt-get install haproxy)";
    }
}
