using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ApimConsole.Lab;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Traffic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.AdminNodeManager;

/// <summary>An ANM the contract runs against: where it is, and the group and instance it holds.</summary>
public interface IAnmPeer
{
    string Url { get; }
    string Username { get; }
    string Password { get; }
    string GroupId { get; }
    string InstanceId { get; }
}

/// <summary>
/// Every ANM read and call of the console, with the same assertions against two peers: the reference-shaped samples
/// (<c>Samples/*.json</c>, served by <see cref="SampleAnm"/>, which also checks each request as the reference describes
/// it) and the lab's ANM. A shape the console does not read fails here against the samples; a lab that drifts from the
/// reference fails here against the lab.
/// </summary>
public abstract class AnmContract<TPeer>(TPeer peer) : IDisposable where TPeer : IAnmPeer
{
    /// <summary>An archive whose content holds this fails to load on the instance (the lab's marker; the samples server honours it too).</summary>
    public const string FailsToLoad = "lab:fail-load";

    private readonly HttpClient _http = new HttpClient(EstateHttpClients.CreateHandler(TimeSpan.FromSeconds(10), acceptAnyCertificate: false)) { Timeout = Timeout.InfiniteTimeSpan };

    protected TPeer Peer { get; } = peer;

    public void Dispose() => _http.Dispose();

    private AdminNodeManagerClient Anm => new(_http, Peer.Url, Peer.Username, Peer.Password);
    private AnmTrafficClient Traffic => new(_http, Peer.Url, Peer.Username, Peer.Password);
    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;
    private static AnmArchiveFile File(string name, string content) => new(name, Encoding.UTF8.GetBytes(content));

    [Fact]
    public async Task Topology_NamesTheGroupAndItsGatewayInstance()
    {
        var topology = await Anm.GetTopologyAsync(Deadline());
        var group = Assert.Single(topology.Groups, g => g.Id == Peer.GroupId);
        Assert.Contains(group.Gateways, s => s.Id == Peer.InstanceId && s.Enabled);
        Assert.Contains(topology.Groups.SelectMany(g => g.Services), s => s.Type == "nodemanager");
    }

    [Fact]
    public async Task ManagementStatus_OfARunningInstance_IsRunning()
    {
        var (status, _) = await Anm.GetStatusAsync(Peer.GroupId, Peer.InstanceId, Deadline());
        Assert.Equal(ManagementStatus.Running, status);
    }

    [Fact]
    public async Task MonitoringSummary_CountsTheInstancesMessages()
    {
        var summary = await Traffic.GetSummaryAsync(Peer.InstanceId, DateTimeOffset.UnixEpoch, Deadline());
        // Counters read as 0 when the console looks for them in the wrong place: the peers have handled messages.
        Assert.True(summary.Processed > 0, $"numMessages read as {summary.Processed}");
        Assert.True(summary.Successes > 0, $"successes read as {summary.Successes}");
        Assert.True(summary.Failures > 0, $"failures read as {summary.Failures}");
        Assert.True(summary.Successes + summary.Failures <= summary.Processed);
        Assert.NotNull(summary.Uptime);
    }

    [Fact]
    public async Task MonitoringTimeline_HoldsTheSuccessesAndFailuresSeries()
    {
        var timeline = await Traffic.GetTimelineAsync(Peer.InstanceId, Deadline());
        Assert.True(timeline.Total > 0, "the timeline read as empty");
        Assert.True(timeline.Failures.Sum() > 0, "no failure in the failures series");
        Assert.Equal(TimeSpan.FromSeconds(5), timeline.Interval);
        Assert.Equal(timeline.Successes.Count, timeline.Failures.Count);
    }

    [Fact]
    public async Task OpsSearch_FindsTheHttpTransactions_AndOnesTraceIsRead()
    {
        // The search is what real traffic monitor clients send: protocol=http, ago in minutes; the peers refuse anything else.
        var transactions = await Traffic.SearchAsync("dc1", Peer.InstanceId, 1000, TimeSpan.FromMinutes(10), Deadline());
        Assert.NotEmpty(transactions);
        Assert.All(transactions, t => Assert.Matches("^[0-9a-f]+$", t.CorrelationId));
        Assert.Contains(transactions, t => !t.Succeeded);
        Assert.True(transactions.Zip(transactions.Skip(1)).All(p => p.First.Timestamp >= p.Second.Timestamp), "not newest first");

        var trace = await Traffic.GetTraceAsync(Peer.InstanceId, transactions[0].CorrelationId, Deadline());
        Assert.NotEmpty(trace);
        Assert.All(trace, line => Assert.False(string.IsNullOrEmpty(line.Level)));
    }

