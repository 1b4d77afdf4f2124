using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.LoadBalancer;

/// <summary><c>Lab:LoadBalancer = Haproxy</c>: the lab runs a real HAProxy as its global load balancer.</summary>
public sealed class HaproxyLabTests
{
    [Theory]
    [InlineData("Nginx", "Lab:LoadBalancer 'Nginx' is unknown")]
    public async Task UnknownLoadBalancer_IsRefusedNamingTheKey(string value, string message)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => LabTestHost.StartAsync(o => o.LoadBalancer = value));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task MissingHaproxyBinary_IsRefusedNamingTheKey()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => LabTestHost.StartAsync(o =>
        {
            o.LoadBalancer = LabOptions.HaproxyLoadBalancer;
            o.HaproxyPath = "/nonexistent/haproxy";
        }));
        Assert.Contains("Lab:HaproxyPath '/nonexistent/haproxy' does not exist", e.Message);
    }

    [Fact]
    public void AnInstanceInEachDatacenter_IsTheLabsOwnLoadBalancer_NotHaproxy()
    {
        var errors = new LabOptions { LoadBalancer = LabOptions.HaproxyLoadBalancer, LoadBalancerInEachDatacenter = true }.Validate();
        Assert.Contains("Lab:LoadBalancerInEachDatacenter is for the lab's own load balancer ('Yarp'), not 'Haproxy'.", errors);
        Assert.DoesNotContain(new LabOptions { LoadBalancerInEachDatacenter = true }.Validate(), e => e.Contains("LoadBalancerInEachDatacenter", StringComparison.Ordinal));
    }

    /// <summary>Status (field 17) of each server row of HAProxy's stats CSV, by <c>backend/server</c>.</summary>
    private static async Task<Dictionary<string, string>> ServerStatusesAsync(HttpClient client, LabEstate lab)
    {
        var lines = (await client.GetStringAsync(lab.Endpoints.LoadBalancerStatusUrl)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0][2..].Split(',').ToList();
        int px = header.IndexOf("pxname"), sv = header.IndexOf("svname"), status = header.IndexOf("status");
        return lines.Skip(1).Select(l => l.Split(',')).Where(f => f[sv] is not ("FRONTEND" or "BACKEND"))
            .ToDictionary(f => $"{f[px]}/{f[sv]}", f => f[status]);
    }

    [HaproxyFact]
    public async Task Haproxy_ChecksBothDatacenters_FromTheLoadBalancersSide_AndCarriesTheTraffic()
    {
        var config = default(IReadOnlyDictionary<string, string?>);
        int statsPort;
        await using (var lab = await LabTestHost.StartAsync(o => o.LoadBalancer = LabOptions.HaproxyLoadBalancer))
        {
            config = lab.ToConsoleConfiguration();
            using var client = LabTestHost.Client();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{config["Estate:LoadBalancer:Username"]}:{config["Estate:LoadBalancer:Password"]}")));
            await Eventually.Until(async () => (await ServerStatusesAsync(client, lab)).Where(s => s.Key.StartsWith("be_", StringComparison.Ordinal)).All(s => s.Value == "UP"), TimeSpan.FromSeconds(10), "every DMZ gateway UP in HAProxy");
            var statuses = await ServerStatusesAsync(client, lab);
            Assert.Equal(["be_dc1/dc1-instance-3", "be_dc1/dc1-instance-4", "be_dc2/dc2-instance-3", "be_dc2/dc2-instance-4"],
                statuses.Keys.Where(k => k.StartsWith("be_", StringComparison.Ordinal)).Order());

            // Traffic through HAProxy reaches the gateways, which answer with their correlation id.
            using (var response = await client.GetAsync(lab.Endpoints.LoadBalancerUrl + "/orders/v1/items/1"))
                Assert.True(response.Headers.Contains("X-CorrelationID"), $"no X-CorrelationID from a gateway behind HAProxy ({(int)response.StatusCode})");

            // The link fault cuts the console's side only: HAProxy's checks leave from 127.0.0.2 and keep seeing dc2 UP.
            lab.Faults.Apply("link", "down");
            Assert.Null(await LabTestHost.TryGetStatusAsync(LabTestHost.Client(timeout: TimeSpan.FromSeconds(1)), LabTestHost.TrafficUrl(lab, "dc2", "instance-3") + "/healthcheck"));
            await Eventually.Until(async () => (await ServerStatusesAsync(client, lab))["be_dc2/dc2-instance-3"] == "UP", TimeSpan.FromSeconds(10), "dc2 still UP in HAProxy with the link cut");

            lab.Faults.Apply("dc2", "down");
            await Eventually.Until(async () =>
            {
                var s = await ServerStatusesAsync(client, lab);
                return s["be_dc2/dc2-instance-3"].StartsWith("DOWN", StringComparison.Ordinal) && s["be_dc2/dc2-instance-4"].StartsWith("DOWN", StringComparison.Ordinal)
                    && s["be_dc1/dc1-instance-3"] == "UP";
            }, TimeSpan.FromSeconds(10), "dc2's servers DOWN in HAProxy, dc1's UP");

            Assert.Equal("HaproxyCsv", config["Estate:LoadBalancer:Kind"]);
            Assert.Equal("be_dc1", config["Estate:LoadBalancer:Datacenters:dc1:Pools:0"]);
            Assert.Equal("be_dc2", config["Estate:LoadBalancer:Datacenters:dc2:Pools:0"]);
            Assert.EndsWith("/stats;csv", config["Estate:LoadBalancer:StatusUrl"]);
            // HAProxy takes a server out after fall 3 failed checks, each the test lab's 200 ms interval after the previous
            // one ended plus its 300 ms timeout against a member that hangs: 3 × 500 ms.
            Assert.Equal("00:00:01.5000000", config["Estate:LoadBalancer:HealthCheckLag"]);
            statsPort = new Uri(config["Estate:LoadBalancer:StatusUrl"]!).Port;
        }

        // Stopping the lab stops its haproxy: nothing listens on the stats port any more.
        using var probe = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, statsPort));
    }
}

/// <summary>A fact that needs haproxy: skipped, saying how to install it, only when the binary is absent.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public HaproxyFactAttribute()
    {
        var found = new[] { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy" }.Any(File.Exists)
            || (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(p => File.Exists(Path.Combine(p, "haproxy")));
        if (!found)
            Skip = "haproxy is not installed: bash tests/run.sh installs it from Debian (apt-get install haproxy)";
    }
}
