using ApimConsole.Web.Security;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Traffic;

namespace ApimConsole.Web.Api;

public static class TrafficEndpoints
{
    /// <summary>
    /// <c>GET /api/traffic?window=10m|10h|5d</c>: each datacenter's series, top APIs, instance shares and gaps, then
    /// combined. <c>GET /api/traffic/transactions?...</c>: search of the recent transactions.
    /// <c>GET /api/traffic/transactions/{dc}/{instance}/{correlationId}/trace</c>: one transaction's trace, from its instance.
    /// Bad query values get 400 with every problem named.
    /// </summary>
    public static IEndpointRouteBuilder MapTrafficApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/traffic", (HttpRequest request, TrafficReports reports) =>
            {
                var text = request.Query["window"].ToString();
                var window = TrafficWindow.TenMinutes;
                if (text.Length > 0 && !TrafficReports.TryParseWindow(text, out window))
                    return Problem($"window '{Shorten(text)}' is not one of 10m, 10h, 5d.");
                return Results.Json(reports.Build(window), EstateJson.Options);
            })
            .WithName("GetTraffic")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapGet("/api/traffic/transactions", (HttpRequest request, RecentTransactions recent) =>
            {
                var query = TransactionQuery.Parse(name => request.Query[name].ToString(), out var errors);
                if (query is null)
                    return Problem(errors.ToArray());
                var found = recent.Search(query);
                return Results.Json(new { count = found.Count, transactions = found }, EstateJson.Options);
            })
            .WithName("SearchTransactions")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapGet("/api/traffic/transactions/{dc}/{instance}/{correlationId}/trace",
                async (string dc, string instance, string correlationId, TrafficCollector collector, CancellationToken cancellationToken) =>
            {
                try
                {
                    var lines = await collector.GetTraceAsync(dc, instance, correlationId, cancellationToken);
                    return Results.Json(new { dc, instance, correlationId, lines }, EstateJson.Options);
                }
                catch (ArgumentException ex)
                {
                    return Problem(ex.Message);
                }
                catch (HttpRequestException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    return Results.Json(new { errors = new[] { $"{instance} no longer holds transaction {correlationId}." } }, EstateJson.Options, statusCode: 404);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    return Results.Json(new { errors = new[] { $"The trace could not be read from {dc}: {ApimConsole.Monitoring.ProbeOutcome.Describe(ex)}" } }, EstateJson.Options, statusCode: 502);
                }
            })
            .WithName("GetTransactionTrace")
            .RequireAuthorization(ConsolePolicies.Support);
        return endpoints;
    }

    private static IResult Problem(params string[] errors) => Results.Json(new { errors }, EstateJson.Options, statusCode: 400);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
