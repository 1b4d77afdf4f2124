using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Audit;

/// <summary>Issue #18: <c>GET /api/audit</c> filters, pages and exports the audit trail; a value it cannot read is a 400 naming it.</summary>
public sealed class AuditApiTests(AuditApiTests.Host host) : IClassFixture<AuditApiTests.Host>
{
    /// <summary>One console for the class: each test seeds its own entries under a marker of its own.</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ConsoleTestHost Console { get; } = new();

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync() => await Console.DisposeAsync();
    }

    private readonly ConsoleTestHost console = host.Console;

    /// <summary>Entries of this test only: each test seeds its own under a fresh marker in the details and filters by it.</summary>
    private async Task<string> SeedAsync()
    {
        var marker = "m" + Guid.NewGuid().ToString("N")[..10];
        var audit = console.Services.GetRequiredService<AuditLog>();
        await audit.RecordAsync(AuditActor.User("alice-" + marker), "deployment.override", "group-2 (Internal)", $"{marker} Reason: dc2 down", CancellationToken.None);
        await audit.RecordAsync(AuditActor.User("alice-" + marker), "repair.marked-done", "dc2/cassandra-1", $"{marker} repaired", CancellationToken.None);
        await audit.RecordAsync(AuditActor.Token("pipe-" + marker), "runbook.restart", "dc1/instance-2", $"{marker} restarted", CancellationToken.None);
        await audit.RecordAsync(AuditActor.System, "deployment.finished", "deployment 7", $"{marker} Succeeded", CancellationToken.None);
        return marker;
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var client = console.CreateClient();
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<List<string>> ActionsAsync(string path) =>
        (await GetAsync(path)).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()!).ToList();

    [Fact]
    public async Task EachFilter_Narrows_AndFiltersCombineAsAnd()
    {
        var m = await SeedAsync();
        Assert.Equal(["deployment.finished", "runbook.restart", "repair.marked-done", "deployment.override"], await ActionsAsync($"/api/audit?q={m}"));
        Assert.Equal(["repair.marked-done", "deployment.override"], await ActionsAsync($"/api/audit?q={m}&actor=ALICE-{m}"));
        Assert.Equal(["runbook.restart"], await ActionsAsync($"/api/audit?q={m}&kind=token"));
        Assert.Equal(["deployment.finished"], await ActionsAsync($"/api/audit?q={m}&kind=System"));
        Assert.Equal(["deployment.finished", "deployment.override"], await ActionsAsync($"/api/audit?q={m}&action=deployment."));
        Assert.Equal(["repair.marked-done"], await ActionsAsync($"/api/audit?q={m}&target=cassandra"));
        Assert.Equal(["runbook.restart"], await ActionsAsync($"/api/audit?q={m}&datacenter=dc1"));
        Assert.Equal(["repair.marked-done"], await ActionsAsync($"/api/audit?q={m}&datacenter=dc2"));
        Assert.Empty(await ActionsAsync($"/api/audit?q={m}&to=2000-01-01"));
        Assert.Equal(4, (await ActionsAsync($"/api/audit?q={m}&from=2000-01-01&to=2999-01-01")).Count);
        // Combined: every filter must hold.
        Assert.Equal(["deployment.override"], await ActionsAsync($"/api/audit?q={m}&actor=alice-{m}&action=deployment."));
        Assert.Empty(await ActionsAsync($"/api/audit?q={m}&actor=alice-{m}&kind=Token"));
        Assert.Empty(await ActionsAsync($"/api/audit?q={m}&datacenter=dc1&action=repair."));

        var entry = (await GetAsync($"/api/audit?q={m}&action=deployment.override")).GetProperty("entries")[0];
        Assert.True(entry.GetProperty("breakGlass").GetBoolean());
        Assert.Equal(("User", $"alice-{m}", "group-2 (Internal)"),
            (entry.GetProperty("actorKind").GetString(), entry.GetProperty("actor").GetString(), entry.GetProperty("target").GetString()));
        Assert.False((await GetAsync($"/api/audit?q={m}&kind=System")).GetProperty("entries")[0].GetProperty("breakGlass").GetBoolean());
    }

    [Fact]
    public async Task Pages_FollowTheNextAddress_UntilThereIsNone()
    {
        var m = await SeedAsync();
        var first = await GetAsync($"/api/audit?q={m}&limit=3");
        Assert.Equal(3, first.GetProperty("entries").GetArrayLength());
        var next = first.GetProperty("next").GetString()!;
        Assert.Contains($"q={m}", next);
        Assert.Contains("limit=3", next);
        var second = await GetAsync(next);
        Assert.Equal(["deployment.override"], second.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("from=2026-12-06T04:00:00Z&to=2026-12-06T03:00:00Z", "from (2026-12-06T04:00:00Z) is after to")]
    [InlineData("from=yesterday", "from 'yesterday' is not a date and time")]
    [InlineData("to=31/12/2026", "to '31/12/2026' is not a date and time")]
    [InlineData("kind=Robot", "kind 'Robot' is not an actor kind: use User, Token, System")]
    [InlineData("kind=1", "kind '1' is not an actor kind")]
    [InlineData("datacenter=dc9", "datacenter 'dc9' is not a datacenter of this estate: use dc1, dc2")]
    [InlineData("limit=0", "limit '0' is not a whole number from 1 to 1000")]
    [InlineData("limit=1001", "limit '1001' is not a whole number from 1 to 1000")]
    [InlineData("limit=-5", "limit '-5' is not a whole number")]
    [InlineData("limit=abc", "limit 'abc' is not a whole number")]
    [InlineData("before=abc", "before 'abc' is not an audit entry id")]
    [InlineData("before=0", "before '0' is not an audit entry id")]
    [InlineData("before=999999999", "there is no audit entry 999999999")]
    [InlineData("format=xml", "format 'xml' is not known: use 'json' (the default) or 'csv'")]
    [InlineData("format=csv&limit=10", "limit does not apply to the CSV export")]
    [InlineData("actr=alice", "'actr' is not a parameter of the audit trail")]
    [InlineData("actor=a&actor=b", "actor is given 2 times")]
    public async Task BadValue_Is400_NamingTheParameter(string query, string reason)
    {
        using var client = console.CreateClient();
        using var response = await client.GetAsync("/api/audit?" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TooLongATextFilter_Is400()
    {
        using var client = console.CreateClient();
        using var response = await client.GetAsync("/api/audit?target=" + new string('x', 401));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("target is longer than 400 characters", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Csv_IsEscaped_AndFormulaSafe_AndHoldsOnlyTheFilteredEntries()
    {
        var m = "m" + Guid.NewGuid().ToString("N")[..10];
        var audit = console.Services.GetRequiredService<AuditLog>();
        await audit.RecordAsync(AuditActor.User("=HYPERLINK(\"http://evil\")"), "signin.failed", "+cmd|' /C calc'!A0", $"{m} -2+3", CancellationToken.None);
        await audit.RecordAsync(AuditActor.User("bob"), "user.created", "@SUM(A1:A2)", $"{m} said \"hi\", then\nleft", CancellationToken.None);
        await audit.RecordAsync(AuditActor.User("bob"), "user.created", "other", "not this test's", CancellationToken.None);

        using var client = console.CreateClient();
        using var response = await client.GetAsync($"/api/audit?q={m}&format=csv");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var lines = body.Split("\r\n");
        Assert.Equal(["id,at,actorKind,actor,action,target,details,breakGlass", "", ""], [lines[0], "", lines[^1]]);
        Assert.Equal(4, lines.Length);
        // Newest first: bob's line, then the formula one. The stored newline is the two characters \n (AuditText).
        Assert.EndsWith(",User,bob,user.created,'@SUM(A1:A2),\"" + m + " said \"\"hi\"\", then\\nleft\",false", lines[1]);
        Assert.EndsWith(",User,\"'=HYPERLINK(\"\"http://evil\"\")\",signin.failed,'+cmd|' /C calc'!A0," + m + " -2+3,false", lines[2]);
        Assert.DoesNotContain("other", body);
    }

    [Fact]
    public async Task Support_MayRead_TheAuditTrail()
    {
        var (_, secret) = await console.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync("support-reader-" + Guid.NewGuid().ToString("N")[..6], ConsoleRoles.Support, ApiTokenKind.Api, "admin", CancellationToken.None);
        using var client = console.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        using var response = await client.GetAsync("/api/audit?kind=User&limit=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entries").GetArrayLength() > 0);
    }
}
