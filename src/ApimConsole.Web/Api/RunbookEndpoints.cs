using ApimConsole.Web.Security;
using System.Text.Json;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Restarts;

namespace ApimConsole.Web.Api;

public static class RunbookEndpoints
{
    /// <summary>The body of <c>POST /api/runbooks/restart</c>.</summary>
    public sealed record RestartRequest(string? DatacenterId, string? InstanceId, string? Action);

    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>
    /// <c>POST /api/runbooks/restart</c> {"datacenterId","instanceId","action":"start"|"restart"}: 200 with the result,
    /// 409 with the reason when the restart order forbids it now, 400 for a bad body, 404 for an unknown instance,
    /// 502 when the Admin Node Manager fails or does not answer in time.
    /// </summary>
    public static IEndpointRouteBuilder MapRunbookApi(this IEndpointRouteBuilder endpoints)
    {
        // GET /api/runbooks/restarts: for every gateway instance, what the console may do now, or why not.
        endpoints.MapGet("/api/runbooks/restarts", (IEstateStatus status) =>
            {
                var snapshot = status.Current;
                return Results.Json(new { asOf = snapshot.AsOf, instances = RestartPolicy.Evaluate(snapshot) }, EstateJson.Options);
            })
            .WithName("GetRestartDecisions")
            .RequireAuthorization(ConsolePolicies.Support);
        endpoints.MapPost("/api/runbooks/restart", async (HttpContext context, IGatewayRestarter restarter) =>
            {
                var (request, error) = await ReadAsync(context);
                if (error is not null)
                    return Results.Problem(title: "Bad restart request", detail: error, statusCode: StatusCodes.Status400BadRequest);

                var action = request!.Action!.Equals("restart", StringComparison.OrdinalIgnoreCase) ? RestartAction.Restart : RestartAction.Start;
                var actor = ConsoleActor.Of(context.User);
                var result = await restarter.RestartAsync(request.DatacenterId!.Trim(), request.InstanceId!.Trim(), action, actor, context.RequestAborted);
                var statusCode = result.Outcome switch
                {
                    RestartOutcome.Done => StatusCodes.Status200OK,
                    RestartOutcome.Refused => StatusCodes.Status409Conflict,
                    RestartOutcome.UnknownInstance => StatusCodes.Status404NotFound,
                    _ => StatusCodes.Status502BadGateway,
                };
                return Results.Json(result, EstateJson.Options, statusCode: statusCode);
            })
            .WithName("RestartGatewayInstance")
            .RequireAuthorization(ConsolePolicies.Administrator);
        return endpoints;
    }

    /// <summary>Reads and checks the body; on any problem, the error says what is wrong and nothing is done.</summary>
    private static async Task<(RestartRequest? Request, string? Error)> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
            return (null, $"The body is larger than {MaxBodyBytes} bytes.");
        if (!context.Request.HasJsonContentType())
            return (null, "Send a JSON body (Content-Type: application/json): {\"datacenterId\":\"dc2\",\"instanceId\":\"instance-1\",\"action\":\"start\"}.");
        RestartRequest? request;
        try
        {
            // Bounded read: a chunked body has no Content-Length to check up front.
            var buffer = new byte[MaxBodyBytes + 1];
            int total = 0, read;
            while (total < buffer.Length && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(total), context.RequestAborted)) > 0)
                total += read;
            if (total > MaxBodyBytes)
                return (null, $"The body is larger than {MaxBodyBytes} bytes.");
            if (total == 0)
                return (null, "The body is empty: send {\"datacenterId\",\"instanceId\",\"action\"}.");
            request = JsonSerializer.Deserialize<RestartRequest>(buffer.AsSpan(0, total), EstateJson.Options);
        }
        catch (JsonException ex)
        {
            return (null, $"The body is not valid JSON: {ex.Message}");
        }
        if (request is null)
            return (null, "The body is empty: send {\"datacenterId\",\"instanceId\",\"action\"}.");
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(request.DatacenterId))
            missing.Add("datacenterId");
        if (string.IsNullOrWhiteSpace(request.InstanceId))
            missing.Add("instanceId");
        if (string.IsNullOrWhiteSpace(request.Action))
            missing.Add("action");
        if (missing.Count > 0)
            return (null, $"Missing {string.Join(", ", missing)}.");
        if (!request.Action!.Equals("start", StringComparison.OrdinalIgnoreCase) && !request.Action.Equals("restart", StringComparison.OrdinalIgnoreCase))
            return (null, $"action '{request.Action}' is unknown: use 'start' or 'restart'.");
        return (request, null);
    }
}
