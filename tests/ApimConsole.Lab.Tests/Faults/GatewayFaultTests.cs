using System.Diagnostics;
using System.Net;
using ApimConsole.Lab.Faults;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.Faults;

public sealed class GatewayFaultTests
{
    [Fact]
    public async Task InstanceDown_RefusesHealthcheck_ThenUpAnswersAgain_OnTheSameKeepAliveClient()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var client = LabTestHost.Client(timeout: TimeSpan.FromSeconds(2));
        var url = LabTestHost.TrafficUrl(lab, "dc1", "instance-2") + "/healthcheck";
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, url));

        lab.Faults.Apply("dc1/instance-2", "down");
        // The client keeps its connection alive: the per-request check must refuse it too.
        Assert.Null(await LabTestHost.TryGetStatusAsync(client, url));
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/healthcheck"));

        lab.Faults.Apply("dc1/instance-2", "up");
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, url));
    }

    [Fact]
    public async Task Hang_HoldsTheConnectionUnanswered_UntilLifted()
    {
        await using var lab = await LabTestHost.StartAsync();
        var url = LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/healthcheck";
        lab.Faults.Apply("dc1/instance-1", "hang");

        using var impatient = LabTestHost.Client(timeout: TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(url));

        using var patient = LabTestHost.Client(timeout: TimeSpan.FromSeconds(10));
        var pending = patient.GetAsync(url);
        await Task.Delay(200); // give the request time to reach the hanging endpoint; the assertion below is on the lift
        Assert.False(pending.IsCompleted);
        lab.Faults.Apply("dc1/instance-1", "up");
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Slow_AnswersAfterTheSlowDelay()
    {
        await using var lab = await LabTestHost.StartAsync(o => o.SlowDelay = TimeSpan.FromMilliseconds(500));
        using var client = LabTestHost.Client();
        var url = LabTestHost.TrafficUrl(lab, "dc2", "instance-4") + "/healthcheck";
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, url));
        lab.Faults.Apply("dc2/instance-4", "slow");
        var watch = Stopwatch.StartNew();
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, url));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task DatacenterDown_RefusesEveryEndpointOfIt_AndNoneOfTheOther()
    {
        await using var lab = await LabTestHost.StartAsync();
        lab.Faults.Apply("dc2", "down");
        using var client = LabTestHost.Client(timeout: TimeSpan.FromSeconds(2));
        using var lbSide = LabTestHost.Client(LabAddresses.LoadBalancerSource, TimeSpan.FromSeconds(2));
        foreach (var gateway in lab.Endpoints["dc2"].Gateways)
        {
            Assert.Null(await LabTestHost.TryGetStatusAsync(client, gateway.TrafficUrl + "/healthcheck"));
            Assert.Null(await LabTestHost.TryGetStatusAsync(lbSide, gateway.TrafficUrl + "/healthcheck"));
        }
        Assert.Null(await LabTestHost.TryGetStatusAsync(client, lab.Endpoints["dc2"].AnmUrl + "/api/topology"));
        foreach (var gateway in lab.Endpoints["dc1"].Gateways)
            Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, gateway.TrafficUrl + "/healthcheck"));
        Assert.Equal(401, await LabTestHost.TryGetStatusAsync(client, lab.Endpoints["dc1"].AnmUrl + "/api/topology"));
    }

    [Fact]
    public async Task LinkDown_RefusesTheConsolesSide_ButNotTheLoadBalancers()
    {
        await using var lab = await LabTestHost.StartAsync();
        lab.Faults.Apply("link", "down");
        using var console = LabTestHost.Client(IPAddress.Loopback, TimeSpan.FromSeconds(2));
        using var lbSide = LabTestHost.Client(LabAddresses.LoadBalancerSource, TimeSpan.FromSeconds(2));

        foreach (var gateway in lab.Endpoints["dc2"].Gateways)
        {
            Assert.Null(await LabTestHost.TryGetStatusAsync(console, gateway.TrafficUrl + "/healthcheck"));
            Assert.Equal(200, await LabTestHost.TryGetStatusAsync(lbSide, gateway.TrafficUrl + "/healthcheck"));
        }
        Assert.Null(await LabTestHost.TryGetStatusAsync(console, lab.Endpoints["dc2"].AnmUrl + "/api/topology"));
        foreach (var gateway in lab.Endpoints["dc1"].Gateways)
            Assert.Equal(200, await LabTestHost.TryGetStatusAsync(console, gateway.TrafficUrl + "/healthcheck"));
        Assert.Equal(401, await LabTestHost.TryGetStatusAsync(console, lab.Endpoints["dc1"].AnmUrl + "/api/topology"));

        // The witness: the load balancer still sees both datacenters serving.
        using var client = LabTestHost.Client();
        await Eventually.Until(async () =>
        {
            var pools = await LabTestHost.PoolsAsync(client, lab);
            return LabTestHost.Pool(pools, "dc1").GetProperty("healthyDestinations").GetInt32() == 2
                && LabTestHost.Pool(pools, "dc2").GetProperty("healthyDestinations").GetInt32() == 2;
        }, TimeSpan.FromSeconds(10), "both pools fully healthy while the link is down");

        lab.Faults.Apply("link", "up");
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(console, lab.Endpoints["dc2"].Gateways[0].TrafficUrl + "/healthcheck"));
    }

    [Fact]
    public async Task Drain_MakesHealthcheckLbAnswer503_WhileHealthcheckStaysOk()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var client = LabTestHost.Client();
        var baseUrl = LabTestHost.TrafficUrl(lab, "dc1", "instance-3");
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, baseUrl + "/healthchecklb"));
        lab.Faults.Apply("dc1/instance-3", "drain");
        Assert.Equal(503, await LabTestHost.TryGetStatusAsync(client, baseUrl + "/healthchecklb"));
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, baseUrl + "/healthcheck"));
    }

    [Fact]
    public async Task ApiCall_AnswersJsonWithCorrelationId_AndIsRecorded()
    {
        await using var lab = await LabTestHost.StartAsync(o => o.Apis =
        [
            new LabApiOptions { Path = "/orders/v1", Name = "Orders API", ClientErrorRate = 0, ServerErrorRate = 0, MedianLatency = TimeSpan.FromMilliseconds(1) },
        ]);
        using var client = LabTestHost.Client();
        using var response = await client.GetAsync(LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/orders/v1/items/42");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var header = Assert.Single(response.Headers.GetValues("X-CorrelationID"));
        Assert.Matches("^Id-[0-9a-f]{24} 0$", header);
        var correlationId = header[3..27];

        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        var search = await LabTestHost.GetJsonAsync(anm, "/api/router/service/instance-1/ops/search?format=json&field=leg&value=0&count=10&ago=10m");
        var transaction = Assert.Single(search.GetProperty("data").EnumerateArray());
        Assert.Equal(correlationId, transaction.GetProperty("correlationId").GetString());
        Assert.Equal(200, transaction.GetProperty("status").GetInt32());
        Assert.Equal("GET", transaction.GetProperty("method").GetString());
        Assert.Equal("/orders/v1/items/42", transaction.GetProperty("uri").GetString());
        Assert.Equal("Orders API", transaction.GetProperty("serviceName").GetString());
        Assert.Equal("127.0.0.1", transaction.GetProperty("remoteAddr").GetString());
        Assert.Equal("Pass", transaction.GetProperty("finalStatus").GetString());
        Assert.Equal(0, transaction.GetProperty("leg").GetInt32());
        foreach (var field in new[] { "timestamp", "duration", "operation", "bytesSent", "bytesReceived" })
            Assert.True(transaction.TryGetProperty(field, out _), field);

        var trace = await LabTestHost.GetJsonAsync(anm, $"/api/router/service/instance-1/ops/trace/{correlationId}?format=json");
        Assert.True(trace.GetArrayLength() >= 3);
        foreach (var line in trace.EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(line.GetProperty("level").GetString()));
            Assert.False(string.IsNullOrEmpty(line.GetProperty("text").GetString()));
            Assert.True(line.TryGetProperty("time", out _));
            Assert.True(line.TryGetProperty("depth", out _));
        }
    }

    [Fact]
    public void TraceLine_HasThe77Format()
    {
        var time = new DateTimeOffset(2020, 9, 15, 10, 46, 33, 426, TimeSpan.Zero).ToLocalTime();
        var line = new ApimConsole.Lab.Gateways.TraceLine("INFO", time, "455a", "697f605fdb408a78c01cc73e", "message", 0);
        Assert.Equal($"INFO    {time:dd/MMM/yyyy:HH:mm:ss.fff} [455a:697f605fdb408a78c01cc73e] message", line.Format());
        Assert.Matches(@"^INFO {4}\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3} \[455a:[0-9a-f]{24}\] message$", line.Format());
    }
}
