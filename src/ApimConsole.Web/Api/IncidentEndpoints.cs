using ApimConsole.Web.Security;
using System.Globalization;
using ApimConsole.Web.Incidents;

namespace ApimConsole.Web.Api;

public static class IncidentEndpoints
{
    public const int DefaultDays = 7;

    /// <summary>
    /// A mark-done request: <c>{ "nodeKey": "dc2/cassandra-1", "note": "..." }</c>. The mark is recorded under the caller
    /// (user name or <c>token:&lt;name&gt;</c>); a <c>doneBy</c> naming anyone else is refused.
    /// </summary>
    public sealed record RepairMark(string? NodeKey, string? DoneBy, string? Note);

    /// <summary>
    /// <c>GET /api/incidents?state=open|all&amp;days=N</c>: open incidents first, then past ones of the last N days (7 by
    /// default, 1-366). <c>GET /api/incidents/{id}/repairs</c>: its repair checklist.
    /// <c>POST /api/incidents/{id}/repairs</c>: mark one node's repair done, by the signed-in user or token.
    /// </summary>
    public static IEndpointRouteBuilder MapIncidentApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/incidents", async (string? state, string? days, IncidentLog log, TimeProvider time, CancellationToken cancellationToken) =>
            {
                var openOnly = state switch
                {
                    null or "" or "all" => false,
                    "open" => true,
                    _ => (bool?)null,
                };
                if (openOnly is null)
                    return Problem($"state '{state}' is not known: use 'open' or 'all'.");
                var range = DefaultDays;
                if (!string.IsNullOrEmpty(days)
                    && (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out range) || range < 1 || range > IncidentLog.MaxDays))
                    return Problem($"days '{days}' is not a whole number of days from 1 to {IncidentLog.MaxDays}.");

                var now = time.GetUtcNow();
                var incidents = await log.ListAsync(openOnly.Value, range, cancellationToken);
                return Results.Json(new
                {
                    asOf = now,
                    state = openOnly.Value ? "open" : "all",
                    days = range,
                    incidents = incidents.Select(i => Json(i, now)),
                }, EstateJson.Options);
            })
            .WithName("GetIncidents")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapGet("/api/incidents/{id:long}/repairs", async (long id, RepairChecklist checklist, CancellationToken cancellationToken) =>
            {
                try
                {
                    return Results.Json(Json(await checklist.GetAsync(id, cancellationToken)), EstateJson.Options);
                }
                catch (RepairChecklistException e)
                {
                    return e.NotFound ? NotFound(e.Message) : Problem(e.Message);
                }
            })
            .WithName("GetIncidentRepairs")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapPost("/api/incidents/{id:long}/repairs", async (long id, HttpRequest request, RepairChecklist checklist, CancellationToken cancellationToken) =>
            {
                const string Shape = "The body must be JSON: { \"nodeKey\": \"dc2/cassandra-1\", \"note\": \"optional\" }.";
                RepairMark? mark;
                try
                {
                    mark = await request.ReadFromJsonAsync<RepairMark>(EstateJson.Options, cancellationToken);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
                {
                    return Problem(Shape);
                }
                if (mark is null)
                    return Problem(Shape);
                // Who did it is who is signed in: a mark cannot be put in someone else's name.
                var actor = ConsoleActor.Of(request.HttpContext.User);
                if (!string.IsNullOrWhiteSpace(mark.DoneBy) && !string.Equals(mark.DoneBy.Trim(), actor, StringComparison.Ordinal))
                    return Problem($"doneBy '{Shorten(mark.DoneBy.Trim())}' is not you: marks are recorded under the caller ({actor}). Leave doneBy out.");
                try
                {
                    var view = await checklist.MarkDoneAsync(id, mark.NodeKey ?? "", actor, mark.Note, cancellationToken);
                    return Results.Json(Json(view), EstateJson.Options);
                }
                catch (RepairChecklistException e)
                {
                    return e.NotFound ? NotFound(e.Message) : Problem(e.Message);
                }
            })
            .WithName("MarkIncidentRepairDone")
            .RequireAuthorization(ConsolePolicies.Administrator);
        return endpoints;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static IResult Problem(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    private static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static object Json(IncidentView i, DateTimeOffset now) => new
    {
        id = i.Id,
        key = i.Key,
        kind = i.Kind,
        datacenterId = i.DatacenterId,
        componentKey = i.ComponentKey,
        title = i.Title,
        severity = i.Severity,
        open = i.IsOpen,
        startedAt = i.StartedAt,
        endedAt = i.EndedAt,
        durationSeconds = Math.Round(i.Duration(now).TotalSeconds, 3),
        cassandraNodes = i.CassandraNodes,
        recoveredAt = i.RecoveredAt,
    };

    private static object Json(RepairChecklistView view) => new
    {
        incidentId = view.Incident.Id,
        incidentKey = view.Incident.Key,
        requiredAction = view.RequiredAction,
        items = view.Items.Select(item => new
        {
            nodeKey = item.NodeKey,
            action = item.Action,
            required = item.Required,
            done = item.Done,
            doneBy = item.DoneBy,
            doneAt = item.DoneAt,
            doneAction = item.DoneAction,
            note = item.Note,
        }),
    };
}
