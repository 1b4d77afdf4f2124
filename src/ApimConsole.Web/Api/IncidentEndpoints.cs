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

    /// <summary>A note: <c>{ "text": "..." }</c>, recorded under the caller.</summary>
    public sealed record NoteRequest(string? Text);

    /// <summary>
    /// <c>GET /api/incidents?state=open|all&amp;days=N</c>: open incidents first, then past ones of the last N days (7 by
    /// default, 1-366). <c>GET /api/incidents/{id}/repairs</c>: its repair checklist.
    /// <c>POST /api/incidents/{id}/repairs</c>: mark one node's repair done, by the signed-in user or token.
    /// <c>GET /api/incidents/{id}/export?format=md|json</c>: one incident with its consequences, parts, notes and timeline.
    /// <c>POST /api/incidents/{id}/notes</c> (Support, Administrator): a note under the caller's name.
    /// <c>POST /api/incidents/{id}/ack</c> (Administrator): acknowledge it, once.
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
                    incidents = incidents.Select(i => IncidentExport.Summary(i, now)),
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
                var mark = await ReadAsync<RepairMark>(request, cancellationToken);
                if (mark is null)
                    return Problem("The body must be JSON: { \"nodeKey\": \"dc2/cassandra-1\", \"note\": \"optional\" }.");
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

        endpoints.MapGet("/api/incidents/{id:long}/export", async (long id, string? format, IncidentPostMortem postMortem, TimeProvider time, CancellationToken cancellationToken) =>
            {
                if (format is not (null or "" or "json" or "md"))
                    return Problem($"format '{Shorten(format)}' is not known: use 'md' or 'json'.");
                var detail = await postMortem.GetAsync(id, cancellationToken);
                if (detail is null)
                    return NotFound($"Incident {id} does not exist.");
                var now = time.GetUtcNow();
                return format == "md"
                    ? Results.Text(IncidentExport.Markdown(detail, now), "text/markdown; charset=utf-8")
                    : Results.Json(IncidentExport.Json(detail, now), EstateJson.Options);
            })
            .WithName("ExportIncident")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapPost("/api/incidents/{id:long}/notes", async (long id, HttpRequest request, IncidentPostMortem postMortem, CancellationToken cancellationToken) =>
            {
                var note = await ReadAsync<NoteRequest>(request, cancellationToken);
                if (note is null)
                    return Problem("The body must be JSON: { \"text\": \"what you want on record\" }.");
                return await PostMortemAsync(async () =>
                {
                    var added = await postMortem.AddNoteAsync(id, ConsoleActor.Of(request.HttpContext.User), note.Text, cancellationToken);
                    return new { id = added.Id, at = added.At, author = added.Author, text = added.Text };
                });
            })
            .WithName("AddIncidentNote")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapPost("/api/incidents/{id:long}/ack", async (long id, HttpContext context, IncidentPostMortem postMortem, TimeProvider time, CancellationToken cancellationToken) =>
                await PostMortemAsync(async () =>
                    IncidentExport.Summary(await postMortem.AcknowledgeAsync(id, ConsoleActor.Of(context.User), cancellationToken), time.GetUtcNow())))
            .WithName("AcknowledgeIncident")
            .RequireAuthorization(ConsolePolicies.Administrator);
        return endpoints;
    }

    /// <summary>The request's JSON body, or null when it is missing or not JSON of that shape.</summary>
    private static async Task<T?> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await request.ReadFromJsonAsync<T>(EstateJson.Options, cancellationToken);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<IResult> PostMortemAsync(Func<Task<object>> write)
    {
        try
        {
            return Results.Json(await write(), EstateJson.Options);
        }
        catch (IncidentPostMortemException e)
        {
            return e.NotFound ? NotFound(e.Message) : Problem(e.Message);
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static IResult Problem(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    private static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

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