    [Fact]
    public async Task ArchiveId_OfTheInstance_IsRead()
    {
        Assert.False(string.IsNullOrEmpty(await Anm.GetArchiveIdAsync(Peer.InstanceId, Deadline())));
    }

    [Fact]
    public async Task DeploymentArchive_IsOneUpload_ThenLoads()
    {
        var archiveId = await Anm.UploadConfigurationAsync(Peer.GroupId, [File("zone.fed", "PK deployment archive")], Deadline());
        var result = await Anm.PushConfigurationAsync(Peer.InstanceId, archiveId, Deadline());
        Assert.Equal((AnmLoadStatus.Loaded, archiveId, null), (result.Status, result.LiveArchiveId, result.Message));
    }

    [Fact]
    public async Task PolicyAndEnvironmentArchives_AreTwoUploads_ThenTheMergedArchiveLoads()
    {
        var archiveId = await Anm.UploadConfigurationAsync(Peer.GroupId, [File("zone.pol", "PK policy archive"), File("zone.env", "PK environment archive")], Deadline());
        var result = await Anm.PushConfigurationAsync(Peer.InstanceId, archiveId, Deadline());
        Assert.Equal(AnmLoadStatus.Loaded, result.Status);
    }

    [Fact]
    public async Task ArchiveThatFailsToLoad_IsRolledBack_WithTheAnmsReason()
    {
        var archiveId = await Anm.UploadConfigurationAsync(Peer.GroupId, [File("broken.fed", "PK " + FailsToLoad)], Deadline());
        var result = await Anm.PushConfigurationAsync(Peer.InstanceId, archiveId, Deadline());
        Assert.Equal(AnmLoadStatus.RolledBack, result.Status);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
        Assert.NotNull(result.LiveArchiveId);
        Assert.NotEqual(archiveId, result.LiveArchiveId);
    }

    [Fact]
    public async Task DomainDeployments_NameTheArchiveEachInstanceRuns()
    {
        var groups = await Anm.GetDeploymentsAsync(Deadline());
        var instance = Assert.Single(Assert.Single(groups, g => g.GroupId == Peer.GroupId).Instances, i => i.InstanceId == Peer.InstanceId);
        Assert.Equal(await Anm.GetArchiveIdAsync(Peer.InstanceId, Deadline()), instance.ArchiveId);
    }
}

/// <summary>The contract against the reference-shaped samples.</summary>
public sealed class AnmContractAgainstSamples(SampleAnm peer) : AnmContract<SampleAnm>(peer), IClassFixture<SampleAnm>
{
    [Fact]
    public async Task TheSamplesFigures_AreTheOnesRead()
    {
        using var http = new HttpClient(EstateHttpClients.CreateHandler(TimeSpan.FromSeconds(10), acceptAnyCertificate: false)) { Timeout = Timeout.InfiniteTimeSpan };
        var traffic = new AnmTrafficClient(http, Peer.Url, Peer.Username, Peer.Password);
        var summary = await traffic.GetSummaryAsync(Peer.InstanceId, DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.Equal((1842L, 1790L, 47L, (long?)5L, TimeSpan.FromDays(1)), (summary.Processed, summary.Successes, summary.Failures, summary.Exceptions, summary.Uptime!.Value));
        var timeline = await traffic.GetTimelineAsync(Peer.InstanceId, CancellationToken.None);
        Assert.Equal((DateTimeOffset.FromUnixTimeMilliseconds(1764979200000), 21L, 3L), (timeline.Start, timeline.Successes.Sum(), timeline.Failures.Sum()));
        Assert.Contains(Peer.Requests, r => r.StartsWith("GET /api/router/service/instance-1/ops/search?", StringComparison.Ordinal) && r.Contains("protocol=http") && r.Contains("ago=10m"));
    }

    [Fact]
    public async Task PolicyAndEnvironment_GoInTheDocumentedFields_TheEnvironmentNamingItsPolicyArchive()
    {
        using var http = new HttpClient(EstateHttpClients.CreateHandler(TimeSpan.FromSeconds(10), acceptAnyCertificate: false)) { Timeout = Timeout.InfiniteTimeSpan };
        var anm = new AdminNodeManagerClient(http, Peer.Url, Peer.Username, Peer.Password);
        var archiveId = await anm.UploadConfigurationAsync(Peer.GroupId, [new("a.env", "e"u8.ToArray()), new("a.pol", "p"u8.ToArray())], CancellationToken.None);
        Assert.Equal(SampleAnm.MergedArchiveId, archiveId);
        var uploads = Peer.Requests.Where(r => r.StartsWith("POST ", StringComparison.Ordinal)).TakeLast(2).ToList();
        Assert.Equal(
        [
            "POST /api/deployment/group/configuration/file/policy/group-2 policyFile=a.pol",
            $"POST /api/deployment/group/configuration/file/environment/group-2?relatedPolicyArchiveID={SampleAnm.PolicyArchiveId} environmentFile=a.env",
        ], uploads);
    }
}

/// <summary>The contract against the lab's ANM, after traffic through the instance.</summary>
public sealed class AnmContractAgainstTheLab(LabAnm peer) : AnmContract<LabAnm>(peer), IClassFixture<LabAnm>;

/// <summary>The lab, with a few requests (and a failure) through dc1's instance-1 so its counters are not zero.</summary>
public sealed class LabAnm : IAnmPeer, IAsyncLifetime
{
    private LabEstate _lab = null!;

