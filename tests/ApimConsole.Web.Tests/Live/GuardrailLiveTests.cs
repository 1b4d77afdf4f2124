using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// The guardrail against the embedded lab, read through <c>GET /api/guardrails</c> as a deployment tool would.
/// One console for the class: each test heals the lab and waits for the all-up estate and an allowing guardrail first.
/// </summary>
public sealed class GuardrailLiveTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    // Detection takes a few probe intervals (750 ms each, 4 failures to fall); the margin is for a loaded test machine.
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
        await WaitForGuardrailsAsync(g => Decision(g, "GatewayConfiguration") == "Allow" && Decision(g, "KpsTableStructure") == "Allow",
            Settle, "both kinds allowed");
    }

    public Task DisposeAsync() => console.HealAsync();

    private static string Decision(JsonElement guardrails, string kind) => Change(guardrails, kind).GetProperty("decision").GetString()!;

    private static JsonElement Change(JsonElement guardrails, string kind) =>
        guardrails.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("kind").GetString() == kind);

    private static List<string> Reasons(JsonElement guardrails, string kind) =>
        Change(guardrails, kind).GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToList();

    private async Task<JsonElement> GuardrailsAsync(string query = "")
    {
        using var client = console.CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/api/guardrails" + query);
    }

    private async Task<JsonElement> WaitForGuardrailsAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what, string query = "")
    {
        return await Eventually.Until(() => GuardrailsAsync(query), condition, timeout, $"{what} (/api/guardrails{query})",
            every: TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task AllUp_AllowsBothKinds_InTheIssuesShape()
    {
        var guardrails = await GuardrailsAsync();

        Assert.True(guardrails.GetProperty("asOf").TryGetDateTimeOffset(out _));
        var kinds = guardrails.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["GatewayConfiguration", "KpsTableStructure"], kinds);
        foreach (var kind in kinds)
        {
            Assert.Equal("Allow", Decision(guardrails, kind!));
            Assert.Empty(Reasons(guardrails, kind!));
        }
        Assert.Equal(["dc1", "dc2"], guardrails.GetProperty("datacenters").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task LinkDown_BlocksBoth_NamingTheLink_ThenHealAllowsAgain()
    {
        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();

        // Blocked from the moment dc2 is unreachable; the link is named once the load balancer's view is fresh
        // enough to tell a cut link from dc2 down (its health-check lag after the console lost dc2).
        static bool NamesLink(JsonElement g, string kind) => Reasons(g, kind).Any(r => r.Contains("Inter-DC link down", StringComparison.Ordinal));
        var blocked = await WaitForGuardrailsAsync(g => Decision(g, "GatewayConfiguration") == "Block" && Decision(g, "KpsTableStructure") == "Block"
                && NamesLink(g, "GatewayConfiguration") && NamesLink(g, "KpsTableStructure"),
            Detect, "both kinds blocked while the link is down, naming the link");
        Assert.Contains(Reasons(blocked, "KpsTableStructure"), r => r.Contains("Inter-DC link down", StringComparison.Ordinal));
        // Deploying only to the console's own DC is blocked all the same: the other side would not get it.
        var dc1Only = await GuardrailsAsync("?datacenters=dc1");
        Assert.Equal("Block", Decision(dc1Only, "GatewayConfiguration"));

        await console.HealAsync();

        await WaitForGuardrailsAsync(g => Decision(g, "GatewayConfiguration") == "Allow" && Decision(g, "KpsTableStructure") == "Allow",
            Settle, "both kinds allowed again once the link is back");
    }

    [Fact]
    public async Task OneGatewayInstanceDown_Warns_NamingIt_OnlyWhereTheChangeGoes()
    {
        (await console.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();

        var warned = await WaitForGuardrailsAsync(g => Decision(g, "GatewayConfiguration") == "Warn" && Decision(g, "KpsTableStructure") == "Warn",
            Detect, "both kinds warn while dc2/instance-2 is down");
        Assert.Contains(Reasons(warned, "GatewayConfiguration"), r => r.Contains("dc2/instance-2", StringComparison.Ordinal));

        // A change for dc1 alone does not go to the instance that is down.
        var dc1Only = await GuardrailsAsync("?datacenters=dc1");
        Assert.Equal("Allow", Decision(dc1Only, "GatewayConfiguration"));
        Assert.Equal(["dc1"], dc1Only.GetProperty("datacenters").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task UnknownDatacenter_Is400_NamingIt()
    {
        using var client = console.CreateClient();

        using var response = await client.GetAsync("/api/guardrails?datacenters=dc1,dc9");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("'dc9'", body);
        Assert.Contains("dc1, dc2", body);

        using var empty = await client.GetAsync("/api/guardrails?datacenters=");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }
}
