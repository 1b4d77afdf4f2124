using System.Text.Json;
using ApimConsole.Core.Alerts;

namespace ApimConsole.Core.Tests.Alerts;

public sealed class AlertPayloadTests
{
    private static readonly AlertMessage Message = new(Guid.Parse("6f1c2f9e-58a4-4bb3-9e0c-1f1d8a2b3c4d"), AlertPhase.Opened,
        new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero), 12, "scenario:DatacenterDown:dc2", AlertKind.Scenario, AlertSeverity.Critical, "dc2",
        "Datacenter dc2 down", "The load balancer sends all traffic to dc1 <now>.", new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero), null, null, null,
        "https://console.example/alerts?alert=12", "Prod estate", "dc1");

    [Fact]
    public void Generic_HasTheDocumentedSchema()
    {
        using var doc = JsonDocument.Parse(AlertPayloads.Generic(Message));
        var root = doc.RootElement;
        Assert.Equal("apimconsole.alert/v1", root.GetProperty("schema").GetString());
        Assert.Equal("6f1c2f9e-58a4-4bb3-9e0c-1f1d8a2b3c4d", root.GetProperty("eventId").GetString());
        Assert.Equal("opened", root.GetProperty("phase").GetString());
        Assert.Equal("2026-12-06T03:00:00.000Z", root.GetProperty("at").GetString());
        var alert = root.GetProperty("alert");
        Assert.Equal(12, alert.GetProperty("id").GetInt64());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        Assert.Equal("scenario", alert.GetProperty("kind").GetString());
        Assert.Equal("dc2", alert.GetProperty("datacenter").GetString());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("resolvedAt").ValueKind);
        Assert.Equal("https://console.example/alerts?alert=12", alert.GetProperty("url").GetString());
        Assert.Equal("Prod estate", root.GetProperty("console").GetProperty("estate").GetString());
    }

    [Fact]
    public void Slack_CarriesTextAndTheLink_WithMarkupEscaped()
    {
        using var doc = JsonDocument.Parse(AlertPayloads.Slack(Message));
        Assert.Equal("[CRITICAL] Opened: Datacenter dc2 down", doc.RootElement.GetProperty("text").GetString());
        var section = doc.RootElement.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString()!;
        Assert.Contains("&lt;now&gt;", section, StringComparison.Ordinal);
        Assert.Contains("<https://console.example/alerts?alert=12|Open in the console>", section, StringComparison.Ordinal);
    }

    [Fact]
    public void Teams_IsAnAdaptiveCardWithTheLinkAsAction()
    {
        using var doc = JsonDocument.Parse(AlertPayloads.Teams(Message));
        var attachment = doc.RootElement.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("https://console.example/alerts?alert=12", card.GetProperty("actions")[0].GetProperty("url").GetString());
    }

    [Fact]
    public void Signature_IsHmacSha256OfTimestampDotBody_AndVerifies()
    {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'secret'
        Assert.Equal("sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686", WebhookSignature.Sign("secret", 1700000000, "{\"a\":1}"));
        var signature = WebhookSignature.Sign("secret", 1700000000, "{\"a\":1}");
        Assert.True(WebhookSignature.Verify("secret", "1700000000", "{\"a\":1}", signature));
        Assert.False(WebhookSignature.Verify("other", "1700000000", "{\"a\":1}", signature));
        Assert.False(WebhookSignature.Verify("secret", "1700000001", "{\"a\":1}", signature));
        Assert.False(WebhookSignature.Verify("secret", "1700000000", "{\"a\":2}", signature));
        Assert.False(WebhookSignature.Verify("secret", "soon", "{\"a\":1}", signature));
    }
}
