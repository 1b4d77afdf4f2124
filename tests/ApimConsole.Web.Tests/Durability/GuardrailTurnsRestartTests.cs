using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Guardrails;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>
/// Issue #18: an incident's timeline holds every guardrail turn while it lasted, in records that hold up in a
/// post-mortem. The guardrail's memory starts afresh with each console; its turns are stored, so the timeline and its
/// export say the same after a restart on the same data folder.
/// </summary>
public sealed class GuardrailTurnsRestartTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _folder = ConsoleDataFolder.Create("apimconsole-turns-restart-");

    public void Dispose() => ConsoleDataFolder.Remove(_folder);

    private Dictionary<string, string?> Settings => new() { ["Storage:SqlitePath"] = Path.Combine(_folder, "console.db") };

    [Fact]
    public async Task IncidentTimeline_KeepsTheGuardrailTurnsOfTheConsoleBeforeTheRestart()
    {
        long incidentId;
        IReadOnlyList<GuardrailTransition> firstTurns;
        await using (var first = new ConsoleTestHost(Settings))
        {
            using var client = first.CreateClient();
            var guardrail = first.Services.GetRequiredService<GuardrailService>();
            var contexts = first.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
            firstTurns = guardrail.History;
            Assert.NotEmpty(firstTurns);
            // An outage open since before this console started, so the console's whole life lies inside it.
            await using (var db = await contexts.CreateDbContextAsync())
            {
                var incident = new Incident
                {
                    Key = "DatacenterDown:dc2", Kind = "DatacenterDown", DatacenterId = "dc2", Title = "dc2 down", Severity = "Critical",
                    StartedAt = firstTurns[0].At.AddMinutes(-5),
                };
                db.Incidents.Add(incident);
                await db.SaveChangesAsync();
                incidentId = incident.Id;
            }
            // Before the restart the timeline has them from memory or the store, each once (and any turn made since).
            var before = GuardrailLines(await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/export?format=json"));
            Assert.Equal(Expected(firstTurns), before.Take(firstTurns.Count));
            Assert.Equal(before.Distinct().Count(), before.Count);
            var store = first.Services.GetRequiredService<GuardrailTurnStore>();
            await Eventually.Until(() => store.DuringAsync(firstTurns[0].At, firstTurns[^1].At, 1000, CancellationToken.None),
                s => s.Count >= firstTurns.Count, Wait, "the first console's turns to be stored");
        }

        await using var second = new ConsoleTestHost(Settings);
        using var restarted = second.CreateClient();
        var secondTurns = second.Services.GetRequiredService<GuardrailService>().History;
        // The new console's memory starts at its own start: the turns before it are known from the store only.
        Assert.DoesNotContain(secondTurns, t => t.At <= firstTurns[^1].At);

        var json = await restarted.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/export?format=json");
        var lines = GuardrailLines(json);
        Assert.Equal(Expected(firstTurns), lines.Take(firstTurns.Count));
        Assert.Equal(lines.Distinct().Count(), lines.Count);
        Assert.Superset(Expected(secondTurns).ToHashSet(), lines.ToHashSet());
        Assert.False(json.GetProperty("timelineTruncated").GetBoolean());

        var markdown = await restarted.GetStringAsync($"/api/incidents/{incidentId}/export?format=md");
        Assert.Equal(lines.Count, markdown.Split('\n').Count(l => l.Contains("| guardrail |", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task History_WithARange_ServesTheStoredTurnsOfTheConsoleBeforeTheRestart_WithoutOne_ThisConsolesMemory()
    {
        IReadOnlyList<GuardrailTransition> firstTurns;
        await using (var first = new ConsoleTestHost(Settings))
        {
            firstTurns = first.Services.GetRequiredService<GuardrailService>().History;
            Assert.NotEmpty(firstTurns);
            var store = first.Services.GetRequiredService<GuardrailTurnStore>();
            await Eventually.Until(() => store.DuringAsync(firstTurns[0].At, firstTurns[^1].At, 1000, CancellationToken.None),
                s => s.Count >= firstTurns.Count, Wait, "the first console's turns to be stored");
        }

        await using var second = new ConsoleTestHost(Settings);
        using var client = second.CreateClient();
        var memory = await client.GetFromJsonAsync<JsonElement>("/api/guardrails/history");
        Assert.Equal("memory", memory.GetProperty("source").GetString());
        var since = Turns(memory);
        Assert.NotEmpty(since);
        Assert.DoesNotContain(since, t => t.At <= firstTurns[^1].At);

        var from = Uri.EscapeDataString(firstTurns[0].At.AddSeconds(-1).ToString("O"));
        var ranged = await client.GetFromJsonAsync<JsonElement>($"/api/guardrails/history?from={from}");
        Assert.Equal("store", ranged.GetProperty("source").GetString());
        Assert.False(ranged.GetProperty("truncated").GetBoolean());
        var all = Turns(ranged);
        // The first console's turns first, in order, then this console's, each once.
        Assert.Equal(firstTurns.Select(Line), all.Take(firstTurns.Count));
        Assert.Equal(all.Distinct().Count(), all.Count);
        Assert.Superset(since.ToHashSet(), all.ToHashSet());
        Assert.Equal(all.OrderBy(t => t.At).ToList(), all);

        // A limit cuts the oldest-first list and says so.
        var cut = await client.GetFromJsonAsync<JsonElement>($"/api/guardrails/history?from={from}&limit=2");
        Assert.True(cut.GetProperty("truncated").GetBoolean());
        Assert.Equal(all.Take(2), Turns(cut));

        // A range before everything holds nothing.
        var empty = await client.GetFromJsonAsync<JsonElement>("/api/guardrails/history?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z");
        Assert.Empty(Turns(empty));
    }

    [Theory]
    [InlineData("from=yesterday", "from 'yesterday' is not a date and time")]
    [InlineData("from=2026-12-06T10:00:00Z&to=2026-12-06T09:00:00Z", "is after to")]
    [InlineData("from=2026-12-06T10:00:00Z&limit=0", "limit '0' is not a whole number from 1 to 10000")]
    [InlineData("from=2026-12-06T10:00:00Z&limit=lots", "limit 'lots' is not a whole number")]
    [InlineData("limit=5", "limit applies to a range read from the store")]
    [InlineData("since=2026-12-06T10:00:00Z", "'since' is not a parameter of the guardrail's history")]
    [InlineData("from=2026-12-06T10:00:00Z&from=2026-12-06T11:00:00Z", "from is given 2 times")]
    public async Task History_RefusesAQueryItCannotRead_NamingWhy(string query, string expected)
    {
        await using var host = new ConsoleTestHost(Settings);
        using var client = host.CreateClient();
        using var response = await client.GetAsync("/api/guardrails/history?" + query);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static (DateTimeOffset At, string Kind, string? Datacenter, string Decision) Line(GuardrailTransition t) =>
        (t.At, $"{t.Kind}", t.DatacenterId, $"{t.Decision}");

    private static List<(DateTimeOffset At, string Kind, string? Datacenter, string Decision)> Turns(JsonElement history) =>
        history.GetProperty("transitions").EnumerateArray().Select(t => (t.GetProperty("at").GetDateTimeOffset(), t.GetProperty("kind").GetString()!,
            t.GetProperty("datacenterId").ValueKind == JsonValueKind.Null ? null : t.GetProperty("datacenterId").GetString(),
            t.GetProperty("decision").GetString()!)).ToList();

    private static List<(DateTimeOffset, string, string)> Expected(IEnumerable<GuardrailTransition> turns) =>
        turns.Select(t => (t.At, t.DatacenterId is null ? $"{t.Kind}" : $"{t.Kind} in {t.DatacenterId}", $"{t.Decision}")).ToList();

    private static List<(DateTimeOffset, string, string)> GuardrailLines(JsonElement export) =>
        export.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("source").GetString() == "guardrail")
            .Select(e => (e.GetProperty("at").GetDateTimeOffset(), e.GetProperty("subject").GetString()!, e.GetProperty("text").GetString()!)).ToList();
}
