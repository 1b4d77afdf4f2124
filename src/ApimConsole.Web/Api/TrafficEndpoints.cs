using ApimConsole.Web.Security;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Traffic;
using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Api;

public static class TrafficEndpoints
{
    /// <summary>
    /// <c>GET /api/traffic?window=10m|10h|5d</c>: each datacenter's series, top APIs, instance shares and gaps, then
    /// combined. <c>GET /api/traffic/transactions?...</c>: search of the recent transactions.
    /// <c>GET /api/traffic/transactions/{dc}/{instance}/{correlationId}/trace</c>: one transaction's trace, from its instance.
    /// Bad query values get 400 with every problem named. A user limited to some datacenters (<see cref="DatacenterAccess"/>)
    /// sees only those: the report and its combined view cover them alone, the search returns only their transactions,
    /// and asking for another datacenter by name (<c>dc=</c>, a trace) is 403.
    /// </summary>
    public static IEndpointRouteBuilder MapTrafficApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/traffic", async (HttpRequest request, TrafficReports reports, ApimConsole.Web.Peer.PeerLogRelay peer, ApimConsole.Monitoring.Engine.IEstateStatus status) =>
            {
                var text = request.Query["window"].ToString();
                var window = TrafficWindow.TenMinutes;
                if (text.Length > 0 && !TrafficReports.TryParseWindow(text, out window))
                    return Problem($"window '{Shorten(text)}' is not one of 10m, 10h, 5d.");
                var report = reports.Build(window, request.HttpContext.User);
                // A datacenter this console cannot collect from (the link is down) is shown as its own console collects it.
                var estate = status.Current;
                var cutOff = report.Datacenters.Where(d => peer.TrafficThroughPeer(d.Id, d.Collection.Collected, estate)).Select(d => d.Id).ToList();
                if (cutOff.Count == 0)
                    return Results.Json(report, EstateJson.Options);
                var json = System.Text.Json.JsonSerializer.SerializeToNode(report, EstateJson.Options)!.AsObject();
                var list = json["datacenters"]!.AsArray();
                foreach (var dc in cutOff)
                {
                    if (await peer.PeerJsonAsync(dc, $"/api/peer/traffic?window={TrafficReports.KeyOf(window)}", request.HttpContext.RequestAborted) is not { } theirs)
                        continue;
                    var index = list.Select((d, i) => (d, i)).First(x => x.d?["id"]?.GetValue<string>() == dc).i;
                    var datacenter = theirs["datacenter"]!.DeepClone().AsObject();
                    datacenter["through"] = theirs["through"]!.DeepClone();
                    list[index] = datacenter;
                }
                return Results.Content(json.ToJsonString(EstateJson.Options), "application/json", System.Text.Encoding.UTF8);
            })
            .WithName("GetTraffic")
            .RequireAuthorization(ConsolePolicies.Support);

        // The console in the other datacenter reads this one's own datacenter's traffic (its peer token only).
        endpoints.MapGet("/api/peer/traffic", (HttpRequest request, TrafficReports reports, IOptions<EstateOptions> estate) =>
            {
                var text = request.Query["window"].ToString();
                var window = TrafficWindow.TenMinutes;
                if (text.Length > 0 && !TrafficReports.TryParseWindow(text, out window))
                    return Problem($"window '{Shorten(text)}' is not one of 10m, 10h, 5d.");
                var own = reports.Build(window).Datacenters.FirstOrDefault(d => string.Equals(d.Id, estate.Value.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase));
                return own is null ? Results.NotFound() : Results.Json(new { datacenter = own }, EstateJson.Options);
            })
            .WithName("GetPeerTraffic")
            .RequireAuthorization(ConsolePolicies.Peer);

        endpoints.MapGet("/api/traffic/transactions", (HttpRequest request, RecentTransactions recent, IOptions<EstateOptions> estate) =>
            {
                var query = TransactionQuery.Parse(name => request.Query[name].ToString(), out var errors);
                if (query is null)
                    return Problem(errors.ToArray());
                var user = request.HttpContext.User;
                if (query.DatacenterId is { } asked && !DatacenterAccess.Allows(user, asked))
                    return NotAllowed(asked);
                query = query with { Datacenters = ReadableDatacenters(user, estate.Value) };
                var found = recent.Search(query);
                return Results.Json(new { count = found.Count, transactions = found }, EstateJson.Options);
            })
            .WithName("SearchTransactions")
            .RequireAuthorization(ConsolePolicies.Support);

        endpoints.MapGet("/api/traffic/transactions/{dc}/{instance}/{correlationId}/trace",
                async (string dc, string instance, string correlationId, HttpContext http, TrafficCollector collector, CancellationToken cancellationToken) =>
            {
                if (!DatacenterAccess.Allows(http.User, dc))
                    return NotAllowed(dc);
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

    /// <summary>The datacenters <paramref name="user"/> may read; null when that is every one (no filter needed).</summary>
    public static IReadOnlyCollection<string>? ReadableDatacenters(System.Security.Claims.ClaimsPrincipal user, EstateOptions estate)
    {
        var readable = estate.Datacenters.Select(d => d.Id).Where(id => DatacenterAccess.Allows(user, id)).ToList();
        return readable.Count == estate.Datacenters.Count ? null : readable;
    }

    private static IResult NotAllowed(string dc) =>
        Results.Json(new { errors = new[] { $"You may not read {Shorten(dc)}'s traffic." } }, EstateJson.Options, statusCode: 403);

    private static IResult Problem(params string[] errors) => Results.Json(new { errors }, EstateJson.Options, statusCode: 400);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
