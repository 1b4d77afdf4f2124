using System.Globalization;
using System.Text.Json;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Api;
using ApimConsole.Web.Security;

namespace ApimConsole.Web.Alerts;

/// <summary>
/// <c>GET /api/alerts</c>: recent alerts with their messages and delivery state (Support and Administrator).
/// <c>POST /api/alerts/{id}/ack</c>: acknowledge (Administrator). The settings the Alerts page edits, for scripts:
/// <c>/api/alerts/channels</c> (GET, POST, PUT/DELETE <c>{id}</c>, POST <c>{id}/test</c>), <c>/api/alerts/rules</c>,
/// <c>/api/alerts/silences</c>, and <c>GET /api/alerts/deliveries?dead=true</c>. Bad input is a 400 that says why and changes nothing.
/// </summary>
public static class AlertEndpoints
{
    public const int DefaultCount = 50;
    public const int MaxCount = 500;

    public sealed record RuleBody(string? Matcher, long ChannelId, int? RepeatMinutes);

    public sealed record SilenceBody(string? Matcher, DateTimeOffset? From, DateTimeOffset? Until, string? Comment);

    public static IEndpointRouteBuilder MapAlerts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/alerts", async (string? count, string? state, AlertStore store, TimeProvider time, CancellationToken cancellationToken) =>
            {
                if (ParseCount(count) is not { } take)
                    return Problem($"count '{Shorten(count)}' is not a whole number from 1 to {MaxCount}.");
                bool unacknowledged;
                switch (state)
                {
                    case null or "" or "all":
                        unacknowledged = false;
                        break;
                    case "unacknowledged":
                        unacknowledged = true;
                        break;
                    default:
                        return Problem($"state '{Shorten(state)}' is not known: use 'all' or 'unacknowledged'.");
                }
                var alerts = await store.ListAsync(new AlertQuery(UnacknowledgedOnly: unacknowledged, Count: take), cancellationToken);
                return Results.Json(new
                {
                    asOf = time.GetUtcNow(),
                    outboxPending = await store.PendingCountAsync(cancellationToken),
                    alerts = alerts.Select(Json),
                }, EstateJson.Options);
            })
            .WithName("GetAlerts")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapGet("/api/alerts/deliveries", async (string? count, bool? dead, AlertStore store, CancellationToken cancellationToken) =>
                ParseCount(count) is { } take
                    ? Results.Json(new { deliveries = (await store.DeliveriesAsync(take, dead ?? false, cancellationToken)).Select(Json) }, EstateJson.Options)
                    : Problem($"count '{Shorten(count)}' is not a whole number from 1 to {MaxCount}."))
            .WithName("GetAlertDeliveries")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapPost("/api/alerts/{id:long}/ack", (long id, HttpContext context, AlertStore store, CancellationToken cancellationToken) =>
                Guard(async () => Json(await store.AcknowledgeAsync(id, ConsoleActor.Of(context.User), cancellationToken))))
            .WithName("AcknowledgeAlert")
            .RequireAuthorization(ConsolePolicies.Administrator);

        // One group, so that every settings endpoint states its policy once.
        var admin = endpoints.MapGroup("/api/alerts").RequireAuthorization(ConsolePolicies.Administrator);
        admin.MapGet("/channels", async (AlertSettings settings, CancellationToken cancellationToken) =>
            Results.Json(new { channels = await settings.ChannelsAsync(cancellationToken) }, EstateJson.Options));
        admin.MapPost("/channels", (HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            WithBody<ChannelInput>(context, "{ \"name\", \"type\": \"Webhook|Slack|Teams|Email\", \"target\", \"secret\", \"smtpHost\", \"smtpPort\", \"smtpSecurity\", \"smtpUser\", \"smtpPassword\", \"smtpFrom\", \"timeoutSeconds\" }",
                async input => await settings.SaveChannelAsync(null, input, ConsoleActor.Of(context.User), cancellationToken), cancellationToken));
        admin.MapPut("/channels/{id:long}", (long id, HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            WithBody<ChannelInput>(context, "a channel as for POST /api/alerts/channels",
                async input => await settings.SaveChannelAsync(id, input, ConsoleActor.Of(context.User), cancellationToken), cancellationToken));
        admin.MapDelete("/channels/{id:long}", (long id, HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            Guard(async () =>
            {
                await settings.DeleteChannelAsync(id, ConsoleActor.Of(context.User), cancellationToken);
                return new { deleted = id };
            }));
        admin.MapPost("/channels/{id:long}/test", (long id, HttpContext context, AlertStore store, CancellationToken cancellationToken) =>
            Guard(async () => new { alertId = await store.SendTestAsync(id, ConsoleActor.Of(context.User), cancellationToken) }));

        admin.MapGet("/rules", async (AlertSettings settings, CancellationToken cancellationToken) =>
            Results.Json(new { rules = await settings.RulesAsync(cancellationToken) }, EstateJson.Options));
        admin.MapPost("/rules", (HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            WithBody<RuleBody>(context, "{ \"matcher\": \"kind=scenario severity>=warning\", \"channelId\": 1, \"repeatMinutes\": 30 }",
                async body => await settings.SaveRuleAsync(null, body.Matcher, body.ChannelId, body.RepeatMinutes, ConsoleActor.Of(context.User), cancellationToken), cancellationToken));
        admin.MapPut("/rules/{id:long}", (long id, HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            WithBody<RuleBody>(context, "a rule as for POST /api/alerts/rules",
                async body => await settings.SaveRuleAsync(id, body.Matcher, body.ChannelId, body.RepeatMinutes, ConsoleActor.Of(context.User), cancellationToken), cancellationToken));
        admin.MapDelete("/rules/{id:long}", (long id, HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            Guard(async () =>
            {
                await settings.DeleteRuleAsync(id, ConsoleActor.Of(context.User), cancellationToken);
                return new { deleted = id };
            }));

        admin.MapGet("/silences", async (AlertSettings settings, CancellationToken cancellationToken) =>
            Results.Json(new { silences = await settings.SilencesAsync(cancellationToken) }, EstateJson.Options));
        admin.MapPost("/silences", (HttpContext context, AlertSettings settings, TimeProvider time, CancellationToken cancellationToken) =>
            WithBody<SilenceBody>(context, "{ \"matcher\": \"dc=dc2\", \"from\": \"2026-01-01T10:00:00Z\", \"until\": \"2026-01-01T12:00:00Z\", \"comment\": \"why\" }",
                async body => body.Until is { } until
                    ? await settings.AddSilenceAsync(body.Matcher, body.From ?? time.GetUtcNow(), until, body.Comment, ConsoleActor.Of(context.User), cancellationToken)
                    : throw new AlertSettingsException("A silence needs 'until': when it ends."), cancellationToken));
        admin.MapDelete("/silences/{id:long}", (long id, HttpContext context, AlertSettings settings, CancellationToken cancellationToken) =>
            Guard(async () =>
            {
                await settings.ExpireSilenceAsync(id, ConsoleActor.Of(context.User), cancellationToken);
                return new { expired = id };
            }));
        return endpoints;
    }

    private static int? ParseCount(string? count)
    {
        if (string.IsNullOrEmpty(count))
            return DefaultCount;
        return int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxCount ? n : null;
    }

    private static async Task<IResult> WithBody<T>(HttpContext context, string shape, Func<T, Task<object>> handle, CancellationToken cancellationToken) where T : class
    {
        T? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<T>(EstateJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return Problem($"The body must be JSON: {shape}. {(e is JsonException json ? json.Message : "")}".TrimEnd());
        }
        if (body is null)
            return Problem($"The body must be JSON: {shape}.");
        return await Guard(() => handle(body));
    }

    private static async Task<IResult> Guard(Func<Task<object>> action)
    {
        try
        {
            return Results.Json(await action(), EstateJson.Options);
        }
        catch (AlertSettingsException e)
        {
            return e.NotFound
                ? Results.Problem(e.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found")
                : Problem(e.Message);
        }
    }

    private static IResult Problem(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..60] + "…";

    private static object Json(AlertView view) => new
    {
        id = view.Alert.Id,
        key = view.Alert.Key,
        kind = view.Alert.Kind,
        severity = view.Alert.Severity,
        datacenterId = view.Alert.DatacenterId,
        title = view.Alert.Title,
        text = view.Alert.Text,
        openedAt = view.Alert.OpenedAt,
        resolvedAt = view.Alert.ResolvedAt,
        acknowledgedAt = view.Alert.AcknowledgedAt,
        acknowledgedBy = view.Alert.AcknowledgedBy,
        events = view.Events.Select(e => new { eventId = e.EventId, phase = e.Phase, severity = e.Severity, text = e.Text, at = e.At }),
        deliveries = view.Deliveries.Select(Json),
    };

    private static object Json(DeliveryView d) => new
    {
        id = d.Id,
        alertId = d.AlertId,
        alertKey = d.AlertKey,
        phase = d.Phase,
        eventId = d.EventId,
        channelId = d.ChannelId,
        channel = d.Channel,
        state = d.State,
        attempts = d.Attempts,
        createdAt = d.CreatedAt,
        nextAttemptAt = d.State == AlertDeliveryState.Pending ? d.NextAttemptAt : (DateTimeOffset?)null,
        sentAt = d.SentAt,
        lastError = d.LastError,
    };
}
