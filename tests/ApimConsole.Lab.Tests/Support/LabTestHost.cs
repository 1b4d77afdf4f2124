using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Lab.Tests.Support;

/// <summary>Starts lab estates tuned for tests (no CQL, no traffic unless asked, fast health checks) and talks to them over HTTP.</summary>
public static class LabTestHost
{
    public static Task<LabEstate> StartAsync(Action<LabOptions>? configure = null)
    {
        var options = new LabOptions
        {
            StartCassandra = false,
            TrafficRatePerSecond = 0,
            LoadBalancerHealthCheckInterval = TimeSpan.FromMilliseconds(200),
            LoadBalancerHealthCheckTimeout = TimeSpan.FromMilliseconds(300),
            SlowDelay = TimeSpan.FromMilliseconds(400),
        };
        configure?.Invoke(options);
        return LabEstate.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
    }

    /// <summary>A client that connects from <paramref name="source"/> (127.0.0.1 is the console's side, 127.0.0.2 the load balancer's).</summary>
    public static HttpClient Client(IPAddress? source = null, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) };
        if (source is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(5) };
    }

    public static HttpClient AnmClient(LabDatacenterEndpoints dc, string? password = null, TimeSpan? timeout = null)
    {
        var client = Client(timeout: timeout);
        client.BaseAddress = new Uri(dc.AnmUrl);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{dc.AnmUsername}:{password ?? dc.AnmPassword}")));
        return client;
    }

    public static string TrafficUrl(LabEstate lab, string datacenterId, string instanceId) =>
        lab.Endpoints[datacenterId].Gateways.Single(g => g.InstanceId == instanceId).TrafficUrl;

    /// <summary>Status code of GET <paramref name="url"/>, or null when the connection failed or timed out.</summary>
    public static async Task<int?> TryGetStatusAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or SocketException)
        {
            return null;
        }
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static Task<JsonElement> PoolsAsync(HttpClient client, LabEstate lab) => GetJsonAsync(client, lab.Endpoints.LoadBalancerStatusUrl);

    public static JsonElement Pool(JsonElement pools, string datacenterId) =>
        pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("datacenter").GetString() == datacenterId);
}
