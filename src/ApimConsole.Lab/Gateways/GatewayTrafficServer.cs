using System.Net;
using System.Security.Cryptography;
using System.Text;
using ApimConsole.Lab.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.Gateways;

/// <summary>
/// The traffic listeners of every gateway instance of the lab: one Kestrel server listening on each instance's own
/// loopback address, all on one shared port (as a real estate uses 8080 everywhere). The local address of a
/// connection says which instance it reached.
/// </summary>
internal sealed class GatewayTrafficServer : IAsyncDisposable
{
    private const int MaxBodyBytes = 1 << 20;

    private readonly IReadOnlyDictionary<IPAddress, GatewayInstance> _byAddress;
    private readonly IReadOnlyList<LabApiOptions> _apis;
    private readonly LabFaults _faults;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private WebApplication? _app;
    private LabProbeLog? _probeLog;

    private GatewayTrafficServer(IReadOnlyList<GatewayInstance> instances, IReadOnlyList<LabApiOptions> apis, LabFaults faults, TimeProvider time, ILogger logger, CancellationToken stopping)
    {
        _byAddress = instances.ToDictionary(i => i.Address);
        _apis = apis;
        _faults = faults;
        _time = time;
        _logger = logger;
        _stopping = stopping;
    }

    public int Port { get; private set; }