    public string Url => _lab.Endpoints["dc1"].AnmUrl;
    public string Username => _lab.Endpoints["dc1"].AnmUsername;
    public string Password => _lab.Endpoints["dc1"].AnmPassword;
    public string GroupId => "group-2";
    public string InstanceId => "instance-1";

    public async Task InitializeAsync()
    {
        _lab = await LabEstate.StartAsync(new LabOptions
        {
            StartCassandra = false,
            TrafficRatePerSecond = 0,
            Apis = [new LabApiOptions { Path = "/ok", Name = "Always OK", ClientErrorRate = 0, ServerErrorRate = 0, MedianLatency = TimeSpan.Zero }],
        }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = _lab.Endpoints["dc1"].Gateways.Single(g => g.InstanceId == InstanceId).TrafficUrl;
        for (var i = 0; i < 5; i++)
            (await client.GetAsync(url + "/ok")).Dispose();
        (await client.GetAsync(url + "/nowhere")).Dispose(); // no API there: a failure
    }

    public async Task DisposeAsync() => await _lab.DisposeAsync();
}

/// <summary>
/// Serves the reference-shaped samples, checking each request the way the reference describes it (basic auth, the
/// query of ops/search and the timeline, the multipart field of each upload, the ids passed on) and answering 400 with
/// what is wrong otherwise. It records each request as <c>METHOD path?query</c> (and <c>field=file name</c> for uploads).
/// </summary>
public sealed class SampleAnm : IAnmPeer, IAsyncLifetime
{
    public const string DeploymentArchiveId = "9124ef94-0b18-4b67-b9f0-ece0c653ca36";
    public const string PolicyArchiveId = "3a375414-f71d-4ed0-9658-7d32f7b1eefb";
    public const string MergedArchiveId = "b1f2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    private const string Instance = "/api/router/service/instance-1";
    private static readonly Regex AgoInMinutesOrHours = new("^[1-9][0-9]*[mh]$");

    private WebApplication _app = null!;
    private readonly List<string> _requests = [];
    private bool _nextLoadFails;

