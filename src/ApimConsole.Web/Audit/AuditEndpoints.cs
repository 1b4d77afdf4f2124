using System.Globalization;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Web.Api;
using ApimConsole.Web.Security;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Audit;

public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const string FormatKey = "format";
    public const string BeforeKey = "before";
    public const string LimitKey = "limit";

    /// <summary>
    /// <c>GET /api/audit</c>: the audit trail, newest first, filtered by <see cref="AuditFilter"/>'s parameters, a page of
    /// <c>limit</c> (1-1000, 100 by default) at a time; <c>next</c> is the address of the next page (<c>before</c> = the
    /// last entry's id). <c>GET /api/audit?format=csv</c>: every matching entry as CSV, streamed.
    /// Support and Administrator. Any unknown parameter or unreadable value is a 400 naming it.
    /// </summary>
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/audit", (HttpContext http, AuditLog audit, IOptions<EstateOptions> estate, TimeProvider time, CancellationToken cancellationToken) =>
                AnswerAsync(http, audit, estate.Value, time, cancellationToken))
            .WithName("GetAudit")
            .RequireAuthorization(ConsolePolicies.Support);
        return endpoints;
    }

    private static async Task<IResult> AnswerAsync(HttpContext http, AuditLog audit, EstateOptions estate, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = http.Request.Query;
        foreach (var (key, values) in request)
        {
            if (!AuditFilter.Keys.Contains(key) && key is not (FormatKey or BeforeKey or LimitKey))
                return Problem($"'{Shorten(key)}' is not a parameter of the audit trail: use {string.Join(", ", AuditFilter.Keys)}, {BeforeKey}, {LimitKey}, {FormatKey}.");
            if (values.Count > 1)
                return Problem($"{key} is given {values.Count} times: give it once.");
        }
        string? Value(string key) => request.TryGetValue(key, out var v) ? v.ToString() : null;

        var format = Value(FormatKey)?.Trim();
        var csv = format is { Length: > 0 } && format.Equals("csv", StringComparison.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(format) && !csv && !format.Equals("json", StringComparison.OrdinalIgnoreCase))
            return Problem($"format '{Shorten(format)}' is not known: use 'json' (the default) or 'csv'.");
        var (query, problem) = AuditFilter.Read(Value, estate.Datacenters.Select(d => d.Id).ToList());
        if (query is null)
            return Problem(problem!);

        if (csv)
        {
            if (!string.IsNullOrEmpty(Value(LimitKey)) || !string.IsNullOrEmpty(Value(BeforeKey)))
                return Problem($"{(string.IsNullOrEmpty(Value(LimitKey)) ? BeforeKey : LimitKey)} does not apply to the CSV export: it holds every matching entry. Narrow it with the filters.");
            var name = $"audit-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
            // Streamed: read 500 at a time and written as read, however many match.
            return Results.Stream(stream => AuditCsv.WriteAsync(stream, audit.StreamAsync(query, cancellationToken), cancellationToken),
                "text/csv; charset=utf-8", name);
        }

        var limit = DefaultLimit;
        if (Value(LimitKey) is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
            return Problem($"limit '{Shorten(limitText)}' is not a whole number from 1 to {MaxLimit}.");
        long? before = null;
        if (Value(BeforeKey) is { Length: > 0 } beforeText)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                return Problem($"before '{Shorten(beforeText)}' is not an audit entry id (a whole number from 1).");
            before = id;
        }

        var page = await audit.PageAsync(query, before, limit, cancellationToken);
        if (page is null)
            return Problem($"before {before}: there is no audit entry {before}. Use the 'next' address of the previous page.");
        var filters = AuditFilter.ToQueryString(query);
        return Results.Json(new
        {
            entries = page.Entries.Select(e => new
            {
                id = e.Id,
                at = e.At,
                actorKind = e.ActorKind.ToString(),
                actor = e.Actor,
                action = e.Action,
                target = e.Target,
                details = e.Details,
                breakGlass = AuditFilter.IsOverride(e),
            }),
            nextBefore = page.NextBefore,
            next = page.NextBefore is { } next
                ? $"/api/audit?{(filters.Length > 0 ? filters + "&" : "")}{BeforeKey}={next}{(limit != DefaultLimit ? $"&{LimitKey}={limit}" : "")}"
                : null,
        }, EstateJson.Options);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static IResult Problem(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");
}
