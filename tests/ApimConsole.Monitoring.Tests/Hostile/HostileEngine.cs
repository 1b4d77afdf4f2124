using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// The real status engine on the wall clock (hung sockets take real time), with a short probe timeout and Fall 1 so
/// that one failed probe shows as Down with its reason.
/// </summary>
internal sealed class HostileEngine : IAsyncDisposable
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly EstateHttp _http;

    private HostileEngine(StatusEngine engine, EstateHttp http)
    {
        Engine = engine;
        _http = http;
    }

    public StatusEngine Engine { get; }

    public static ProbeOptions Probes => new()
    {
        Timeout = ProbeTimeout,
        Interval = TimeSpan.FromMilliseconds(250),
        FastInterval = TimeSpan.FromMilliseconds(50),
        Fall = 1,
        Rise = 1,
    };

    public static Task<HostileEngine> StartAsync(params DatacenterOptions[] datacenters) => StartAsync(new LoadBalancerOptions(), datacenters);

    public static Task<HostileEngine> StartAsync(LoadBalancerOptions loadBalancer, params DatacenterOptions[] datacenters) =>
        StartAsync(loadBalancer, NullLogger<StatusEngine>.Instance, datacenters);

    public static async Task<HostileEngine> StartAsync(LoadBalancerOptions loadBalancer, Microsoft.Extensions.Logging.ILogger<StatusEngine> logger,
        params DatacenterOptions[] datacenters)
    {
        var estate = new EstateOptions { Name = "hostile", ConsoleDatacenter = datacenters[0].Id, Datacenters = [.. datacenters], LoadBalancer = loadBalancer };
        var http = new EstateHttp(Probes);
        var engine = new StatusEngine(Options.Create(estate), Options.Create(Probes), http, TimeProvider.System, logger);
        await engine.StartAsync(CancellationToken.None);
        return new HostileEngine(engine, http);
    }

    /// <summary>A datacenter whose ANM is at <paramref name="anm"/> and whose Cassandra nodes are <paramref name="cassandra"/>.</summary>
    public static DatacenterOptions Datacenter(string id, Uri? anm, int gatewayPort = 8080, params string[] cassandra) => new()
    {
        Id = id,
        Name = id,
        AdminNodeManager = new AdminNodeManagerOptions { Urls = anm is null ? [] : [anm.AbsoluteUri.TrimEnd('/')], Username = "admin", Password = "pw" },
        Gateways = new GatewayOptions { TrafficScheme = "http", TrafficPort = gatewayPort },
        Cassandra = new CassandraOptions { ContactPoints = [.. cassandra] },
    };

    /// <summary>Waits (on the engine's own publications) until <paramref name="condition"/> holds; fails with the last snapshot.</summary>
    public Task<EstateSnapshot> WaitForAsync(Func<EstateSnapshot, bool> condition, string what, TimeSpan? limit = null) =>
        EngineWait.ForAsync(Engine, condition, what, limit ?? TimeSpan.FromSeconds(15),
            last => "Components: " + string.Join("; ", last.AllComponents().Select(c => $"{c.Key} {c.State} '{c.Reason}'")));

    /// <summary>Waits until the component is Down and returns its reason.</summary>
    public async Task<string> DownReasonAsync(string key)
    {
        var snapshot = await WaitForAsync(s => s.AllComponents().Any(c => c.Key == key && c.State == ComponentState.Down), $"{key} Down");
        return snapshot.AllComponents().Single(c => c.Key == key).Reason!;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        Engine.Dispose();
        _http.Dispose();
    }
}
