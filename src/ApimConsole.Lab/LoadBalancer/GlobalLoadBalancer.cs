using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ApimConsole.Lab.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ApimConsole.Lab.LoadBalancer;

/// <summary>A destination of the global load balancer: one DMZ gateway instance.</summary>
internal sealed record LoadBalancerMember(string DatacenterId, string InstanceId, Uri Address)
{
    public string Key => $"{DatacenterId}/{InstanceId}";
}

/// <summary>
/// The global load balancer: YARP in front of the DMZ instances of both datacenters, with active health checks on
/// <c>/healthcheck</c>. Its outgoing connections leave from <see cref="LabAddresses.LoadBalancerSource"/>, so the lab's
/// endpoints tell them from the console's. <c>GET /lb/pools</c> publishes its view of each datacenter's pool.
/// </summary>
internal sealed class GlobalLoadBalancer : IAsyncDisposable
{
    public const string ClusterId = "gateways";
    public const string PoolsPath = "/lb/pools";

    /// <summary>Consecutive failed probes that take a member out (YARP's consecutive-failures policy threshold).</summary>
    public const int Fall = 1;

    private readonly IReadOnlyList<LoadBalancerMember> _members;
    private readonly IReadOnlyList<string> _datacenters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public GlobalLoadBalancer(IReadOnlyList<LoadBalancerMember> members, IReadOnlyList<string> datacenters, TimeProvider time, ILogger logger)
    {
        _members = members;
        _datacenters = datacenters;
        _time = time;
        _logger = logger;
    }

    public int Port { get; private set; }

    /// <summary>
    /// With <see cref="LabOptions.LoadBalancerInEachDatacenter"/>: the port of the status endpoint of its instance in each
    /// datacenter, by datacenter id (empty otherwise). Each obeys its datacenter's faults and the link.
    /// </summary>
    public IReadOnlyDictionary<string, int> InstancePorts { get; private set; } = new Dictionary<string, int>();

    /// <summary>How the load balancer's instance in a datacenter is named to the lab's faults.</summary>
    public const string InstanceComponentId = "load-balancer";

    public async Task StartAsync(LabOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken,
        IEndpointFaults? faults = null, CancellationToken stopping = default)
    {
        var builder = LabHosting.CreateBuilder(loggerFactory);
        builder.Services.AddRouting();
        var instances = new Dictionary<string, ListenOptions>(StringComparer.Ordinal);
        ListenOptions? main = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => main = listen);
            if (options.LoadBalancerInEachDatacenter && faults is not null)
            {
                foreach (var dc in _datacenters)
                    kestrel.Listen(IPAddress.Loopback, 0, listen => instances[dc] = listen.UseLabFaults(faults, dc, InstanceComponentId, _time, stopping));
            }
        });
        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
            Destinations = _members.ToDictionary(m => m.Key, m => new DestinationConfig { Address = m.Address.ToString() }),
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.LoadBalancerHealthCheckInterval,
                    Timeout = options.LoadBalancerHealthCheckTimeout,
                    Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                    Path = "/healthcheck",
                },
            },
            // One failed probe takes a member out; the first good one brings it back.
            Metadata = new Dictionary<string, string> { [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = Fall.ToString(CultureInfo.InvariantCulture) },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(10) },
        };
        var route = new RouteConfig { RouteId = "all-traffic", ClusterId = ClusterId, Match = new RouteMatch { Path = "{**catch-all}" } };
        builder.Services.AddReverseProxy().LoadFromMemory([route], [cluster]);
        builder.Services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory>(sp =>
            new SourceBoundForwarderHttpClientFactory(sp.GetRequiredService<ILogger<ForwarderHttpClientFactory>>())));

        var app = builder.Build();
        if (instances.Count > 0 && faults is not null)
        {
            // Faults change while keep-alive connections stay open: each request to an instance obeys them too.
            app.Use((context, next) =>
            {
                var instance = instances.FirstOrDefault(i => i.Value.IPEndPoint?.Port == context.Connection.LocalPort).Key;
                return instance is null ? next(context)
                    : FaultEnforcement.EnforceForRequestAsync(context, faults, instance, InstanceComponentId, _time, stopping, () => next(context));
            });
        }
        app.UseRouting();
        app.MapGet(PoolsPath, (RequestDelegate)(context => LabHosting.WriteJsonAsync(context, Pools(context.RequestServices.GetRequiredService<IProxyStateLookup>()))));
        app.MapReverseProxy();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        // Kestrel writes each bound port back into its listen options.
        InstancePorts = instances.ToDictionary(i => i.Key, i => i.Value.IPEndPoint!.Port, StringComparer.Ordinal);
        Port = main!.IPEndPoint!.Port;
    }

    private object Pools(IProxyStateLookup proxy)
    {
        proxy.TryGetCluster(ClusterId, out var cluster);
        IReadOnlyDictionary<string, DestinationState> states = cluster is null ? new Dictionary<string, DestinationState>() : cluster.Destinations;
        return new
        {
            asOf = _time.GetUtcNow(),
            pools = _datacenters.Select(dc =>
            {
                var members = _members.Where(m => m.DatacenterId == dc)
                    .Select(m => new { id = m.Key, healthy = states.TryGetValue(m.Key, out var s) && s.Health.Active == DestinationHealth.Healthy })
                    .ToArray();
                var healthy = members.Count(m => m.healthy);
                return new { datacenter = dc, serving = healthy > 0, healthyDestinations = healthy, destinations = members.Length, members };
            }).ToArray(),
        };
    }

    public async ValueTask DisposeAsync() => await LabHosting.StopQuietlyAsync(_app, _logger).ConfigureAwait(false);

    /// <summary>Binds every outgoing connection (health probes and proxied requests) to the load balancer's source address.</summary>
    private sealed class SourceBoundForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
    {
        protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
        {
            base.ConfigureHandler(context, handler);
            handler.ConnectTimeout = TimeSpan.FromSeconds(2);
            handler.ConnectCallback = async (connectContext, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(LabAddresses.LoadBalancerSource, 0));
                    await socket.ConnectAsync(connectContext.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
    }
}
