using ApimConsole.Web.Security;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Guardrails;
using System.Data.Common;
using System.Globalization;
using ApimConsole.Storage;

namespace ApimConsole.Web.Api;

public static class GuardrailEndpoints
{
    /// <summary>
    /// <c>GET /api/guardrails[?datacenters=dc1,dc2]</c>: whether each kind of change may be deployed now, decided at
    /// the moment of the request: <c>{"asOf", "estateAsOf", "datacenters", "changes": [{"kind", "decision", "reasons", "asOf"}]}</c>.
    /// Without <c>datacenters</c> the change is taken to go to every datacenter. An unknown id is a 400 naming it.
    /// </summary>
    public static IEndpointRouteBuilder MapGuardrailApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/guardrails", (string? datacenters, GuardrailService guardrail, IEstateStatus status) =>
            {
                var snapshot = status.Current;
                List<string> targets = [];
                if (datacenters is not null)
                {
                    targets = datacenters.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
                    if (targets.Count == 0)
                    {
                        return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No datacenter named",
                            detail: "datacenters is empty: give datacenter ids separated by commas (e.g. datacenters=dc1,dc2), or leave it out for all.");
                    }
                    var unknown = GuardrailPolicy.UnknownDatacenters(snapshot, targets);
                    if (unknown.Count > 0)
                    {
                        return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown datacenter",
                            detail: $"Unknown datacenter {string.Join(", ", unknown.Select(u => $"'{u}'"))} in datacenters: "
                                + $"the estate has {string.Join(", ", snapshot.Datacenters.Select(d => d.Id))}.");
                    }
                }
                var state = guardrail.Decide(targets);
                return Results.Json(new
                {
                    asOf = state.AsOf,
                    estateAsOf = state.EstateAsOf,
                    datacenters = targets.Count == 0 ? snapshot.Datacenters.Select(d => d.Id).ToList() : targets,
                    changes = state.Changes,
                }, EstateJson.Options);
            })
            .WithName("GetGuardrails")
            .RequireAuthorization(ConsolePolicies.Viewer);

        // GET /api/guardrails/history[?from=&to=&limit=]: the transitions of the published decisions, oldest first. Without
        // a range, those this console holds since it started (see GuardrailService.History); with one, the stored turns in
        // it (they outlive restarts) joined by those this console holds that its writer has not stored yet, each once.
        endpoints.MapGet("/api/guardrails/history", (HttpContext http, GuardrailService guardrail, GuardrailTurnStore turns, TimeProvider time,
                CancellationToken cancellationToken) => HistoryAsync(http, guardrail, turns, time, cancellationToken))
            .WithName("GetGuardrailHistory")
            .RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }

    private const string FromKey = "from";
    private const string ToKey = "to";
    private const string LimitKey = "limit";
    public const int DefaultHistoryLimit = 1_000;
    public const int MaxHistoryLimit = 10_000;

    private static async Task<IResult> HistoryAsync(HttpContext http, GuardrailService guardrail, GuardrailTurnStore turns, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        foreach (var (key, values) in query)
        {
            if (key is not (FromKey or ToKey or LimitKey))
                return HistoryProblem($"'{Shorten(key)}' is not a parameter of the guardrail's history: use {FromKey}, {ToKey} and {LimitKey}.");
            if (values.Count > 1)
                return HistoryProblem($"{key} is given {values.Count} times: give it once.");
        }
        string? Value(string key) => query.TryGetValue(key, out var v) && v.ToString().Trim() is { Length: > 0 } text ? text : null;

        var now = time.GetUtcNow();
        var counters = new
        {
            permitsInFlight = guardrail.PermitsInFlight,
            permitsRevoked = guardrail.PermitsRevoked,
            turnsWaited = guardrail.TurnsWaited,
        };
        if (Value(FromKey) is null && Value(ToKey) is null)
        {
            if (Value(LimitKey) is not null)
                return HistoryProblem($"{LimitKey} applies to a range read from the store: give {FromKey} (and {ToKey}), or leave {LimitKey} out for this console's memory.");
            return Results.Json(new
            {
                asOf = now,
                source = "memory",
                turnBoundSeconds = GuardrailService.TurnBound.TotalSeconds,
                counters.permitsInFlight,
                counters.permitsRevoked,
                counters.turnsWaited,
                truncated = false,
                transitions = guardrail.History,
            }, EstateJson.Options);
        }

        DateTimeOffset from = DateTimeOffset.MinValue, to = now;
        if (Value(FromKey) is { } fromText && !TryInstant(fromText, out from))
            return HistoryProblem(NotAnInstant(FromKey, fromText));
        if (Value(ToKey) is { } toText && !TryInstant(toText, out to))
            return HistoryProblem(NotAnInstant(ToKey, toText));
        if (from > to)
            return HistoryProblem($"{FromKey} ({from:yyyy-MM-ddTHH:mm:ssZ}) is after {ToKey} ({to:yyyy-MM-ddTHH:mm:ssZ}): nothing can be in that range.");
        var limit = DefaultHistoryLimit;
        if (Value(LimitKey) is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxHistoryLimit))
            return HistoryProblem($"{LimitKey} '{Shorten(limitText)}' is not a whole number from 1 to {MaxHistoryLimit}.");

        IReadOnlyList<GuardrailTransition> stored;
        try
        {
            stored = await turns.DuringAsync(from, to, limit + 1, cancellationToken);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The store could not be read",
                detail: $"The stored guardrail turns could not be read: {e.Message} Without a range, this console's memory since it started is served.");
        }
        // Turns this console holds that its writer has not stored yet, each once: the newest are the likeliest.
        var merged = stored.Concat(guardrail.History.Where(t => t.At >= from && t.At <= to))
            .DistinctBy(t => (t.At, t.Kind, t.DatacenterId, t.Decision))
            .OrderBy(t => t.At)
            .ToList();
        var truncated = merged.Count > limit;
        return Results.Json(new
        {
            asOf = now,
            source = "store",
            from = from == DateTimeOffset.MinValue ? (DateTimeOffset?)null : from,
            to,
            limit,
            turnBoundSeconds = GuardrailService.TurnBound.TotalSeconds,
            counters.permitsInFlight,
            counters.permitsRevoked,
            counters.turnsWaited,
            truncated,
            transitions = merged.Take(limit).ToList(),
        }, EstateJson.Options);
    }

    private static bool TryInstant(string text, out DateTimeOffset at) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    private static string NotAnInstant(string key, string value) =>
        $"{key} '{Shorten(value)}' is not a date and time: use ISO 8601, e.g. 2026-12-06T03:00:00Z (UTC unless it says otherwise).";

    private static IResult HistoryProblem(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The history cannot be read that way", detail: detail);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
