using ApimConsole.Storage;
using ApimConsole.Web.Security;

namespace ApimConsole.Web.Api;

/// <summary>The console's own store: whether it takes writes, and what happens to a request when it does not.</summary>
public static class StoreHealthEndpoints
{
    /// <summary><c>GET /api/store</c>: <c>failing</c>, <c>failingSince</c>, <c>problem</c>, <c>lastFailure</c>, <c>failedAttempts</c>.</summary>
    public static IEndpointRouteBuilder MapStoreHealthApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/store", (ConsoleStoreHealth health) =>
            {
                var status = health.Current;
                return Results.Json(new { failing = status.Failing, failingSince = status.FailingSince, problem = status.Problem, lastFailure = status.LastFailure, failedAttempts = status.FailedAttempts });
            })
            .WithName("GetStoreHealth")
            .RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }

    /// <summary>
    /// A request whose action could not be recorded (the audit entry or the deployment row, after
    /// <see cref="StoreWriter"/>'s retries) answers 503 with the store's problem: the action was not performed.
    /// </summary>
    public static IApplicationBuilder UseStoreRefusals(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ConsoleStoreUnavailableException e) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new { error = e.Message + " Nothing was done: an action that cannot be recorded does not happen." });
            }
        });
}