    public static async Task<GatewayTrafficServer> StartAsync(IReadOnlyList<GatewayInstance> instances, IReadOnlyList<LabApiOptions> apis, LabFaults faults, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken stopping, CancellationToken cancellationToken, LabProbeLog? probeLog = null)
    {
        var server = new GatewayTrafficServer(instances, apis, faults, time, loggerFactory.CreateLogger("ApimConsole.Lab.Gateways"), stopping) { _probeLog = probeLog };
        // One port must be free on every instance address: try candidates until one is.
        for (var attempt = 1; ; attempt++)
        {
            var port = LabHosting.CandidatePort();
            var app = server.Build(loggerFactory, port);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                server._app = app;
                server.Port = port;
                foreach (var instance in instances)
                    instance.WriteTrace(new TraceLine("INFO", time.GetUtcNow(), instance.ThreadId, CorrelationId: null, $"Server '{instance.Name}' listening on {instance.Address}:{port}", 0));
                return server;
            }
            catch (Exception e) when (attempt < 20 && LabHosting.IsAddressInUse(e))
            {
                server._logger.LogDebug("Gateway traffic port {Port} is taken on one of the instance addresses; trying another", port);
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private WebApplication Build(ILoggerFactory loggerFactory, int port)
    {
        var builder = LabHosting.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var instance in _byAddress.Values)
                kestrel.Listen(instance.Address, port, listen => listen.UseLabFaults(_faults, instance.DatacenterId, instance.Id, _time, _stopping));
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        return app;
    }

    private Task HandleAsync(HttpContext context)
    {
        var local = context.Connection.LocalIpAddress;
        if (local is null || !_byAddress.TryGetValue(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local, out var instance))
        {
            context.Abort();
            return Task.CompletedTask;
        }
        return FaultEnforcement.EnforceForRequestAsync(context, _faults, instance.DatacenterId, instance.Id, _time, _stopping, () => ServeAsync(context, instance));
    }

    private async Task ServeAsync(HttpContext context, GatewayInstance instance)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.Equals("/healthcheck", StringComparison.OrdinalIgnoreCase))
        {
            if (_probeLog is not null && context.Connection.RemoteIpAddress is { } remote
                && !(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).Equals(LabAddresses.LoadBalancerSource))
                _probeLog.Record($"{instance.DatacenterId}/{instance.Id}");
            await WriteHealthAsync(context, ok: true).ConfigureAwait(false);
            return;
        }
        if (path.Equals("/healthchecklb", StringComparison.OrdinalIgnoreCase))
        {
            await WriteHealthAsync(context, ok: !_faults.IsDraining(instance.DatacenterId, instance.Id)).ConfigureAwait(false);
            return;
        }
        await ServeApiCallAsync(context, instance, path).ConfigureAwait(false);
    }

    private static Task WriteHealthAsync(HttpContext context, bool ok)
    {
        context.Response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/xml";
        return context.Response.WriteAsync(ok ? "<status>ok</status>" : "<status>draining</status>", context.RequestAborted);
    }

    private async Task ServeApiCallAsync(HttpContext context, GatewayInstance instance, string path)
    {
        var started = _time.GetUtcNow();
        var startTicks = _time.GetTimestamp();
        var correlationId = RandomNumberGenerator.GetHexString(24, lowercase: true);
        var method = context.Request.Method;
        var uri = path + context.Request.QueryString.Value;
        var remote = context.Connection.RemoteIpAddress is { } r ? (r.IsIPv4MappedToIPv6 ? r.MapToIPv4() : r).ToString() : "";
        var received = await DrainBodyAsync(context).ConfigureAwait(false);

        var api = _apis.FirstOrDefault(a => path.Equals(a.Path, StringComparison.OrdinalIgnoreCase)
            || path.StartsWith(a.Path + "/", StringComparison.OrdinalIgnoreCase));
        int status;
        if (api is null)
        {
            status = StatusCodes.Status404NotFound;
        }
        else
        {
            status = SampleStatus(api, method);
            var latency = SampleLatency(api);
            if (latency > TimeSpan.Zero)
                await Task.Delay(latency, _time, context.RequestAborted).ConfigureAwait(false);
        }

        var serviceName = api?.Name ?? "";
        var operation = api is null ? "" : OperationName(method, path[api.Path.Length..]);
        var body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new
        {
            api = serviceName,
            operation,
            status,
            datacenter = instance.DatacenterId,
            instance = instance.Id,
            correlationId,
            message = api is null ? "No API matches the request path." : status < 400 ? "ok" : "error",
        }, LabHosting.Json));

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["X-CorrelationID"] = $"Id-{correlationId} 0";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);

        var durationMs = (long)_time.GetElapsedTime(startTicks).TotalMilliseconds;
        var finalStatus = status < 400 ? "Pass" : status < 500 ? "Fail" : "Error";
        var trace = new List<TraceLine>(5)
        {
            new("DEBUG", started, instance.ThreadId, correlationId, $"incoming call {method} {uri} from {remote} on {instance.Address}", 0),
            api is null
                ? new("INFO", started, instance.ThreadId, correlationId, $"no API matches path {path}", 0)
                : new("INFO", started, instance.ThreadId, correlationId, $"run circuit \"{api.Name}\" operation {operation}", 0),
        };
        if (api is not null)
        {
            trace.Add(new("DEBUG", started, instance.ThreadId, correlationId, "filter 'Set service context' returns true", 1));
            trace.Add(new("DEBUG", started, instance.ThreadId, correlationId, $"routing to backend of {api.Path}", 1));
        }
        trace.Add(new(status >= 500 ? "ERROR" : "INFO", started.AddMilliseconds(durationMs), instance.ThreadId, correlationId,
            $"transaction complete: status {status} ({finalStatus}) in {durationMs} ms", 0));

        instance.Record(new GatewayTransaction(correlationId, started, durationMs, status, method, uri, serviceName, operation, remote,
            body.Length, received, finalStatus, 0, trace));
    }

    private static async Task<long> DrainBodyAsync(HttpContext context)
    {
        var buffer = new byte[8192];
        long total = 0;
        int read;
        while (total < MaxBodyBytes && (read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            total += read;
        return total;
    }

    private static readonly int[] ClientErrors = [400, 401, 403, 404, 429];
    private static readonly int[] ServerErrors = [500, 502, 503, 504];

    private static int SampleStatus(LabApiOptions api, string method)
    {
        var r = Random.Shared.NextDouble();
        if (r < api.ServerErrorRate)
            return ServerErrors[Random.Shared.Next(ServerErrors.Length)];
        if (r < api.ServerErrorRate + api.ClientErrorRate)
            return ClientErrors[Random.Shared.Next(ClientErrors.Length)];
        return HttpMethods.IsPost(method) ? StatusCodes.Status201Created : StatusCodes.Status200OK;
    }

    /// <summary>Log-normal around the median, and one call in fifty 5 to 20 times slower: a latency tail.</summary>
    private static TimeSpan SampleLatency(LabApiOptions api)
    {
        var u1 = 1.0 - Random.Shared.NextDouble();
        var u2 = Random.Shared.NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        var factor = Math.Exp(0.5 * normal);
        if (Random.Shared.NextDouble() < 0.02)
            factor *= 5 + Random.Shared.NextDouble() * 15;
        return TimeSpan.FromMilliseconds(Math.Min(api.MedianLatency.TotalMilliseconds * factor, 30_000));
    }

    private static string OperationName(string method, string rest)
    {
        var segment = rest.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(s => !s.All(char.IsDigit)) ?? "root";
        return method.ToLowerInvariant() + char.ToUpperInvariant(segment[0]) + segment[1..];
    }

    public async ValueTask DisposeAsync() => await LabHosting.StopQuietlyAsync(_app, _logger).ConfigureAwait(false);
}
