using System.Net;
using System.Text;
using ApimConsole.Lab;
using ApimConsole.Monitoring.AdminNodeManager;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.AdminNodeManager;

/// <summary>The deployment calls of the ANM client against the lab's ANM, over HTTP only; the lab's log is the truth.</summary>
public sealed class AnmDeploymentClientTests : IAsyncLifetime
{
    private LabEstate _lab = null!;
    private readonly HttpClient _http = new HttpClient(EstateHttpClients.CreateHandler(TimeSpan.FromSeconds(5), acceptAnyCertificate: false)) { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() =>
        _lab = await LabEstate.StartAsync(new LabOptions { StartCassandra = false, TrafficRatePerSecond = 0 }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _lab.DisposeAsync();
    }

    private AdminNodeManagerClient Anm(string dc)
    {
        var endpoints = _lab.Endpoints[dc];
        return new AdminNodeManagerClient(_http, endpoints.AnmUrl, endpoints.AnmUsername, endpoints.AnmPassword);
    }

    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    private static AnmArchiveFile File(string name, string content) => new(name, Encoding.UTF8.GetBytes(content));

    [Fact]
    public async Task UploadThenPush_LoadsOnEachInstance_AndDeploymentsReportIt()
    {
        var anm = Anm("dc1");
        var archiveId = await anm.UploadConfigurationAsync("group-3", [File("dmz.fed", "PK dmz v2")], Deadline());

        foreach (var instance in new[] { "instance-3", "instance-4" })
        {
            var result = await anm.PushConfigurationAsync(instance, archiveId, Deadline());
            Assert.Equal(AnmLoadStatus.Loaded, result.Status);
            Assert.Equal(archiveId, result.LiveArchiveId);
            Assert.Equal(archiveId, await anm.GetArchiveIdAsync(instance, Deadline()));
        }

        var deployments = await anm.GetDeploymentsAsync(Deadline());
        var dmz = deployments.Single(g => g.GroupId == "group-3");
        Assert.Equal(["instance-3", "instance-4"], dmz.Instances.Select(i => i.InstanceId));
        Assert.All(dmz.Instances, i => Assert.Equal(archiveId, i.ArchiveId));
        Assert.All(deployments.Single(g => g.GroupId == "group-2").Instances, i => Assert.NotEqual(archiveId, i.ArchiveId));
        Assert.Equal([("dc1", "instance-3", "Loaded"), ("dc1", "instance-4", "Loaded")],
            _lab.Deployments.Snapshot().Select(p => (p.DatacenterId, p.InstanceId, p.Outcome)));
    }

    [Fact]
    public async Task PolicyAndEnvironmentPair_IsOneArchive_WithTheSameIdInBothDatacenters()
    {
        AnmArchiveFile[] pair = [File("zone.pol", "policy"), File("zone.env", "environment")];
        var inDc1 = await Anm("dc1").UploadConfigurationAsync("group-2", pair, Deadline());
        var inDc2 = await Anm("dc2").UploadConfigurationAsync("group-2", [pair[1], pair[0]], Deadline());
        Assert.Equal(inDc1, inDc2);
        Assert.Equal(AnmLoadStatus.Loaded, (await Anm("dc2").PushConfigurationAsync("instance-1", inDc2, Deadline())).Status);
    }

    [Fact]
    public async Task ArchiveThatFailsToLoad_IsReportedAsRolledBack_WithTheArchiveStillLive()
    {
        var anm = Anm("dc2");
        var before = await anm.GetArchiveIdAsync("instance-1", Deadline());
        var archiveId = await anm.UploadConfigurationAsync("group-2", [File("bad.fed", "PK lab:fail-load")], Deadline());

        var result = await anm.PushConfigurationAsync("instance-1", archiveId, Deadline());

        Assert.Equal(AnmLoadStatus.RolledBack, result.Status);
        Assert.Equal(before, result.LiveArchiveId);
        Assert.Contains("rolled back", result.Message);
        Assert.Equal(before, await anm.GetArchiveIdAsync("instance-1", Deadline()));
    }

    [Fact]
    public async Task StoppedInstance_UnknownGroup_AndUnknownArchive_AreHttpErrors()
    {
        var anm = Anm("dc1");
        var upload = await Assert.ThrowsAsync<HttpRequestException>(() => anm.UploadConfigurationAsync("group-9", [File("a.fed", "x")], Deadline()));
        Assert.Equal(HttpStatusCode.NotFound, upload.StatusCode);
        var unknown = await Assert.ThrowsAsync<HttpRequestException>(() => anm.PushConfigurationAsync("instance-1", "nope", Deadline()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var archiveId = await anm.UploadConfigurationAsync("group-2", [File("a.fed", "y")], Deadline());
        _lab.Faults.Apply("dc1/instance-1", "down");
        var stopped = await Assert.ThrowsAsync<HttpRequestException>(() => anm.PushConfigurationAsync("instance-1", archiveId, Deadline()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
    }

    [Fact]
    public async Task HungAnm_IsCutOffByTheCallersDeadline()
    {
        _lab.Faults.Apply("dc1/anm", "hang");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Anm("dc1").GetDeploymentsAsync(deadline.Token));
    }
}

/// <summary>An ANM that answers the deployment calls with whatever a test gives it.</summary>
public sealed class MalformedAnmAnswerTests
{
    private static async Task<(WebApplication App, AdminNodeManagerClient Client, HttpClient Http)> StartAsync(int status, string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        var http = new HttpClient(EstateHttpClients.CreateHandler(TimeSpan.FromSeconds(5), acceptAnyCertificate: false)) { Timeout = Timeout.InfiniteTimeSpan };
        return (app, new AdminNodeManagerClient(http, app.Urls.First(), "u", "p"), http);
    }

    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"result\":42}")]
    [InlineData("{\"result\":\"\"}")]
    [InlineData("{\"result\":\"../../etc/passwd\"}")]
    public async Task Upload_WithAMalformedArchiveId_IsAProtocolError(string body)
    {
        var (app, client, http) = await StartAsync(200, body);
        await using (app)
        using (http)
            await Assert.ThrowsAsync<AnmProtocolException>(() => client.UploadConfigurationAsync("group-2", [new AnmArchiveFile("a.fed", new byte[] { 1 })], Deadline()));
    }

    [Theory]
    [InlineData(200, "{\"result\":{\"status\":\"Exploded\"}}", "result.status is \"Exploded\"")]
    [InlineData(200, "{\"result\":\"Loaded\"}", "no 'result' object")]
    // The lab's old, undocumented answers: a status of Loaded / RolledBack is not the reference's true / false.
    [InlineData(200, "{\"result\":{\"status\":\"Loaded\",\"archiveId\":\"abc\"}}", "not true or false")]
    [InlineData(200, "{\"result\":{\"status\":\"RolledBack\",\"archiveId\":\"abc\"}}", "not true or false")]
    [InlineData(200, "{\"result\":{\"status\":\"true\"}}", "not true or false")]
    [InlineData(200, "{\"result\":{\"errorCount\":0}}", "no result.status")]
    [InlineData(200, "{}", "no 'result' object")]
    public async Task Push_WithAnUndocumentedAnswer_IsAProtocolError(int status, string body, string named)
    {
        var (app, client, http) = await StartAsync(status, body);
        await using (app)
        using (http)
        {
            var error = await Assert.ThrowsAsync<AnmProtocolException>(() => client.PushConfigurationAsync("instance-1", "abc", Deadline()));
            Assert.Contains("in a shape this console does not read", error.Message);
            Assert.Contains(named, error.Message);
        }
    }

    [Theory]
    [InlineData("<html>boom</html>")]
    // A 500 is a failure of the call whatever it holds, the lab's old rollback answer included: a rollback is a 200.
    [InlineData("{\"result\":{\"status\":\"RolledBack\"},\"errors\":[{\"code\":500,\"message\":\"rolled back\"}]}")]
    public async Task Push_ServerError_IsAnHttpError(string body)
    {
        var (app, client, http) = await StartAsync(500, body);
        await using (app)
        using (http)
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PushConfigurationAsync("instance-1", "abc", Deadline()));
            Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        }
    }

