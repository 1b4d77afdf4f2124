using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Storage;
using ApimConsole.Web.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Live;

/// <summary>One incident per outage against the real console and its lab: a cut link, a datacenter down, and the post-mortem on them.</summary>
public sealed class OutageLiveTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(15);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
        // Nothing open from a fault before: what follows is this test's alone.
        await Eventually.Until(async () => (await IncidentsAsync("?state=open")).Count == 0, Settle, "no open incident");
    }

    public Task DisposeAsync() => console.HealAsync();

    private async Task<List<JsonElement>> IncidentsAsync(string query)
    {
        using var client = console.CreateClient();
        var body = await client.GetFromJsonAsync<JsonElement>("/api/incidents" + query);
        return body.GetProperty("incidents").EnumerateArray().ToList();
    }

    private async Task<T> QueryAsync<T>(Func<ConsoleDbContext, Task<T>> query)
    {
        var contexts = console.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    [Fact]
    public async Task LinkCut_IsOneIncident_WithDc2CutOffAsConsequences_NeverDown_AndAfterTheHealTheStoreSaysUp()
    {
        var estate = await console.EstateAsync();
        var dc2 = estate.Datacenter("dc2").Components().Select(c => c.GetProperty("id").GetString()!).ToList();
        var before = (await IncidentsAsync("?state=all&days=1")).Count;
        var cutAt = DateTimeOffset.UtcNow;
        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();

        var link = await Eventually.Until(() => IncidentsAsync("?state=open"),
            open => open.Any(i => i.GetProperty("kind").GetString() == "InterDatacenterLinkDown"), Detect, "the link incident");
        var incident = Assert.Single(link);
        var id = incident.GetProperty("id").GetInt64();
        // dc2 cut off: each component is a consequence, Unreachable, once the console has taken them all as unknown.
        incident = await Eventually.Until(async () => (await IncidentsAsync("?state=open")).Single(i => i.GetProperty("id").GetInt64() == id),
            i => i.GetProperty("consequences").GetArrayLength() >= dc2.Count, Detect, "dc2's components as the link incident's consequences");
        Assert.All(incident.GetProperty("consequences").EnumerateArray(), c =>
            Assert.Equal(("dc2", "Unreachable"), (c.GetProperty("datacenterId").GetString(), c.GetProperty("state").GetString())));

        (await console.FaultAsync("link", "up")).EnsureSuccessStatusCode();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component up after the heal");
        // Once the live view says Up, the store does too: the newest stored row of every dc2 component says Up.
        var history = console.Services.GetRequiredService<ComponentHistory>();
        await Eventually.Until(async () => (await history.LastSeenAsync("dc2", dc2, CancellationToken.None)).Values.All(s => s == "Up"),
            TimeSpan.FromSeconds(5), "the store's last state of every dc2 component Up, as the live view says");
        var rows = await QueryAsync(db => db.ComponentStateChanges.Where(c => c.DatacenterId == "dc2" || c.DatacenterId == "estate").OrderBy(c => c.Id).ToListAsync());
        var downRows = rows.Count(c => c.DatacenterId == "dc2" && c.ComponentId != "datacenter" && c.ToState == "Down" && c.At >= cutAt);
        Assert.True(downRows == 0, string.Join("\n", rows.Select(r => $"{r.Id} {r.At:HH:mm:ss.fff} {r.DatacenterId}/{r.ComponentId} {r.FromState}>{r.ToState} {r.Reason}")));

        var all = await Eventually.Until(() => IncidentsAsync("?state=all&days=1"), l => l.All(i => !i.GetProperty("open").GetBoolean()), Detect,
            "the link incident closed");
        Assert.Equal(before + 1, all.Count);
    }

    [Fact]
    public async Task DatacenterDown_IsOneDatacenterDownIncident_ClosedOnTheHeal_AndExportsWithNotesAndAcknowledgement()
    {
        var dc2 = (await console.EstateAsync()).Datacenter("dc2").Components().Count();
        var before = (await IncidentsAsync("?state=all&days=1")).Count;
        (await console.FaultAsync("dc2", "down")).EnsureSuccessStatusCode();
        var open = await Eventually.Until(() => IncidentsAsync("?state=open"),
            l => l.Any(i => i.GetProperty("key").GetString() == "DatacenterDown:dc2"), Detect, "the dc2 down incident");
        var incident = Assert.Single(open);
        var id = incident.GetProperty("id").GetInt64();

        using var client = console.CreateClient();
        var note = await client.PostAsJsonAsync($"/api/incidents/{id}/notes", new { text = "dc2 power feed | lost" });
        note.EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"/api/incidents/{id}/notes", new { text = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/incidents/999999/notes", new { text = "x" })).StatusCode);
        (await client.PostAsync($"/api/incidents/{id}/ack", null)).EnsureSuccessStatusCode();
        var again = await client.PostAsync($"/api/incidents/{id}/ack", null);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already", await again.Content.ReadAsStringAsync());

        await console.HealAsync();
        var closed = await Eventually.Until(() => IncidentsAsync("?state=all&days=1"),
            l => l.Any(i => i.GetProperty("id").GetInt64() == id && !i.GetProperty("open").GetBoolean()), Settle, "the dc2 incident closed");
        Assert.True(before + 1 == closed.Count, string.Join("\n", closed.Select(i => i.ToString())));

        var json = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{id}/export?format=json");
        Assert.Equal("DatacenterDown", json.GetProperty("incident").GetProperty("kind").GetString());
        Assert.True(json.GetProperty("incident").GetProperty("consequences").GetArrayLength() >= dc2,
            $"dc2's components as consequences: {json.GetProperty("incident").GetProperty("consequences")}");
        Assert.All(json.GetProperty("incident").GetProperty("consequences").EnumerateArray(), c => Assert.NotEqual(JsonValueKind.Null, c.GetProperty("until").ValueKind));
        // Both under the caller's name.
        var author = json.GetProperty("notes")[0].GetProperty("author").GetString();
        Assert.False(string.IsNullOrEmpty(author));
        Assert.Equal(author, json.GetProperty("incident").GetProperty("acknowledgedBy").GetString());
        var timeline = json.GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(timeline, e => e.GetProperty("source").GetString() == "state" && e.GetProperty("subject").GetString() == "dc2/datacenter");
        // The guardrail's turn to Block while dc2 was down is on the timeline.
        Assert.Contains(timeline, e => e.GetProperty("source").GetString() == "guardrail" && e.GetProperty("text").GetString()!.StartsWith("Block", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.GetProperty("text").GetString()!.StartsWith("incident.note-added", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.GetProperty("text").GetString()!.StartsWith("incident.acknowledged", StringComparison.Ordinal));

        var md = await client.GetStringAsync($"/api/incidents/{id}/export?format=md");
        Assert.Contains($"# Incident {id}: ", md);
        Assert.Contains("| dc2/anm | AdminNodeManager | Down |", md);
        Assert.Contains("dc2 power feed \\| lost", md);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/incidents/{id}/export?format=pdf")).StatusCode);
    }
}
