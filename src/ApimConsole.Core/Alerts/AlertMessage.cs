using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ApimConsole.Core.Alerts;

/// <summary>
/// One message about one alert, as every channel renders it. <see cref="EventId"/> is the idempotency key: the same
/// event sent again (a retry, a second sender after a crash) carries the same one, so a receiver can drop duplicates.
/// </summary>
public sealed record AlertMessage(
    Guid EventId,
    AlertPhase Phase,
    DateTimeOffset At,
    long AlertId,
    string Key,
    AlertKind Kind,
    AlertSeverity Severity,
    string? DatacenterId,
    string Title,
    string Text,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    string Link,
    string EstateName,
    string ConsoleDatacenter,
    bool Test = false)
{
    /// <summary>"[CRITICAL] Opened: Datacenter dc2 down" — the first line of every channel's rendering.</summary>
    public string Headline => $"[{Severity.ToString().ToUpperInvariant()}] {Phase}{(Test ? " (test)" : "")}: {Title}";
}

/// <summary>The bodies the channels send. All JSON is UTF-8 without indentation.</summary>
public static class AlertPayloads
{
    /// <summary>The <c>schema</c> value of the generic webhook body; a new incompatible shape gets a new one.</summary>
    public const string GenericSchema = "apimconsole.alert/v1";

    /// <summary>The generic webhook body (documented in the README, "Notifications").</summary>
    public static string Generic(AlertMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var body = new JsonObject
        {
            ["schema"] = GenericSchema,
            ["eventId"] = m.EventId.ToString("D"),
            ["phase"] = Lower(m.Phase),
            ["at"] = Time(m.At),
            ["test"] = m.Test,
            ["alert"] = new JsonObject
            {
                ["id"] = m.AlertId,
                ["key"] = m.Key,
                ["kind"] = Lower(m.Kind),
                ["severity"] = Lower(m.Severity),
                ["datacenter"] = m.DatacenterId,
                ["title"] = m.Title,
                ["text"] = m.Text,
                ["openedAt"] = Time(m.OpenedAt),
                ["resolvedAt"] = m.ResolvedAt is { } r ? Time(r) : null,
                ["acknowledgedAt"] = m.AcknowledgedAt is { } a ? Time(a) : null,
                ["acknowledgedBy"] = m.AcknowledgedBy,
                ["url"] = m.Link,
            },
            ["console"] = new JsonObject { ["estate"] = m.EstateName, ["datacenter"] = m.ConsoleDatacenter },
        };
        return body.ToJsonString();
    }

    /// <summary>A Slack incoming-webhook body: <c>text</c> for notifications, one mrkdwn section with the link.</summary>
    public static string Slack(AlertMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var text = $"*{Escape(m.Headline)}*\n{Escape(m.Text)}\n{Escape(Where(m))}\n<{m.Link}|Open in the console>";
        var body = new JsonObject
        {
            ["text"] = m.Headline,
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text },
            }),
        };
        return body.ToJsonString();
    }

    /// <summary>A Microsoft Teams webhook body (incoming webhook or Workflows): one Adaptive Card with the link as its action.</summary>
    public static string Teams(AlertMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject { ["type"] = "TextBlock", ["text"] = m.Headline, ["weight"] = "Bolder", ["wrap"] = true,
                    ["color"] = m.Severity == AlertSeverity.Critical ? "Attention" : m.Severity == AlertSeverity.Warning ? "Warning" : "Default" },
                new JsonObject { ["type"] = "TextBlock", ["text"] = m.Text, ["wrap"] = true },
                new JsonObject { ["type"] = "TextBlock", ["text"] = Where(m), ["wrap"] = true, ["isSubtle"] = true }),
            ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open in the console", ["url"] = m.Link }),
        };
        var body = new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = card,
            }),
        };
        return body.ToJsonString();
    }

    /// <summary>The mail subject: the headline with the estate's name in front.</summary>
    public static string EmailSubject(AlertMessage m) => $"{m.EstateName}: {m.Headline}";

    /// <summary>The plain-text mail body.</summary>
    public static string EmailBody(AlertMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var text = new StringBuilder();
        text.AppendLine(m.Headline).AppendLine();
        text.AppendLine(m.Text).AppendLine();
        text.AppendLine(Where(m));
        text.AppendLine(CultureInfo.InvariantCulture, $"Alert: {m.Key} (#{m.AlertId}), opened {Time(m.OpenedAt)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Open it in the console to acknowledge: {m.Link}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Event id: {m.EventId:D}");
        return text.ToString();
    }

    private static string Where(AlertMessage m) =>
        $"{m.EstateName}, {(m.DatacenterId is null ? "both datacenters" : "datacenter " + m.DatacenterId)}, {Time(m.At)} (seen by the console in {m.ConsoleDatacenter})";

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // Slack mrkdwn: &, < and > are the only characters to escape.
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

/// <summary>
/// The generic webhook's signature: <c>X-ApimConsole-Signature: sha256=&lt;hex&gt;</c>, the HMAC-SHA256 with the channel's
/// secret of <c>&lt;X-ApimConsole-Timestamp&gt;.&lt;body&gt;</c> (the timestamp in Unix seconds, a dot, the body bytes as sent).
/// Signing the timestamp with the body lets a receiver refuse an old message replayed.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-ApimConsole-Signature";
    public const string TimestampHeader = "X-ApimConsole-Timestamp";
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string EventHeader = "X-ApimConsole-Event";

    public static string Sign(string secret, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(body);
        var signed = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>Whether <paramref name="signature"/> is this body's and timestamp's, compared in constant time.</summary>
    public static bool Verify(string secret, string? timestamp, string body, string? signature)
    {
        if (signature is null || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
