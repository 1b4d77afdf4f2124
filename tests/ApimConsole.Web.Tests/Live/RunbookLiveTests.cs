using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ApimConsole.Storage;
using ApimConsole.Web.Restarts;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// Runbooks against the lab: each scenario is named with its runbook, and the restart API follows the runbooks'
/// order (Cassandra first) while the lab's ANM really starts the instance. One console for the class; each test heals
/// the lab and waits for the all-up estate first.
/// </summary>
public sealed class RunbookLiveTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(10);
    /// <summary>A few probe intervals (750 ms each), with room for a busy test machine.</summary>
    private static readonly TimeSpan FewProbeIntervals = TimeSpan.FromMilliseconds(750 * 10);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
    }

    public Task DisposeAsync() => console.HealAsync();

    private async Task<HttpResponseMessage> RestartAsync(object body)
    {
        using var client = console.CreateClient();
        return await client.PostAsJsonAsync("/api/runbooks/restart", body);
    }

    private async Task<HttpResponseMessage> RestartRawAsync(string body, string contentType = "application/json")
    {
        using var client = console.CreateClient();
        return await client.PostAsync("/api/runbooks/restart", new StringContent(body, Encoding.UTF8, contentType));
    }

    private async Task<int> RestartAuditCountAsync() =>
        (await console.Services.GetRequiredService<AuditLog>().RecentAsync(1000, CancellationToken.None))
        .Count(e => e.Action == GatewayRestarter.AuditAction);

    private static bool CassandraWhole(JsonElement estate, string dc) =>
        estate.Datacenter(dc).GetProperty("cassandraNodes").EnumerateArray()
            .All(n => n.State() == "Up" && n.GetProperty("inSchemaAgreement").ValueKind == JsonValueKind.True);

    public static TheoryData<string[], string, string> Scenarios => new()
    {
        { ["dc2/instance-2"], "GatewayInstanceDown:dc2/instance-2", "Restart gateway instance" },
        { ["dc1/cassandra-2"], "CassandraNodeDown:dc1/cassandra-2", "Restart Cassandra node" },
        { ["dc2/cassandra-1", "dc2/cassandra-3"], "CassandraQuorumLost:dc2", "Restart the Cassandra nodes that are down" },
        { ["dc2"], "DatacenterDown:dc2", "Restart every Cassandra node of" },
        { ["link"], "InterDatacenterLinkDown", "Wait for the inter-datacenter link" },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task EachScenario_IsNamed_WithinAFewProbeIntervals_WithItsRunbook(string[] targets, string key, string firstStep)
    {
        foreach (var target in targets)
            (await console.FaultAsync(target, "down")).EnsureSuccessStatusCode();
        var scenario = await console.WaitForScenarioAsync(key, FewProbeIntervals);
        var runbook = scenario.GetProperty("runbook").EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToList();
        Assert.StartsWith(firstStep, runbook[0]);
        if (key.StartsWith("DatacenterDown", StringComparison.Ordinal))
            Assert.Contains("Only then restart the gateway instances", runbook[2]);
        if (key.StartsWith("CassandraNodeDown", StringComparison.Ordinal))
            Assert.Contains("nodetool repair", runbook[^1]);
    }

    [Fact]
    public async Task Restart_WaitsForCassandra_ThenTheAnmStartsTheInstance()
    {
        (await console.FaultAsync("dc2/cassandra-1", "down")).EnsureSuccessStatusCode();
        (await console.FaultAsync("dc2/instance-1", "down")).EnsureSuccessStatusCode();
        await console.WaitForEstateAsync(e => e.ComponentState("dc2/cassandra-1") == "Down" && e.ComponentState("dc2/instance-1") == "Down",
            Detect, "dc2/cassandra-1 and dc2/instance-1 Down");

        // What the page's buttons show, as the API gives it.
        using (var client = console.CreateClient())
        {
            var decisions = await client.GetFromJsonAsync<JsonElement>("/api/runbooks/restarts");
            var decision = decisions.GetProperty("instances").EnumerateArray().Single(d => d.GetProperty("key").GetString() == "dc2/instance-1");
            Assert.False(decision.GetProperty("allowed").GetBoolean());
            Assert.Equal("Start", decision.GetProperty("action").GetString());
            Assert.Contains("Cassandra first", decision.GetProperty("blocked").GetString());
        }

        // Cassandra first: the console refuses, says why, and sends nothing to the ANM.
        var audited = await RestartAuditCountAsync();
        var refused = await RestartAsync(new { datacenterId = "dc2", instanceId = "instance-1", action = "start" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var reason = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Refused", reason.GetProperty("outcome").GetString());
        Assert.Contains("Cassandra first", reason.GetProperty("message").GetString());
        Assert.Contains("dc2/cassandra-1", reason.GetProperty("message").GetString());
        Assert.Equal(audited, await RestartAuditCountAsync());
        Assert.Equal("Down", (await console.EstateAsync()).ComponentState("dc2/instance-1"));

        (await console.FaultAsync("dc2/cassandra-1", "up")).EnsureSuccessStatusCode();
        await console.WaitForEstateAsync(e => CassandraWhole(e, "dc2"), Detect, "every dc2 Cassandra node Up and in schema agreement");

        var started = await RestartAsync(new { datacenterId = "dc2", instanceId = "instance-1", action = "start" });
        var body = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(started.StatusCode == HttpStatusCode.OK, $"{(int)started.StatusCode}: {body}");
        Assert.Equal("Done", body.GetProperty("outcome").GetString());
        Assert.Equal("Start", body.GetProperty("action").GetString());

        // Only the ANM's start brought it back: the lab's own fault was never lifted by the test.
        await console.WaitForEstateAsync(e => e.ComponentState("dc2/instance-1") == "Up", Detect, "dc2/instance-1 Up after the ANM start");

        var audit = (await console.Services.GetRequiredService<AuditLog>().RecentAsync(100, CancellationToken.None))
            .Where(e => e.Action == GatewayRestarter.AuditAction && e.Target == "dc2/instance-1").ToList();
        Assert.Equal(2, audit.Count); // the request, then its outcome
        Assert.All(audit, e => Assert.Equal("token:bootstrap", e.Actor));
        Assert.All(audit, e => Assert.Equal("dc2/instance-1", e.Target));
        Assert.StartsWith("Done", audit[0].Details);
    }

    [Fact]
    public async Task StartOfARunningInstance_Is409_RestartOfIt_StopsAndStartsIt()
    {
        var refused = await RestartAsync(new { datacenterId = "dc1", instanceId = "instance-2", action = "start" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("already runs", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());

        var restarted = await RestartAsync(new { datacenterId = "dc1", instanceId = "instance-2", action = "restart" });
        Assert.Equal(HttpStatusCode.OK, restarted.StatusCode);
        Assert.Equal("Restart", (await restarted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("action").GetString());
        await console.WaitForEstateAsync(e => e.ComponentState("dc1/instance-2") == "Up", Detect, "dc1/instance-2 running again");
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("{}", "Missing datacenterId, instanceId, action")]
    [InlineData("{\"datacenterId\":\"dc2\",\"instanceId\":\"instance-1\"}", "Missing action")]
    [InlineData("{\"datacenterId\":\"dc2\",\"instanceId\":\"instance-1\",\"action\":\"reboot\"}", "'reboot' is unknown")]
    [InlineData("[1,2]", "not valid JSON")]
    public async Task BadBody_Is400_WithAClearError_AndChangesNothing(string body, string error)
    {
        var audited = await RestartAuditCountAsync();
        var response = await RestartRawAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(error, await response.Content.ReadAsStringAsync());
        Assert.Equal(audited, await RestartAuditCountAsync());
        Assert.True((await console.EstateAsync()).AllUp());
    }

    [Fact]
    public async Task NotJson_Is400()
    {
        var response = await RestartRawAsync("datacenterId=dc2", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("JSON body", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("dc2", "instance-9")]
    [InlineData("dc9", "instance-1")]
    public async Task UnknownInstance_Is404(string datacenterId, string instanceId)
    {
        var audited = await RestartAuditCountAsync();
        var response = await RestartAsync(new { datacenterId, instanceId, action = "start" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"{datacenterId}/{instanceId}", await response.Content.ReadAsStringAsync());
        Assert.Equal(audited, await RestartAuditCountAsync());
    }
}
