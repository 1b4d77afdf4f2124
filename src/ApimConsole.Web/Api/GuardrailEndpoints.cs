using ApimConsole.Web.Security;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Guardrails;

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

        // GET /api/guardrails/history: every transition of the published decisions, oldest first (see GuardrailService.History).
        endpoints.MapGet("/api/guardrails/history", (GuardrailService guardrail, TimeProvider time) => Results.Json(new
            {
                asOf = time.GetUtcNow(),
                turnBoundSeconds = GuardrailService.TurnBound.TotalSeconds,
                permitsInFlight = guardrail.PermitsInFlight,
                permitsRevoked = guardrail.PermitsRevoked,
                turnsWaited = guardrail.TurnsWaited,
                transitions = guardrail.History,
            }, EstateJson.Options))
            .WithName("GetGuardrailHistory")
            .RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }
}