    public string Url { get; private set; } = "";
    public string Username => "admin";
    public string Password => "changeme";
    public string GroupId => "group-2";
    public string InstanceId => "instance-1";

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    public static string Sample(string name) => System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "AdminNodeManager", "Samples", name));

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        _app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != expected)
            {
                context.Response.StatusCode = 401;
                return;
            }
            await next(context);
        });
        _app.MapGet("/api/topology", () => Json("topology.json"));
        _app.MapGet("/api/management/status/group-2/instance-1", () => Json("management-status.json"));
        _app.MapGet(Instance + "/api/monitoring/summary", (HttpRequest r) => Record(r, Json("monitoring-summary.json")));
        _app.MapGet(Instance + "/api/monitoring/metrics/timeline", (HttpRequest r) =>
        {
            var timeline = r.Query["timeline"].ToString();
            if (timeline is not ("" or "10m" or "10h" or "5d"))
                return Record(r, Results.NotFound($"unsupported timeline period '{timeline}'"));
            var metrics = r.Query["metricType"].ToArray();
            return Record(r, metrics.Contains("successes") && metrics.Contains("failures") ? Json("monitoring-timeline.json") : Results.BadRequest("metricType successes and failures expected"));
        });
        _app.MapGet(Instance + "/ops/search", (HttpRequest r) =>
        {
            var q = r.Query;
            var wrong = new List<string>();
            if (q["format"] != "json") wrong.Add("format must be json");
            if (q["protocol"] != "http") wrong.Add("protocol must be http");
            if (q["field"] != "leg" || q["value"] != "0") wrong.Add("field=leg&value=0 expected");
            if (!int.TryParse(q["count"], out var count) || count is < 1 or > 1000) wrong.Add("count must be 1-1000");
            if (!AgoInMinutesOrHours.IsMatch(q["ago"].ToString())) wrong.Add($"ago '{q["ago"]}' is not minutes or hours (10m, 24h)");
            return Record(r, wrong.Count == 0 ? Json("ops-search.json") : Results.BadRequest(string.Join("; ", wrong)));
        });
        _app.MapGet(Instance + "/ops/trace/{correlationId}", (HttpRequest r, string correlationId) =>
            Record(r, r.Query["format"] == "json" && Sample("ops-search.json").Contains($"\"{correlationId}\"", StringComparison.OrdinalIgnoreCase)
                ? Json("ops-trace.json") : Results.NotFound()));
        _app.MapGet(Instance + "/api/configuration/archiveId", () => Json("configuration-archiveId.json"));
        _app.MapGet("/api/deployment/domain/deployments", () => Json("domain-deployments.json"));
        _app.MapPost("/api/deployment/group/configuration/file/group-2", (HttpRequest r) => UploadAsync(r, "file", ".fed", "upload-deployment-archive.json"));
        _app.MapPost("/api/deployment/group/configuration/file/policy/group-2", (HttpRequest r) => UploadAsync(r, "policyFile", ".pol", "upload-policy-archive.json"));
        _app.MapPost("/api/deployment/group/configuration/file/environment/group-2", (HttpRequest r) =>
            r.Query["relatedPolicyArchiveID"] == PolicyArchiveId
                ? UploadAsync(r, "environmentFile", ".env", "upload-environment-archive.json")
                : Task.FromResult(Record(r, Results.BadRequest("relatedPolicyArchiveID must be the id the policy upload answered"))));
        _app.MapPut(Instance + "/api/configuration", (HttpRequest r) =>
        {
            if (r.Query["archiveId"] is not { Count: 1 } id || (id != DeploymentArchiveId && id != MergedArchiveId))
                return Record(r, Results.NotFound("no such archive"));
            return Record(r, Json(_nextLoadFails ? "configuration-load-failed.json" : "configuration-load-succeeded.json"));
        });
        _app.MapFallback((HttpRequest r) => Record(r, Results.NotFound()));
        await _app.StartAsync();
        Url = _app.Urls.First();
    }

    private async Task<IResult> UploadAsync(HttpRequest request, string field, string extension, string answer)
    {
        if (!request.HasFormContentType)
            return Record(request, Results.BadRequest("multipart/form-data expected"));
        var form = await request.ReadFormAsync();
        if (form.Files is not [{ } file] || file.Name != field || !file.FileName.EndsWith(extension, StringComparison.Ordinal) || file.Length == 0)
            return Record(request, Results.BadRequest($"one {extension} expected in field '{field}' (got {string.Join(", ", form.Files.Select(f => $"{f.Name}={f.FileName}"))})"));
        using var content = new StreamReader(file.OpenReadStream());
        var text = await content.ReadToEndAsync();
        if (extension != ".env")
            _nextLoadFails = text.Contains(AnmContract<SampleAnm>.FailsToLoad, StringComparison.Ordinal);
        return Record(request, Json(answer), $" {file.Name}={file.FileName}");
    }

    private IResult Record(HttpRequest request, IResult result, string detail = "")
    {
        lock (_requests)
            _requests.Add($"{request.Method} {request.Path}{request.QueryString}{detail}");
        return result;
    }

    private static IResult Json(string sample) => Results.Text(Sample(sample), "application/json", Encoding.UTF8);

    public async Task DisposeAsync() => await _app.DisposeAsync();
}
