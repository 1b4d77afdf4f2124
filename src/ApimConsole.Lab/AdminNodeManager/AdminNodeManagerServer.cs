using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ApimConsole.Lab.Faults;
using ApimConsole.Lab.Gateways;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.AdminNodeManager;

/// <summary>
/// One datacenter's Admin Node Manager: the subset of the ANM REST API (base <c>/api</c>, HTTP basic auth) the
/// console uses. Requests inside an instance go through the router and fail when the instance is down.
/// An uploaded archive whose bytes contain <see cref="LoadFailureMarker"/> fails to load on every instance, which then
/// rolls back to its previous configuration.
/// </summary>
internal sealed class AdminNodeManagerServer : IAsyncDisposable
{
    public const string ComponentId = "anm";
    public const string LoadFailureMarker = "lab:fail-load";
    private const long MaxArchiveBytes = 64L << 20;

    private readonly LabDatacenter _dc;
    private readonly LabFaults _faults;
    private readonly DeploymentLog _deployments;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly string _expectedAuthorization;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UploadedArchive> _archives = new(StringComparer.Ordinal);
    /// <summary>Policy archives waiting for their environment archive.</summary>
    private readonly Dictionary<string, UploadedArchive> _policies = new(StringComparer.Ordinal);
    private WebApplication? _app;

    private sealed record UploadedArchive(string ArchiveId, string GroupId, string FileName, long Size, bool FailsToLoad, DateTimeOffset UploadedAt)
    {
        public byte[] Content { get; init; } = [];
    }

    public AdminNodeManagerServer(LabDatacenter dc, string username, string password, LabFaults faults, DeploymentLog deployments, TimeProvider time, ILogger logger, CancellationToken stopping)
    {
        _dc = dc;
        _faults = faults;
        _deployments = deployments;
        _time = time;
        _logger = logger;
        _stopping = stopping;
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
    }

    public int Port { get; private set; }

    /// <summary>How long a configuration push is held before the instance loads it (<see cref="LabOptions.PushDelay"/>).</summary>
    public TimeSpan PushDelay { get; init; }

    private int _pushesInFlight;

    /// <summary>Configuration pushes received and not yet carried out (held by <see cref="PushDelay"/> or loading).</summary>
    public int PushesInFlight => Volatile.Read(ref _pushesInFlight);
    /// <summary>Where topology reads are noted, if anywhere.</summary>
    public LabProbeLog? ProbeLog { get; init; }

