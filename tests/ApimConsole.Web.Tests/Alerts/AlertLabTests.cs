using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Core.Alerts;
using ApimConsole.Web.Tests.Live;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>End to end: a lab fault, seen by the real console, reaches a real HTTP receiver once per outage, and its end once.</summary>
public sealed class AlertLabTests(LabConsoleFactory console) : IClassFixture<LabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(20);
    private const string Key = "scenario:GatewayInstanceDown:dc2/instance-2";

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component of both DCs up");
        // And the guardrail allows both kinds: a Block or Warn still held from start-up (on a busy machine the console
        // can take longer than the hold-down to judge everything) is an alert already open under the same key, and a
        // test's own fault would only continue it.
        using var client = console.CreateClient();
        await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/guardrails"),
            g => g.GetProperty("changes").EnumerateArray().All(c => c.GetProperty("decision").GetString() == "Allow"), Settle,
            "the guardrail to allow both kinds on the all-up lab", every: TimeSpan.FromMilliseconds(100), describe: g => g.ToString());
    }

    public Task DisposeAsync() => console.HealAsync();

    [Fact]
    public async Task InstanceDown_ReachesTheReceiverOnce_AndItsEndOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = console.CreateClient();
        var channel = await (await client.PostAsJsonAsync("/api/alerts/channels", new { name = "lab hook", type = "Webhook", target = receiver.Url, secret = "lab-secret" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var rule = await (await client.PostAsJsonAsync("/api/alerts/rules", new { matcher = "kind=scenario dc=dc2", channelId = channel.GetProperty("id").GetInt64() }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();

        (await console.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();
        await Eventually.Until(() => Messages(receiver).Any(m => m.Phase == "opened"), Detect, $"the receiver gets {Key} opened");
        (await console.FaultAsync("dc2/instance-2", "up")).EnsureSuccessStatusCode();
        await Eventually.Until(() => Messages(receiver).Any(m => m.Phase == "resolved"), Detect, $"the receiver gets {Key} resolved");

        // The API says both were delivered, and nothing else is on its way for this alert.
        var alert = await Eventually.Until(async () => (await client.GetFromJsonAsync<JsonElement>("/api/alerts")).GetProperty("alerts").EnumerateArray()
                .First(a => a.GetProperty("key").GetString() == Key),
            a => a.GetProperty("deliveries").EnumerateArray().All(d => d.GetProperty("state").GetString() == "Sent"), Detect, "both deliveries marked sent");
        Assert.Equal(2, alert.GetProperty("deliveries").GetArrayLength());
        var messages = Messages(receiver);
        Assert.Equal(["opened", "resolved"], messages.Select(m => m.Phase));
        Assert.Single(messages.Select(m => m.AlertId).Distinct());
        Assert.Equal(alert.GetProperty("id").GetInt64(), messages[0].AlertId);
        Assert.All(receiver.Received, r => Assert.True(r.SignedWith("lab-secret")));
        Assert.Equal(2, receiver.Received.Select(r => r.Header(WebhookSignature.IdempotencyHeader)).Distinct().Count());

        // The receiver stops with this test; the console (shared with the other tests here) stops routing to it, or
        // their faults would be sent to a dead address.
        (await client.DeleteAsync($"/api/alerts/rules/{rule.GetProperty("id").GetInt64()}")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task TheStartUpBlock_IsNoAlert_ButABlockThatHolds_Is()
    {
        using var client = console.CreateClient();
        async Task<List<JsonElement>> GuardrailAlertsAsync() =>
            (await client.GetFromJsonAsync<JsonElement>("/api/alerts?state=all&count=500")).GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString()!.StartsWith("guardrail:", StringComparison.Ordinal)).ToList();

        // The console has judged the whole estate (InitializeAsync). Its guardrail blocked at start-up, before any probe:
        // that was the console knowing nothing, shorter than the hold-down, and must not page anyone (it once did).
        Assert.DoesNotContain(await GuardrailAlertsAsync(), a => a.GetProperty("text").GetString()!.Contains("not probed yet", StringComparison.OrdinalIgnoreCase));

        // dc2 down: the guardrail blocks and keeps blocking past the hold-down (10 s): that is an alert.
        (await console.FaultAsync("dc2", "down")).EnsureSuccessStatusCode();
        await Eventually.Until(GuardrailAlertsAsync, alerts => alerts.Any(a => a.GetProperty("severity").GetString() == "Critical"
                && a.GetProperty("text").GetString()!.Contains("dc2", StringComparison.OrdinalIgnoreCase)),
            TimeSpan.FromSeconds(40), "a critical guardrail alert naming dc2 once the Block held",
            describe: alerts => $"{alerts.Count} guardrail alert(s): " + string.Join(" | ", alerts.Select(a => a.ToString())));
    }

    private static List<(string Phase, long AlertId)> Messages(WebhookReceiver receiver) =>
        receiver.Received.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Where(b => b.GetProperty("alert").GetProperty("key").GetString() == Key)
            .Select(b => (b.GetProperty("phase").GetString()!, b.GetProperty("alert").GetProperty("id").GetInt64())).ToList();
}