    [Theory]
    [InlineData("{\"result\":[]}", "'result' is a list, not a map of group ids")]
    // The lab's old, undocumented list of groups.
    [InlineData("{\"result\":[{\"groupId\":\"group-2\",\"deployments\":[{\"serviceId\":\"instance-1\",\"rootProperties\":{\"Id\":\"a\"}}]}]}", "'result' is a list")]
    [InlineData("{\"result\":{\"group-2\":[]}}", "group 'group-2' is not a map of instance ids")]
    [InlineData("{\"result\":{\"group-2\":{\"instance-1\":7}}}", "'group-2/instance-1' is not an object")]
    [InlineData("{\"result\":{\"group-2\":{\"instance-1\":{\"rootProperties\":{\"Id\":5}}}}}", "rootProperties.Id of 'group-2/instance-1' is not a string")]
    [InlineData("{\"result\":{\"group-2\":{\"instance-1\":{\"rootProperties\":{\"Id\":\"../x\"}}}}}", "is not an archive id")]
    [InlineData("{}", "no 'result' map of group ids")]
    public async Task Deployments_OffTheDocumentedShape_AreAProtocolError(string body, string named)
    {
        var (app, client, http) = await StartAsync(200, body);
        await using (app)
        using (http)
            Assert.Contains(named, (await Assert.ThrowsAsync<AnmProtocolException>(() => client.GetDeploymentsAsync(Deadline()))).Message);
    }

    [Fact]
    public async Task Deployments_LargerThanTheBound_AreAProtocolError()
    {
        var (app, client, http) = await StartAsync(200, "{\"result\":{" + new string(' ', 5 * 1024 * 1024) + "}}");
        await using (app)
        using (http)
            await Assert.ThrowsAsync<AnmProtocolException>(() => client.GetDeploymentsAsync(Deadline()));
    }
}
