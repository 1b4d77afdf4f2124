using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Web.Api;

public static class EstateEndpoints
{
    /// <summary><c>GET /api/estate</c>: the status engine's current snapshot.</summary>
    public static IEndpointRouteBuilder MapEstateApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/estate", (IEstateStatus status) => Results.Json(status.Current, EstateJson.Options))
            .WithName("GetEstate");
        return endpoints;
    }
}
