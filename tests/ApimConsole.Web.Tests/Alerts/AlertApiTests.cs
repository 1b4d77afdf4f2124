using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Core.Alerts;
using ApimConsole.Web.Alerts;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>The alert API of the real console host: bad input changes nothing, secrets never come back, acknowledgements are audited.</summary>
public sealed class AlertApiTests(AlertApiTests.Host host) : IClassFixture<AlertApiTests.Host>
{
    /// <summary>One console (lab off) for the class.</summary>
    public sealed class Host : IAsyncDisposable
    {
        public ConsoleTestHost Console { get; } = new();

        public ValueTask DisposeAsync() => Console.DisposeAsync();
    }

    private ConsoleTestHost console => host.Console;

    private async Task<string> SettingsAsync(HttpClient client) =>
        await client.GetStringAsync("/api/alerts/channels") + await client.GetStringAsync("/api/alerts/rules") + await client.GetStringAsync("/api/alerts/silences");

    private static async Task<string> AuditAsync(HttpClient client) => await client.GetStringAsync("/api/audit?action=alerts");

    private static string Soon => DateTimeOffset.UtcNow.AddHours(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string, string, string> BadInputs => new()
    {
        { "/api/alerts/channels", """{ "name": "hook", "type": "Webhook", "target": "not a url" }""", "is not a webhook URL" },
        { "/api/alerts/channels", """{ "name": "hook", "type": "Webhook", "target": "ftp://files.example/x" }""", "is not a webhook URL" },
        { "/api/alerts/channels", """{ "name": "hook", "type": "Slack", "target": "https://user:pw@hooks.example/x" }""", "carries a user name or password" },
        { "/api/alerts/channels", """{ "name": "", "type": "Webhook", "target": "https://hooks.example/x" }""", "needs a name" },
        { "/api/alerts/channels", """{ "name": "hook", "type": "Pager", "target": "https://hooks.example/x" }""", "The body must be JSON" },
        { "/api/alerts/channels", """{ "name": "hook", "type": "Webhook", "target": "https://hooks.example/x", "timeoutSeconds": 0 }""", "timeout of 0 s" },
        { "/api/alerts/channels", """{ "name": "mail", "type": "Email", "target": "oncall@example.test", "smtpHost": "smtp.example.test", "smtpPort": 0, "smtpFrom": "c@example.test" }""", "SMTP port '0'" },
        { "/api/alerts/channels", """{ "name": "mail", "type": "Email", "target": "oncall@example.test", "smtpHost": "smtp.example.test", "smtpPort": 70000, "smtpFrom": "c@example.test" }""", "SMTP port '70000'" },
        { "/api/alerts/channels", """{ "name": "mail", "type": "Email", "target": "oncall@example.test", "smtpPort": 587, "smtpFrom": "c@example.test" }""", "is not an SMTP host" },
        { "/api/alerts/channels", """{ "name": "mail", "type": "Email", "target": "nobody", "smtpHost": "smtp.example.test", "smtpPort": 587, "smtpFrom": "c@example.test" }""", "'nobody' is not an email address" },
        { "/api/alerts/channels", """{ "name": "mail", "type": "Email", "target": "oncall@example.test", "smtpHost": "smtp.example.test", "smtpPort": 587, "smtpFrom": "c@example.test", "smtpUser": "u" }""", "needs its password" },
        { "/api/alerts/channels", "not json", "The body must be JSON" },
        { "/api/alerts/rules", """{ "matcher": "colour=red", "channelId": 1 }""", "unknown field 'colour'" },
        { "/api/alerts/rules", """{ "matcher": "severity>=loud", "channelId": 1 }""", "'loud' is not a severity" },
        { "/api/alerts/silences", """{ "matcher": "colour=red", "until": "2099-01-01T00:00:00Z", "comment": "x" }""", "unknown field 'colour'" },
        { "/api/alerts/silences", """{ "matcher": "", "until": "2099-01-01T00:00:00Z", "comment": "x" }""", "needs a matcher" },
        { "/api/alerts/silences", """{ "matcher": "dc=dc2", "until": "2001-01-01T00:00:00Z", "comment": "x" }""", "ends" },
        { "/api/alerts/silences", $$"""{ "matcher": "dc=dc2", "until": "{{Soon}}", "comment": " " }""", "comment is required" },
        { "/api/alerts/silences", """{ "matcher": "dc=dc2", "until": "2099-01-01T00:00:00Z", "comment": "x" }""", "at most 90 days" },
        { "/api/alerts/silences", """{ "matcher": "dc=dc2", "comment": "x" }""", "needs 'until'" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_Is400WithTheReason_AndChangesNothing(string path, string body, string reason)
    {
        using var client = console.CreateClient();
        var before = await SettingsAsync(client);
        var audit = await AuditAsync(client);

        using var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {problem}");
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        Assert.Equal(before, await SettingsAsync(client));
        Assert.Equal(audit, await AuditAsync(client));
    }

    [Fact]
    public async Task RuleForAChannelThatIsNotThere_Is404_AndChangesNothing()
    {
        using var client = console.CreateClient();
        var before = await SettingsAsync(client);
        using var response = await client.PostAsJsonAsync("/api/alerts/rules", new { matcher = "kind=scenario", channelId = 999_999 });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, await SettingsAsync(client));
    }

    [Fact]
    public async Task Secrets_AreNeverShownBack_NorWrittenToTheAuditTrail()
    {
        using var client = console.CreateClient();
        const string Secret = "hmac-secret-never-shown-1234";
        const string SlackPath = "/services/T000/B000/slack-token-never-shown";
        (await client.PostAsJsonAsync("/api/alerts/channels", new { name = "signed hook", type = "Webhook", target = "https://hooks.example.test/in?token=query-token-never-shown", secret = Secret })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/api/alerts/channels", new { name = "slack", type = "Slack", target = "https://hooks.slack.example.test" + SlackPath })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/api/alerts/channels", new
        {
            name = "mail", type = "Email", target = "oncall@example.test", smtpHost = "smtp.example.test", smtpPort = 587, smtpSecurity = "StartTls",
            smtpUser = "console", smtpPassword = "smtp-password-never-shown", smtpFrom = "console@example.test",
        })).EnsureSuccessStatusCode();

        var shown = await client.GetStringAsync("/api/alerts/channels") + await AuditAsync(client);
        foreach (var secret in (string[])[Secret, "slack-token-never-shown", "query-token-never-shown", "smtp-password-never-shown"])
            Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        var channels = JsonDocument.Parse(await client.GetStringAsync("/api/alerts/channels")).RootElement.GetProperty("channels").EnumerateArray().ToList();
        Assert.True(channels.Single(c => c.GetProperty("name").GetString() == "signed hook").GetProperty("hasSecret").GetBoolean());
        Assert.True(channels.Single(c => c.GetProperty("name").GetString() == "mail").GetProperty("hasSmtpPassword").GetBoolean());
        Assert.Contains("alerts.channel.add", await AuditAsync(client), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Acknowledge_IsAudited_AndShownWithTheAlert_Once()
    {
        var store = console.Services.GetRequiredService<AlertStore>();
        var key = "repair:test-" + Guid.NewGuid().ToString("N") + ":2h";
        await store.RaiseOnceAsync(new AlertSignal(AlertKind.Repair, key, AlertSeverity.Warning, "dc2", "Repair due", "nodetool repair", DateTimeOffset.UtcNow), CancellationToken.None);
        using var client = console.CreateClient();
        var alerts = JsonDocument.Parse(await client.GetStringAsync("/api/alerts?state=unacknowledged")).RootElement.GetProperty("alerts").EnumerateArray();
        var id = alerts.Single(a => a.GetProperty("key").GetString() == key).GetProperty("id").GetInt64();

        using var ack = await client.PostAsync($"/api/alerts/{id}/ack", null);
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acked = JsonDocument.Parse(await ack.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("token:", acked.GetProperty("acknowledgedBy").GetString(), StringComparison.Ordinal);
        Assert.Contains(key, await AuditAsync(client), StringComparison.Ordinal);

        using var again = await client.PostAsync($"/api/alerts/{id}/ack", null);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already acknowledged", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var unknown = await client.PostAsync("/api/alerts/999999999/ack", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var still = JsonDocument.Parse(await client.GetStringAsync("/api/alerts?state=unacknowledged")).RootElement.GetProperty("alerts").EnumerateArray();
        Assert.DoesNotContain(still, a => a.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task AlertsPage_ListsChannelsAndAlerts_WithoutTheirSecrets()
    {
        using var client = console.CreateClient();
        (await client.PostAsJsonAsync("/api/alerts/channels", new { name = "page hook", type = "Webhook", target = "https://hooks.example.test/page", secret = "page-secret-never-shown" }))
            .EnsureSuccessStatusCode();
        var store = console.Services.GetRequiredService<AlertStore>();
        await store.RaiseOnceAsync(new AlertSignal(AlertKind.Deployment, "deployment:page-test", AlertSeverity.Warning, null, "Deployment 7 stopped", "stopped", DateTimeOffset.UtcNow),
            CancellationToken.None);

        var html = await client.GetStringAsync("/alerts");

        Assert.Contains("page hook", html, StringComparison.Ordinal);
        Assert.Contains("Deployment 7 stopped", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"acknowledge\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("page-secret-never-shown", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("?count=0", "count '0'")]
    [InlineData("?count=501", "count '501'")]
    [InlineData("?count=ten", "count 'ten'")]
    [InlineData("?state=open", "state 'open'")]
    public async Task BadQuery_Is400WithTheReason(string query, string reason)
    {
        using var client = console.CreateClient();
        using var response = await client.GetAsync("/api/alerts" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
