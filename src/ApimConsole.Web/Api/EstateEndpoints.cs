using ApimConsole.Web.Security;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Web.Api;

public static class EstateEndpoints
{
    /// <summary><c>GET /api/estate</c>: the status engine's current snapshot.</summary>
    public static IEndpointRouteBuilder MapEstateApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/estate", (IEstateStatus status) => Results.Json(status.Current, EstateJson.Options))
            .WithName("GetEstate")
            .RequireAuthorization(ConsolePolicies.Viewer);
        // GET /api/scenarios: the failover scenarios in force, worst first, with their runbooks.
        endpoints.MapGet("/api/scenarios", (IEstateStatus status, TimeProvider time) =>
            {
                var snapshot = status.Current;
                return Results.Json(new { asOf = snapshot.AsOf, scenarios = snapshot.Scenarios.At(time.GetUtcNow()) }, EstateJson.Options);
            })
            .WithName("GetScenarios")
            .RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }
}
