using System.Net;
using System.Text.Json;
using ApimConsole.Web.Hubs;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// Faults injected through the lab's HTTP API, and what the console then says through its own API and hub.
/// One console for the class: each test heals the lab and waits for the all-up estate first.
/// </summary>
public sealed class EstateLiveTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
    }

    public Task DisposeAsync() => console.HealAsync();

    [Fact]
    public async Task Estate_ShowsBothDatacenters_WithTheirComponents()
    {
        var estate = await console.EstateAsync();
        Assert.Equal("dc1", estate.GetProperty("consoleDatacenter").GetString());
        Assert.True(estate.TryGetProperty("asOf", out _));
        foreach (var id in new[] { "dc1", "dc2" })
        {
            var dc = estate.Datacenter(id);
            Assert.Single(dc.GetProperty("adminNodeManagers").EnumerateArray());
            var groups = dc.GetProperty("groups").EnumerateArray().ToList();
            Assert.Equal(2, groups.Count);
            Assert.All(groups, g => Assert.Equal(2, g.GetProperty("instances").GetArrayLength()));
            var nodes = dc.GetProperty("cassandraNodes").EnumerateArray().ToList();
            Assert.Equal(3, nodes.Count);
            // What the node itself said over CQL, not configuration.
            Assert.All(nodes, n => Assert.False(string.IsNullOrEmpty(n.GetProperty("releaseVersion").GetString())));
            Assert.All(nodes, n => Assert.True(n.GetProperty("inSchemaAgreement").GetBoolean()));
            Assert.All(dc.Components(), c => Assert.True(c.TryGetProperty("since", out _)));
        }
    }

    [Fact]
    public async Task GatewayInstanceDown_IsShownDown_WithReason_ThenUpAgain()
    {
        (await console.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();
        var estate = await console.WaitForEstateAsync(e => e.ComponentState("dc2/instance-2") == "Down", Detect, "dc2/instance-2 Down");
        Assert.False(string.IsNullOrEmpty(estate.Component("dc2/instance-2")!.Value.GetProperty("reason").GetString()));
        Assert.Equal("Degraded", estate.Datacenter("dc2").State());
        Assert.Equal("Up", estate.ComponentState("dc2/instance-1"));
        var scenario = await console.WaitForScenarioAsync("GatewayInstanceDown:dc2/instance-2", Detect);
        Assert.Contains("restart", scenario.GetProperty("runbook")[0].GetProperty("text").GetString(), StringComparison.OrdinalIgnoreCase);

        (await console.FaultAsync("dc2/instance-2", "up")).EnsureSuccessStatusCode();
        await console.WaitForEstateAsync(e => e.ComponentState("dc2/instance-2") == "Up", Detect, "dc2/instance-2 back Up");
    }

    [Fact]
    public async Task CassandraNodeDown_IsShownDown()
    {
        (await console.FaultAsync("dc1/cassandra-3", "down")).EnsureSuccessStatusCode();
        await console.WaitForEstateAsync(e => e.ComponentState("dc1/cassandra-3") == "Down" && e.ComponentState("dc1/cassandra-1") == "Up",
            Detect, "dc1/cassandra-3 Down, the others Up");
        var scenario = await console.WaitForScenarioAsync("CassandraNodeDown:dc1/cassandra-3", Detect);
        Assert.Equal("Warning", scenario.GetProperty("severity").GetString());
        Assert.Contains(scenario.GetProperty("runbook").EnumerateArray(), s => s.GetProperty("text").GetString()!.Contains("repair", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TwoCassandraNodesDown_InOneDatacenter_IsQuorumLost()
    {
        (await console.FaultAsync("dc1/cassandra-1", "down")).EnsureSuccessStatusCode();
        (await console.FaultAsync("dc1/cassandra-2", "down")).EnsureSuccessStatusCode();
        var scenario = await console.WaitForScenarioAsync("CassandraQuorumLost:dc1", Detect);
        Assert.StartsWith("Restart the Cassandra nodes that are down in", Steps(scenario)[0]);
        Assert.Equal("Critical", scenario.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task AnmHang_EndsDown_AndDoesNotDelayOtherComponents()
    {
        (await console.FaultAsync("dc1/anm", "hang")).EnsureSuccessStatusCode();
        var estate = await console.WaitForEstateAsync(e => e.ComponentState("dc1/anm") == "Down", Detect, "dc1/anm Down after hanging");
        Assert.Contains("no answer", estate.Component("dc1/anm")!.Value.GetProperty("reason").GetString());
        Assert.All(estate.Datacenter("dc2").Components(), c => Assert.Equal("Up", c.State()));
    }

    [Fact]
    public async Task LinkDown_OtherDatacenterUnreachable_ButServing()
    {
        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();
        var estate = await console.WaitForEstateAsync(e => e.GetProperty("link").State() == "Down", Detect, "link Down");
        var dc2 = estate.Datacenter("dc2");
        Assert.Equal("Unreachable", dc2.State());
        Assert.All(dc2.Components(), c => Assert.Equal("Unknown", c.State()));
        Assert.All(estate.Datacenter("dc1").Components(), c => Assert.Equal("Up", c.State()));
        var scenario = await console.WaitForScenarioAsync("InterDatacenterLinkDown", Detect);
        // The link runbook: wait, then check the resync, then repair if it lasted more than 2 h.
        var steps = Steps(scenario);
        Assert.StartsWith("Wait for the inter-datacenter link", steps[0]);
        Assert.Contains("nodetool repair on all six", steps[^1]);
    }

    [Fact]
    public async Task LinkCut_NeverShowsTheOtherDatacentersComponentsDown_OnTheWay()
    {
        var server = console.Server;
        var snapshots = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, EstateHub.Path), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(TestAuth.BootstrapToken);
            })
            .Build();
        hub.On<JsonElement>(EstateHub.SnapshotMethod, s => snapshots.Writer.TryWrite(s));
        await hub.StartAsync();

        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();
        using var cts = new CancellationTokenSource(Detect);
        var seen = new List<string>();
        while (true)
        {
            var next = await snapshots.Reader.ReadAsync(cts.Token);
            seen.AddRange(next.Datacenter("dc2").Components().Where(c => c.State() == "Down").Select(c => c.GetProperty("id").GetString()!));
            if (next.GetProperty("link").State() == "Down")
                break;
        }
        Assert.Empty(seen);
    }

    [Fact]
    public async Task DatacenterDown_IsDown_NotALinkProblem()
    {
        (await console.FaultAsync("dc2", "down")).EnsureSuccessStatusCode();
        var estate = await console.WaitForEstateAsync(e => e.Datacenter("dc2").State() == "Down", Detect, "dc2 Down");
        Assert.NotEqual("Down", estate.GetProperty("link").State());
        Assert.Equal("Up", estate.Datacenter("dc1").State());
        var scenario = await console.WaitForScenarioAsync("DatacenterDown:dc2", Detect);
        Assert.Equal("Critical", scenario.GetProperty("severity").GetString());
        // The documented restart order: every Cassandra node first, the gateway instances only after.
        var steps = Steps(scenario);
        var cassandraFirst = Array.FindIndex(steps, s => s.StartsWith("Restart every Cassandra node of", StringComparison.Ordinal));
        var gatewaysAfter = Array.FindIndex(steps, s => s.Contains("restart the gateway instances", StringComparison.Ordinal));
        Assert.Equal(0, cassandraFirst);
        Assert.True(gatewaysAfter > cassandraFirst, string.Join(" | ", steps));
    }

    [Fact]
    public async Task BadFaultRequest_Is400_AndChangesNothing()
    {
        var response = await console.FaultAsync("dc9/instance-1", "down");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("dc9", body);
        var estate = await console.EstateAsync();
        Assert.True(estate.AllUp());
    }

    [Fact]
    public async Task Hub_SendsSnapshotOnConnect_AndTheChangeAfterAFault()
    {
        var server = console.Server;
        var snapshots = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, EstateHub.Path), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(TestAuth.BootstrapToken);
            })
            .Build();
        hub.On<JsonElement>(EstateHub.SnapshotMethod, s => snapshots.Writer.TryWrite(s));
        await hub.StartAsync();

        using var cts = new CancellationTokenSource(Detect);
        var first = await snapshots.Reader.ReadAsync(cts.Token);
        Assert.Equal(2, first.GetProperty("datacenters").GetArrayLength());

        (await console.FaultAsync("dc1/instance-1", "down")).EnsureSuccessStatusCode();
        while (true)
        {
            var next = await snapshots.Reader.ReadAsync(cts.Token);
            if (next.ComponentState("dc1/instance-1") == "Down")
                break;
        }
    }

    private static string[] Steps(JsonElement scenario) =>
        scenario.GetProperty("runbook").EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToArray();
}