    public async Task StartAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = LabHosting.CreateBuilder(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxArchiveBytes + (1 << 20);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseLabFaults(_faults, _dc.Id, ComponentId, _time, _stopping));
        });
        var app = builder.Build();
        app.Use((context, next) => FaultEnforcement.EnforceForRequestAsync(context, _faults, _dc.Id, ComponentId, _time, _stopping, () => next(context)));
        app.Use(RequireBasicAuth);
        Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = LabHosting.BoundPort(app);
    }

    private async Task RequireBasicAuth(HttpContext context, Func<Task> next)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(_expectedAuthorization)))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"API Gateway Admin Node Manager\"";
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, 401, "Authentication required").ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }

    private void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/topology", (RequestDelegate)(context =>
        {
            ProbeLog?.Record($"{_dc.Id}/{ComponentId}");
            return LabHosting.WriteJsonAsync(context, new { result = Topology() });
        }));
        app.MapGet("/api/management/status/{groupId}/{serviceId}", (RequestDelegate)Status);
        app.MapPost("/api/management/start/{groupId}/{serviceId}", (RequestDelegate)(context => StartStop(context, start: true)));
        app.MapPost("/api/management/stop/{groupId}/{serviceId}", (RequestDelegate)(context => StartStop(context, start: false)));

        const string router = "/api/router/service/{instanceId}";
        app.MapGet(router + "/api/monitoring/summary", (RequestDelegate)(context => Route(context, i => Summary(context, i))));
        app.MapGet(router + "/api/monitoring/metrics/timeline", (RequestDelegate)(context => Route(context, i => Timeline(context, i))));
        app.MapGet(router + "/ops/search", (RequestDelegate)(context => Route(context, i => Search(context, i))));
        app.MapGet(router + "/ops/trace/{correlationId}", (RequestDelegate)(context => Route(context, i => Trace(context, i))));
        app.MapGet(router + "/api/configuration/archiveId", (RequestDelegate)(context => Route(context, i => LabHosting.WriteJsonAsync(context, new { result = i.ArchiveId }))));
        app.MapPut(router + "/api/configuration", (RequestDelegate)PushConfiguration);

        app.MapPost("/api/deployment/group/configuration/file/{groupId}", (RequestDelegate)(context => Upload(context, UploadKind.Deployment)));
        app.MapPost("/api/deployment/group/configuration/file/policy/{groupId}", (RequestDelegate)(context => Upload(context, UploadKind.Policy)));
        app.MapPost("/api/deployment/group/configuration/file/environment/{groupId}", (RequestDelegate)(context => Upload(context, UploadKind.Environment)));
        app.MapGet("/api/deployment/domain/deployments", (RequestDelegate)(context => LabHosting.WriteJsonAsync(context, new { result = Deployments() })));
        app.MapFallback((RequestDelegate)(context => LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 404, $"No resource at {context.Request.Path}")));
    }

    private object Topology() => new
    {
        id = $"domain-{_dc.Id}",
        version = "v7.7",
        productVersion = "7.7.0",
        hosts = _dc.Hosts.Select(h => new { id = h.Id, name = h.Name }).ToArray(),
        groups = new[]
        {
            new
            {
                id = "group-1",
                name = "Node Manager Group",
                tags = new Dictionary<string, string>(),
                services = new[]
                {
                    new { id = "nodemanager-1", name = $"{_dc.Name} Admin Node Manager", type = "nodemanager", scheme = "http", hostID = _dc.Hosts[0].Id, managementPort = Port, tags = new Dictionary<string, string>(), enabled = true },
                },
            },
        }.Concat(_dc.Groups.Select(g => new
        {
            id = g.Id,
            name = g.Name,
            tags = new Dictionary<string, string> { ["zone"] = g.Zone },
            services = _dc.Instances.Where(i => i.Group.Id == g.Id).Select(i => new
            {
                id = i.Id,
                name = i.Name,
                type = "gateway",
                // Real instances expose management on 8085 over TLS; the lab reaches them only through the router.
                scheme = "https",
                hostID = i.HostId,
                managementPort = 8085,
                tags = new Dictionary<string, string> { ["datacenter"] = _dc.Id },
                enabled = true,
            }).ToArray(),
        })).ToArray(),
    };

    private Task Status(HttpContext context)
    {
        var groupId = (string)context.Request.RouteValues["groupId"]!;
        var serviceId = (string)context.Request.RouteValues["serviceId"]!;
        if (!TryFindService(groupId, serviceId, out var instance, out var code, out var message))
            return LabHosting.WriteJsonAsync(context, new { result = "-1", errors = new[] { new { code, message } } });
        var running = instance is null || !_faults.IsStopped(_dc.Id, instance.Id);
        return LabHosting.WriteJsonAsync(context, new { result = running ? "0" : "3" });
    }

    private Task StartStop(HttpContext context, bool start)
    {
        var groupId = (string)context.Request.RouteValues["groupId"]!;
        var serviceId = (string)context.Request.RouteValues["serviceId"]!;
        if (!TryFindService(groupId, serviceId, out var instance, out var code, out var message))
            return LabHosting.WriteJsonAsync(context, new { result = "-1", errors = new[] { new { code, message } } }, StatusCodes.Status404NotFound);
        if (instance is null)
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, "The Node Manager cannot be started or stopped through itself.");
        _faults.Apply($"{_dc.Id}/{instance.Id}", start ? "up" : "down", source: "anm");
        _logger.LogInformation("ANM {Datacenter}: {Action} {Instance}", _dc.Id, start ? "start" : "stop", instance.Id);
        instance.WriteTrace(new TraceLine("INFO", _time.GetUtcNow(), instance.ThreadId, TraceLine.NoCorrelation, start ? "Server started" : "Server shutting down", 0));
        return LabHosting.WriteJsonAsync(context, new { result = start ? "0" : "3" });
    }

    /// <summary>601: no such group; 602: no such service in the group. A null instance is the node manager.</summary>
    private bool TryFindService(string groupId, string serviceId, out GatewayInstance? instance, out int code, out string message)
    {
        instance = null;
        code = 0;
        message = "";
        if (groupId == "group-1")
        {
            if (serviceId == "nodemanager-1")
                return true;
            (code, message) = (602, $"Service '{serviceId}' not found in group '{groupId}'");
            return false;
        }
        if (!_dc.Groups.Any(g => g.Id == groupId))
        {
            (code, message) = (601, $"Group '{groupId}' not found");
            return false;
        }
        instance = _dc.Instances.FirstOrDefault(i => i.Group.Id == groupId && i.Id == serviceId);
        if (instance is null)
        {
            (code, message) = (602, $"Service '{serviceId}' not found in group '{groupId}'");
            return false;
        }
        return true;
    }

    /// <summary>The router's hop to an instance: refused while it is down, held while it hangs, delayed while slow.</summary>
    private async Task Route(HttpContext context, Func<GatewayInstance, Task> handler)
    {
        var instanceId = (string)context.Request.RouteValues["instanceId"]!;
        var instance = _dc.Instances.FirstOrDefault(i => i.Id == instanceId);
        if (instance is null)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 602, $"Service '{instanceId}' not found in domain-{_dc.Id}").ConfigureAwait(false);
            return;
        }
        bool reachable;
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping))
            reachable = await FaultEnforcement.WaitOutAsync(_faults, _dc.Id, instance.Id, remote: null, _time, cts.Token).ConfigureAwait(false);
        if (!reachable)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, 503,
                $"Failed to route request to service '{instance.Id}': connection refused by {instance.Address}:8085").ConfigureAwait(false);
            return;
        }
        await handler(instance).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>api/monitoring/summary</c> as the reference gives it: the instance, and under <c>summaryMetrics</c> the System
    /// overview counters since it started (<c>uptime</c> in seconds).
    /// </summary>
    private Task Summary(HttpContext context, GatewayInstance instance)
    {
        var (successes, failures, exceptions) = instance.Totals;
        var now = _time.GetUtcNow();
        return LabHosting.WriteJsonAsync(context, new
        {
            result = new
            {
                id = instance.Id,
                name = instance.Name,
                groupId = instance.Group.Id,
                groupName = instance.Group.Name,
                hostName = instance.HostId,
                summaryMetrics = new
                {
                    groupName = "System overview",
                    numMessages = successes + failures + exceptions,
                    successes,
                    failures,
                    exceptions,
                    uptime = (long)(now - instance.StartedAt).TotalSeconds,
                    cpuUsed = 0,
                    cpuUsedAvg = 0,
                    cpuUsedMax = 0,
                    metricsStoreError = 0,
                },
            },
        });
    }

    private static readonly string[] KnownMetrics = ["successes", "failures", "exceptions", "numMessages"];

    /// <summary>
    /// <c>api/monitoring/metrics/timeline</c>: a MetricTimeline <c>{name, series: [{name, pointInterval, pointStart, data}]}</c>,
    /// one series per <c>metricType</c> (default <c>successes</c>), 120 points over the timeline (10m: 5 s each; 10h, 5d),
    /// from what the instance still holds.
    /// </summary>
    private Task Timeline(HttpContext context, GatewayInstance instance)
    {
        var timeline = context.Request.Query["timeline"].ToString() is { Length: > 0 } tl ? tl : "10m";
        TimeSpan? window = timeline switch
        {
            "10m" => TimeSpan.FromMinutes(10),
            "10h" => TimeSpan.FromHours(10),
            "5d" => TimeSpan.FromDays(5),
            _ => null,
        };
        if (window is null)
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 404, $"Unsupported timeline period '{timeline}' (one of 10m, 10h, 5d)");
        var metrics = context.Request.Query["metricType"].Where(m => !string.IsNullOrEmpty(m)).Select(m => m!).Distinct().ToList();
        if (metrics.Count == 0)
            metrics = ["successes"];
        var unknown = metrics.FirstOrDefault(m => !KnownMetrics.Contains(m));
        if (unknown is not null)
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"Unknown metricType '{unknown}' (known: {string.Join(", ", KnownMetrics)})");

        const int points = 120;
        var interval = window.Value / points;
        var now = _time.GetUtcNow();
        var start = now - window.Value;
        var buckets = KnownMetrics.ToDictionary(m => m, _ => new double[points]);
        foreach (var t in instance.Search(_ => true, start, int.MaxValue))
        {
            var index = (int)((t.Timestamp - start) / interval);
            if (index is < 0 or >= points)
                continue;
            buckets["numMessages"][index]++;
            buckets[t.FinalStatus switch { "Pass" => "successes", "Fail" => "failures", _ => "exceptions" }][index]++;
        }
        return LabHosting.WriteJsonAsync(context, new
        {
            result = new
            {
                name = metrics[0],
                series = metrics.Select(m => new
                {
                    name = m,
                    pointInterval = (long)interval.TotalMilliseconds,
                    pointStart = start.ToUnixTimeMilliseconds(),
                    data = buckets[m],
                }).ToArray(),
            },
        });
    }

    private static readonly string[] SearchFields = ["leg", "correlationId", "status", "method", "uri", "serviceName", "finalStatus", "remoteAddr"];

    /// <summary>
    /// ops/search: newest first; count at most 1000 (default 100); <c>ago</c> bounds the age in minutes or hours as the
    /// traffic monitor takes it (<c>10m</c>, <c>24h</c>; default 10m); <c>protocol</c> http (the default) only, the lab
    /// records nothing else.
    /// </summary>
    private Task Search(HttpContext context, GatewayInstance instance)
    {
        var query = context.Request.Query;
        var field = query["field"].ToString();
        var value = query["value"].ToString();
        if (field.Length > 0 && !SearchFields.Contains(field))
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"Unknown search field '{field}' (known: {string.Join(", ", SearchFields)})");
        var count = 100;
        if (query["count"].ToString() is { Length: > 0 } countText && (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, "count must be a positive integer");
        count = Math.Min(count, 1000);
        var ago = ParseAgo(query["ago"].ToString());
        if (ago is null)
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, "ago must be minutes or hours, like 10m or 24h");
        if (query["protocol"].ToString() is { Length: > 0 } protocol && protocol != "http")
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"The lab records only protocol 'http', not '{protocol}'");

        Func<GatewayTransaction, bool> match = field switch
        {
            "" => _ => true,
            "leg" => t => t.Leg.ToString(CultureInfo.InvariantCulture) == value,
            "correlationId" => t => t.CorrelationId == value,
            "status" => t => t.Status.ToString(CultureInfo.InvariantCulture) == value,
            "method" => t => string.Equals(t.Method, value, StringComparison.OrdinalIgnoreCase),
            "uri" => t => t.Uri.Contains(value, StringComparison.OrdinalIgnoreCase),
            "serviceName" => t => string.Equals(t.ServiceName, value, StringComparison.OrdinalIgnoreCase),
            "finalStatus" => t => string.Equals(t.FinalStatus, value, StringComparison.OrdinalIgnoreCase),
            _ => t => t.RemoteAddr == value,
        };
        var found = instance.Search(match, _time.GetUtcNow() - ago.Value, count);
        return LabHosting.WriteJsonAsync(context, new
        {
            data = found.Select(t => new
            {
                correlationId = t.CorrelationId,
                timestamp = t.Timestamp.ToUnixTimeMilliseconds(),
                duration = t.DurationMs,
                status = t.Status,
                method = t.Method,
                uri = t.Uri,
                serviceName = t.ServiceName,
                operation = t.Operation,
                remoteAddr = t.RemoteAddr,
                bytesSent = t.BytesSent,
                bytesReceived = t.BytesReceived,
                finalStatus = t.FinalStatus,
                leg = t.Leg,
            }).ToArray(),
        });
    }

    private Task Trace(HttpContext context, GatewayInstance instance)
    {
        var correlationId = (string)context.Request.RouteValues["correlationId"]!;
        var transaction = instance.Find(correlationId);
        if (transaction is null)
            return LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 404, $"No transaction '{correlationId}' on {instance.Id}");
        return LabHosting.WriteJsonAsync(context, transaction.Trace.Select(l => new
        {
            level = l.Level,
            text = l.Text,
            time = l.Time.ToUnixTimeMilliseconds(),
            depth = l.Depth,
        }).ToArray());
    }

    private enum UploadKind { Deployment, Policy, Environment }

    /// <summary>
    /// The three uploads of the reference: a deployment archive (<c>.fed</c>, field <c>file</c>) to <c>file/{groupId}</c>;
    /// a policy archive (<c>.pol</c>, field <c>policyFile</c>) to <c>file/policy/{groupId}</c>, kept until its environment
    /// archive (<c>.env</c>, field <c>environmentFile</c>) comes to <c>file/environment/{groupId}?relatedPolicyArchiveID=</c>,
    /// which merges the two into a deployment archive. Each answers <c>{"result": "&lt;id&gt;"}</c>.
    /// </summary>
    private async Task Upload(HttpContext context, UploadKind kind)
    {
        var groupId = (string)context.Request.RouteValues["groupId"]!;
        var (field, extension) = kind switch
        {
            UploadKind.Policy => ("policyFile", ".pol"),
            UploadKind.Environment => ("environmentFile", ".env"),
            _ => ("file", ".fed"),
        };
        if (!_dc.Groups.Any(g => g.Id == groupId))
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 601, $"Group '{groupId}' not found").ConfigureAwait(false);
            return;
        }
        UploadedArchive? policy = null;
        if (kind == UploadKind.Environment)
        {
            var related = context.Request.Query["relatedPolicyArchiveID"].ToString();
            lock (_gate)
                policy = _policies.GetValueOrDefault(related);
            if (policy is null || policy.GroupId != groupId)
            {
                await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400,
                    related.Length == 0 ? "relatedPolicyArchiveID is required" : $"No policy archive '{related}' was uploaded to group '{groupId}'").ConfigureAwait(false);
                return;
            }
        }
        if (!context.Request.HasFormContentType)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"Expected a multipart/form-data upload with the {extension} in field '{field}'").ConfigureAwait(false);
            return;
        }
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"Unreadable upload: {e.Message}").ConfigureAwait(false);
            return;
        }
        var file = form.Files.GetFile(field);
        if (form.Files.Count != 1 || file is null)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400,
                $"Expected one file in field '{field}' (got {(form.Files.Count == 0 ? "none" : string.Join(", ", form.Files.Select(f => $"'{f.Name}'")))})").ConfigureAwait(false);
            return;
        }
        if (file.Length == 0 || !HasExtension(file, extension))
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"Field '{field}' must hold a non-empty {extension} file").ConfigureAwait(false);
            return;
        }
        if (file.Length + (policy?.Content.Length ?? 0) > MaxArchiveBytes)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, $"The archive is larger than {MaxArchiveBytes} bytes").ConfigureAwait(false);
            return;
        }
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            // A merged archive is the policy, then the environment.
            if (policy is not null)
                buffer.Write(policy.Content);
            await using (var stream = file.OpenReadStream())
                await stream.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }
        // Same content, same id, in either datacenter: that is what lets a console compare deployments across DCs.
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
        var failsToLoad = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(LoadFailureMarker)) >= 0;
        var name = policy is null ? file.FileName : $"{policy.FileName} + {file.FileName}";
        if (kind == UploadKind.Policy)
        {
            // A policy archive alone is not loadable: kept (its bytes too) for the environment upload that names it.
            var policyId = "pol-" + hash;
            lock (_gate)
                _policies[policyId] = new UploadedArchive(policyId, groupId, name, bytes.Length, failsToLoad, _time.GetUtcNow()) { Content = bytes };
            _logger.LogInformation("ANM {Datacenter}: policy archive {ArchiveId} uploaded for {Group}", _dc.Id, policyId, groupId);
            await LabHosting.WriteJsonAsync(context, new { result = policyId }).ConfigureAwait(false);
            return;
        }
        lock (_gate)
            _archives[hash] = new UploadedArchive(hash, groupId, name, bytes.Length, failsToLoad, _time.GetUtcNow());
        _logger.LogInformation("ANM {Datacenter}: archive {ArchiveId} uploaded for {Group}", _dc.Id, hash, groupId);
        await LabHosting.WriteJsonAsync(context, new { result = hash }).ConfigureAwait(false);
    }

    private static bool HasExtension(IFormFile file, string extension) =>
        file.FileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    private async Task PushConfiguration(HttpContext context)
    {
        var instanceId = (string)context.Request.RouteValues["instanceId"]!;
        var archiveId = context.Request.Query["archiveId"].ToString();
        var instance = _dc.Instances.FirstOrDefault(i => i.Id == instanceId);
        if (instance is null)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 602, $"Service '{instanceId}' not found in domain-{_dc.Id}").ConfigureAwait(false);
            return;
        }
        if (archiveId.Length == 0)
        {
            await LabHosting.WriteErrorAsync(context, StatusCodes.Status400BadRequest, 400, "archiveId is required").ConfigureAwait(false);
            return;
        }
        Interlocked.Increment(ref _pushesInFlight);
        try
        {
            await PushHeldAsync(context, instance, archiveId).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pushesInFlight);
        }
    }

    private async Task PushHeldAsync(HttpContext context, GatewayInstance instance, string archiveId)
    {
        var received = _time.GetUtcNow();
        // Held without the request's token: like a real ANM, the load goes on when the caller goes away.
        if (PushDelay > TimeSpan.Zero)
            await Task.Delay(PushDelay, _time, _stopping).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        if (_faults.IsStopped(_dc.Id, instance.Id))
        {
            _deployments.Append(received, now, _dc.Id, instance.Group.Id, instance.Id, archiveId, DeploymentLog.InstanceUnavailable);
        }
        await Route(context, async i =>
        {
            UploadedArchive? archive;
            lock (_gate)
                archive = _archives.GetValueOrDefault(archiveId);
            if (archive is null || archive.GroupId != i.Group.Id)
            {
                _deployments.Append(received, _time.GetUtcNow(), _dc.Id, i.Group.Id, i.Id, archiveId, DeploymentLog.UnknownArchive);
                await LabHosting.WriteErrorAsync(context, StatusCodes.Status404NotFound, 404, $"Archive '{archiveId}' was not uploaded to group '{i.Group.Id}'").ConfigureAwait(false);
                return;
            }
            var previous = i.ArchiveId;
            if (archive.FailsToLoad)
            {
                _deployments.Append(received, _time.GetUtcNow(), _dc.Id, i.Group.Id, i.Id, archiveId, DeploymentLog.RolledBack);
                i.WriteTrace(new TraceLine("ERROR", _time.GetUtcNow(), i.ThreadId, TraceLine.NoCorrelation, $"Failed to load configuration {archiveId}; rolled back to {previous}", 0));
                // The reference's answer to a load: 200 either way, result.status false when it failed and rolled back.
                await LabHosting.WriteJsonAsync(context, new
                {
                    result = new
                    {
                        status = false,
                        errorCount = 1,
                        failureReason = $"Failed to load configuration {archiveId} on {i.Id}; rolled back to {previous}",
                        traceData = new { traceRecords = new[] { new { dateTime = _time.GetUtcNow().ToUnixTimeMilliseconds(), level = 1, message = $"Failed to load configuration {archiveId}" } } },
                    },
                }).ConfigureAwait(false);
                return;
            }
            i.LoadArchive(archiveId);
            _deployments.Append(received, _time.GetUtcNow(), _dc.Id, i.Group.Id, i.Id, archiveId, DeploymentLog.Loaded);
            i.WriteTrace(new TraceLine("INFO", _time.GetUtcNow(), i.ThreadId, TraceLine.NoCorrelation, $"Configuration {archiveId} loaded (was {previous})", 0));
            await LabHosting.WriteJsonAsync(context, new
            {
                result = new
                {
                    status = true,
                    errorCount = 0,
                    traceData = new { traceRecords = new[] { new { dateTime = _time.GetUtcNow().ToUnixTimeMilliseconds(), level = 3, message = $"Configuration {archiveId} loaded (was {previous})" } } },
                },
            }).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>deployment/domain/deployments</c> as the reference gives it: group id → instance id → the properties of the
    /// archive it runs (<c>rootProperties.Id</c> is its id).
    /// </summary>
    private Dictionary<string, Dictionary<string, object>> Deployments() => _dc.Groups.ToDictionary(g => g.Id, g =>
        _dc.Instances.Where(i => i.Group.Id == g.Id).ToDictionary(i => i.Id, i => (object)new
        {
            rootProperties = new Dictionary<string, string> { ["Id"] = i.ArchiveId, ["Name"] = $"{g.Name} configuration" },
        }));

    /// <summary><c>ago</c> of ops/search: "10m", "24h"; empty gives 10 minutes; null when unreadable (seconds and days included).</summary>
    internal static TimeSpan? ParseAgo(string text)
    {
        if (string.IsNullOrEmpty(text))
            return TimeSpan.FromMinutes(10);
        if (text.Length < 2 || !int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 100_000)
            return null;
        return text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => null,
        };
    }

    public async ValueTask DisposeAsync() => await LabHosting.StopQuietlyAsync(_app, _logger).ConfigureAwait(false);
}
