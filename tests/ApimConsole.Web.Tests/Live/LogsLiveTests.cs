using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// The Logs API against the console with its embedded lab: the lab's gateways write trace files, each DC's lab log
/// server serves them over HTTP, and the console tails both into its buffer and searches them. One console for the
/// class; each test heals the lab first.
/// </summary>
public sealed class LogsLiveTests(LogsLabConsole console) : IClassFixture<LogsLabConsole>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(45);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await WaitForAsync("/api/logs/status", s => Dc(s, "dc1").GetProperty("reachable").GetBoolean() && Dc(s, "dc2").GetProperty("reachable").GetBoolean(),
            "both DCs' log sources reachable");
    }

    public Task DisposeAsync() => console.HealAsync();

    [Fact]
    public async Task Tail_ATransactionTheLabsGatewaysServed_ShowsUpInItsDatacentersLines()
    {
        var (dc, correlationId) = await RecentTransactionAsync();

        var lines = await WaitForAsync($"/api/logs/{dc}?correlationId={correlationId}",
            l => l.GetProperty("records").GetArrayLength() > 0, $"transaction {correlationId}'s lines in {dc}'s tail");

        foreach (var record in lines.GetProperty("records").EnumerateArray())
            Assert.Equal(correlationId, record.GetProperty("correlationId").GetString());
        Assert.Equal("UTC", lines.GetProperty("zone").GetString());
        // How far back the buffer holds this datacenter's lines comes with them, in the shape the other console reads back.
        var held = ApimConsole.Web.Logs.TraceHeldSpanJson.Parse(System.Text.Json.Nodes.JsonNode.Parse(lines.GetProperty("held").GetRawText()), dc);
        Assert.NotNull(held);
        Assert.True(held.Capacity >= 1000, $"capacity {held.Capacity}");
        // The other DC's lines are not mixed in.
        var other = dc == "dc1" ? "dc2" : "dc1";
        using var client = console.CreateClient();
        var none = await client.GetFromJsonAsync<JsonElement>($"/api/logs/{other}?correlationId={correlationId}");
        Assert.Equal(0, none.GetProperty("records").GetArrayLength());

        var download = await client.GetStringAsync($"/api/logs/{dc}/download?correlationId={correlationId}");
        Assert.Contains(correlationId, download.Split('\n')[1]);
    }

    [Fact]
    public async Task Search_FindsATransactionFromTheTrafficView_InItsDatacentersFiles()
    {
        var (dc, correlationId) = await RecentTransactionAsync();
        using var client = console.CreateClient();

        // Hits reach the files once the lab's writer flushed them: search until it finds them.
        var text = await Eventually.Until(
            () => client.GetStringAsync($"/api/logs/{dc}/download?source=search&correlationId=Id-{correlationId}%200"),
            t => t.Split('\n').Any(l => l.Contains(correlationId, StringComparison.Ordinal) && !l.StartsWith('#')), Settle,
            $"the search to find {correlationId} in the files", every: TimeSpan.FromMilliseconds(200));
        var hits = text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Contains($":{correlationId}]", h));
        Assert.Contains("# end of search:", text);
    }

    [Fact]
    public async Task LinkDown_TheOtherDatacentersLogsAreUnreachableSinceThen_WhileOursKeepFlowing_AndItRecoversByItself()
    {
        var before = DateTimeOffset.UtcNow;
        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();

        var status = await WaitForAsync("/api/logs/status", s => !Dc(s, "dc2").GetProperty("reachable").GetBoolean(), "dc2's logs unreachable");
        var dc2 = Dc(status, "dc2");
        var since = dc2.GetProperty("unreachableSince").GetDateTimeOffset();
        Assert.InRange(since, before - TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow);
        Assert.False(string.IsNullOrEmpty(dc2.GetProperty("error").GetString()));
        Assert.True(Dc(status, "dc1").GetProperty("reachable").GetBoolean());

        // dc1's lines keep coming while dc2 is cut off.
        using var client = console.CreateClient();
        var cursor = (await client.GetFromJsonAsync<JsonElement>("/api/logs/dc1?max=1")).GetProperty("lastSequence").GetInt64();
        await WaitForAsync($"/api/logs/dc1?after={cursor}", l => l.GetProperty("records").GetArrayLength() > 0, "new dc1 lines during the partition");
        // The outage keeps its start while it lasts.
        status = await client.GetFromJsonAsync<JsonElement>("/api/logs/status");
        Assert.Equal(since, Dc(status, "dc2").GetProperty("unreachableSince").GetDateTimeOffset());

        await console.HealAsync();
        status = await WaitForAsync("/api/logs/status", s => Dc(s, "dc2").GetProperty("reachable").GetBoolean(), "dc2's logs reachable again");
        Assert.Equal(JsonValueKind.Null, Dc(status, "dc2").GetProperty("unreachableSince").ValueKind);
    }

    [Fact]
    public async Task BadQueries_Get400NamingTheParameter_UnknownDatacenter404_AndADatacenterNotAllowed403()
    {
        using var client = console.CreateClient();
        var bad = await client.GetAsync("/api/logs/dc1?after=-1&max=0&level=LOUD&correlationId=xyz&from=soon");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        foreach (var name in new[] { "after", "max", "level", "correlationId", "from" })
            Assert.Contains(errors, e => e.StartsWith(name, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/logs/dc1/download?source=tape")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/logs/dc9")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/logs/dc9/download")).StatusCode);

        // A signed-in Support user limited to dc1 may not read dc2, and is told only about dc1.
        var user = $"support-dc1-{Guid.NewGuid():N}"[..20];
        await SecurityClients.CreateUserAsync(console, user, "Support-Password-1", ConsoleRoles.Support, "dc1");
        using var limited = await SecurityClients.SignedInAsync(console, user, "Support-Password-1");
        Assert.Equal(HttpStatusCode.Forbidden, (await limited.GetAsync("/api/logs/dc2")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await limited.GetAsync("/api/logs/dc2/download")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await limited.GetAsync("/api/logs/dc1")).StatusCode);
        var status = await limited.GetFromJsonAsync<JsonElement>("/api/logs/status");
        Assert.Equal(["dc1"], status.GetProperty("datacenters").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
    }

    /// <summary>A transaction the traffic collector read, at least a few seconds old (its trace lines are flushed by then).</summary>
    private async Task<(string Dc, string CorrelationId)> RecentTransactionAsync()
    {
        var found = await WaitForAsync("/api/traffic/transactions?limit=50", t => t.GetProperty("count").GetInt32() > 0, "a transaction in the traffic view");
        var transaction = found.GetProperty("transactions")[0];
        return (transaction.GetProperty("datacenterId").GetString()!, transaction.GetProperty("correlationId").GetString()!);
    }

    private async Task<JsonElement> WaitForAsync(string url, Func<JsonElement, bool> condition, string what)
    {
        using var client = console.CreateClient();
        return await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>(url), condition, Settle, $"{what} ({url})",
            every: TimeSpan.FromMilliseconds(200));
    }

    private static JsonElement Dc(JsonElement status, string id) =>
        status.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);
}

/// <summary>The lab console with traffic read every second.</summary>
public sealed class LogsLabConsole : LabConsoleFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Traffic:PollInterval", "00:00:01");
    }
}
