using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Web.Tests.Security;

namespace ApimConsole.Web.Tests.Live;

/// <summary>The incident timeline of the real console against its lab: faults open incidents, healing closes them.</summary>
public sealed class IncidentLiveTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
    }

    public Task DisposeAsync() => console.HealAsync();

    private async Task<JsonElement> WaitForIncidentAsync(string query, Func<JsonElement, bool> condition, string what)
    {
        using var client = console.CreateClient();
        var incidents = await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/incidents" + query),
            last => last.GetProperty("incidents").EnumerateArray().Any(condition), Detect, what, every: TimeSpan.FromMilliseconds(100));
        return incidents.GetProperty("incidents").EnumerateArray().First(condition);
    }

    [Fact]
    public async Task InstanceDown_IsAnOpenIncident_AndHealing_ClosesItWithADuration()
    {
        (await console.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();
        var open = await WaitForIncidentAsync("?state=open", i => i.GetProperty("key").GetString() == "GatewayInstanceDown:dc2/instance-2",
            "the open incident for dc2/instance-2");
        Assert.True(open.GetProperty("endedAt").ValueKind == JsonValueKind.Null && open.GetProperty("severity").GetString() == "Warning",
            $"Expected an open Warning incident: {open}");
        var id = open.GetProperty("id").GetInt64();

        (await console.FaultAsync("dc2/instance-2", "up")).EnsureSuccessStatusCode();
        var closed = await WaitForIncidentAsync("?state=all&days=1", i => i.GetProperty("id").GetInt64() == id && !i.GetProperty("open").GetBoolean(),
            "the incident for dc2/instance-2 closed");
        var started = closed.GetProperty("startedAt").GetDateTimeOffset();
        var ended = closed.GetProperty("endedAt").GetDateTimeOffset();
        Assert.True(ended > started, $"Expected it to end after it started: {closed}");
        Assert.True(Math.Abs((ended - started).TotalSeconds - closed.GetProperty("durationSeconds").GetDouble()) < 0.01, $"Duration: {closed}");

        using var client = console.CreateClient();
        var openNow = await client.GetFromJsonAsync<JsonElement>("/api/incidents?state=open");
        Assert.DoesNotContain(openNow.GetProperty("incidents").EnumerateArray(), i => i.GetProperty("id").GetInt64() == id);
    }

    [Theory]
    [InlineData("?state=closed", "state 'closed'")]
    [InlineData("?days=0", "days '0'")]
    [InlineData("?days=367", "days '367'")]
    [InlineData("?days=seven", "days 'seven'")]
    public async Task Incidents_BadQuery_Is400WithTheReason(string query, string message)
    {
        using var client = console.CreateClient();
        var response = await client.GetAsync("/api/incidents" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Repairs_MarkDoneOverTheApi_UnderTheCallersName_AndBadInputIsRefused()
    {
        using var client = console.CreateClient();
        var missing = await client.PostAsJsonAsync("/api/incidents/999999/repairs", new { nodeKey = "dc1/cassandra-2" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        (await console.FaultAsync("dc1/cassandra-2", "down")).EnsureSuccessStatusCode();
        var incident = await WaitForIncidentAsync("?state=open", i => i.GetProperty("key").GetString() == "CassandraNodeDown:dc1/cassandra-2",
            "the open incident for dc1/cassandra-2");
        Assert.Equal(["dc1/cassandra-2"], incident.GetProperty("cassandraNodes").EnumerateArray().Select(n => n.GetString()));
        var url = $"/api/incidents/{incident.GetProperty("id").GetInt64()}/repairs";

        // Nobody marks in someone else's name.
        var otherName = await client.PostAsJsonAsync(url, new { nodeKey = "dc1/cassandra-2", doneBy = "alice" });
        Assert.Equal(HttpStatusCode.BadRequest, otherName.StatusCode);
        var otherNameText = await otherName.Content.ReadAsStringAsync();
        Assert.Contains("doneBy 'alice' is not you", otherNameText);
        Assert.Contains("token:bootstrap", otherNameText);
        var otherNode = await client.PostAsJsonAsync(url, new { nodeKey = "dc1/cassandra-1" });
        Assert.Equal(HttpStatusCode.BadRequest, otherNode.StatusCode);
        var notJson = await client.PostAsync(url, new StringContent("nodeKey=dc1/cassandra-2", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        var untouched = await client.GetFromJsonAsync<JsonElement>(url);
        Assert.False(untouched.GetProperty("items")[0].GetProperty("done").GetBoolean());

        var marked = await client.PostAsJsonAsync(url, new { nodeKey = "dc1/cassandra-2", note = "repaired" });
        Assert.Equal(HttpStatusCode.OK, marked.StatusCode);
        var item = (await marked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items")[0];
        Assert.Equal(("dc1/cassandra-2", "token:bootstrap", "repaired", true), (item.GetProperty("nodeKey").GetString(), item.GetProperty("doneBy").GetString(),
            item.GetProperty("note").GetString(), item.GetProperty("done").GetBoolean()));

        // A signed-in administrator's mark is theirs; naming themselves is accepted.
        using var admin = await SecurityClients.SignedInAsync(console, "admin", TestAuth.AdminPassword);
        var again = await admin.PostAsJsonAsync(url, new { nodeKey = "dc1/cassandra-2", doneBy = "admin", note = "repaired again" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var byAdmin = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items")[0];
        Assert.Equal(("admin", "repaired again"), (byAdmin.GetProperty("doneBy").GetString(), byAdmin.GetProperty("note").GetString()));
    }
}
