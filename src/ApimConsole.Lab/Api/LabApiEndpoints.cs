using System.Text.Json;
using ApimConsole.Lab.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ApimConsole.Lab.Api;

/// <summary>The lab's control API: faults in force, the fault log, endpoints; inject and heal faults.</summary>
public static class LabApiEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;
    private const int RecentLogEntries = 100;

    /// <summary>Maps <c>/api/lab</c> for a running estate.</summary>
    public static RouteGroupBuilder MapLabApi(this IEndpointRouteBuilder endpoints, LabEstate estate) =>
        endpoints.MapLabApi(() => estate);

    /// <summary>
    /// Maps <c>/api/lab</c> (GET), <c>/api/lab/faults</c> (POST, DELETE) and <c>/api/lab/deployments</c> (GET).
    /// <paramref name="estate"/> may return null while the lab is not running: the API then answers 503.
    /// The returned group lets a host add authorization.
    /// </summary>
    public static RouteGroupBuilder MapLabApi(this IEndpointRouteBuilder endpoints, Func<LabEstate?> estate)
    {
        var group = endpoints.MapGroup("/api/lab");
        group.MapGet("", (RequestDelegate)(context => WithEstate(context, estate, lab => LabHosting.WriteJsonAsync(context, Describe(lab)))));
        group.MapPost("/faults", (RequestDelegate)(context => WithEstate(context, estate, lab => ApplyAsync(context, lab))));
        group.MapDelete("/faults", (RequestDelegate)(context => WithEstate(context, estate, lab =>
        {
            var entry = lab.Faults.HealAll();
            return LabHosting.WriteJsonAsync(context, new { applied = entry, faults = Faults(lab) });
        })));
        group.MapGet("/deployments", (RequestDelegate)(context => WithEstate(context, estate, lab =>
            LabHosting.WriteJsonAsync(context, new { pushes = lab.Deployments.Snapshot() }))));
        return group;
    }

    private static Task WithEstate(HttpContext context, Func<LabEstate?> estate, Func<LabEstate, Task> handler) =>
        estate() is { } lab
            ? handler(lab)
            : LabHosting.WriteJsonAsync(context, new { error = "The lab is not running." }, StatusCodes.Status503ServiceUnavailable);

    private static object Describe(LabEstate lab) => new
    {
        asOf = lab.Time.GetUtcNow(),
        faults = Faults(lab),
        probeDropRate = lab.Faults.ProbeDropRate,
        dropped = lab.Faults.DroppedProbes,
        log = lab.Faults.Log(RecentLogEntries),
        endpoints = lab.Endpoints,
        targets = new { examples = new[] { "dc2", "link", "dc1/instance-2", "dc1/cassandra-3", "dc1/anm" }, actions = LabFaults.Actions },
    };

    private static object Faults(LabEstate lab) =>
        lab.Faults.Active.Select(f => new
        {
            target = f.Target,
            action = f.Source == "drain" ? "drain" : f.Mode.ToString().ToLowerInvariant(),
            since = f.Source == "drain" ? (DateTimeOffset?)null : f.Since,
            source = f.Source,
        }).ToArray();

    private sealed record FaultRequest(string? Target, string? Action, double? Probability);

    private static async Task ApplyAsync(HttpContext context, LabEstate lab)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await BadRequest(context, $"The body is larger than {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }
        FaultRequest? request;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            if (buffer.Length > MaxBodyBytes)
            {
                await BadRequest(context, $"The body is larger than {MaxBodyBytes} bytes.").ConfigureAwait(false);
                return;
            }
            request = JsonSerializer.Deserialize<FaultRequest>(buffer.ToArray(), LabHosting.Json);
        }
        catch (JsonException e)
        {
            await BadRequest(context, $"The body is not valid JSON: {e.Message} Expected {{\"target\": \"dc2\", \"action\": \"down\"}}.").ConfigureAwait(false);
            return;
        }
        if (request is null)
        {
            await BadRequest(context, "Expected {\"target\": \"dc2\", \"action\": \"down\"}.").ConfigureAwait(false);
            return;
        }
        try
        {
            // "*" + "drop" loses a share of the console's probes at random, for soak runs.
            var entry = request is { Target: "*", Action: "drop" }
                ? lab.Faults.SetProbeDropRate(request.Probability ?? throw new LabFaultException("\"drop\" needs a \"probability\" between 0 and 1."))
                : lab.Faults.Apply(request.Target, request.Action);
            await LabHosting.WriteJsonAsync(context, new { applied = entry, faults = Faults(lab) }).ConfigureAwait(false);
        }
        catch (LabFaultException e)
        {
            await BadRequest(context, e.Message).ConfigureAwait(false);
        }
    }

    private static Task BadRequest(HttpContext context, string message) =>
        LabHosting.WriteJsonAsync(context, new { error = message }, StatusCodes.Status400BadRequest);
}
