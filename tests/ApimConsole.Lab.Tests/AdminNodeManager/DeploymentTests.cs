using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.AdminNodeManager;

public sealed class DeploymentTests
{
    private static async Task<HttpResponseMessage> UploadAsync(HttpClient anm, string group, byte[] content)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "config.fed");
        return await anm.PostAsync($"/api/deployment/group/configuration/file/{group}", form);
    }

    private static async Task<string> ArchiveIdAsync(HttpClient anm, string instance) =>
        (await LabTestHost.GetJsonAsync(anm, $"/api/router/service/{instance}/api/configuration/archiveId")).GetProperty("result").GetString()!;

    [Fact]
    public async Task UploadThenPush_LoadsTheArchive_AndDeploymentsReportIt()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        var initial = await ArchiveIdAsync(anm, "instance-3");
        var internalZone = await ArchiveIdAsync(anm, "instance-1");

        using var upload = await UploadAsync(anm, "group-3", Encoding.UTF8.GetBytes("PK fake fed v2"));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var archiveId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString()!;
        Assert.NotEqual(initial, archiveId);

        foreach (var instance in new[] { "instance-3", "instance-4" })
        {
            using var push = await anm.PutAsync($"/api/router/service/{instance}/api/configuration?archiveId={archiveId}", null);
            Assert.Equal(HttpStatusCode.OK, push.StatusCode);
            Assert.Equal(archiveId, await ArchiveIdAsync(anm, instance));
        }
        Assert.Equal(internalZone, await ArchiveIdAsync(anm, "instance-1"));

        var deployments = (await LabTestHost.GetJsonAsync(anm, "/api/deployment/domain/deployments")).GetProperty("result");
        var dmz = deployments.EnumerateArray().Single(g => g.GetProperty("groupId").GetString() == "group-3");
        Assert.All(dmz.GetProperty("deployments").EnumerateArray(), d => Assert.Equal(archiveId, d.GetProperty("rootProperties").GetProperty("Id").GetString()));

        var pushes = lab.Deployments.Snapshot();
        Assert.Equal(["instance-3", "instance-4"], pushes.Select(p => p.InstanceId));
        Assert.All(pushes, p => Assert.Equal(("dc1", archiveId, "Loaded"), (p.DatacenterId, p.ArchiveId, p.Outcome)));
    }

    [Fact]
    public async Task ArchiveThatFailsToLoad_RollsBack()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc2"]);
        var before = await ArchiveIdAsync(anm, "instance-1");
        using var upload = await UploadAsync(anm, "group-2", Encoding.UTF8.GetBytes("broken policy lab:fail-load"));
        var archiveId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString()!;

        using var push = await anm.PutAsync($"/api/router/service/instance-1/api/configuration?archiveId={archiveId}", null);
        Assert.Equal(HttpStatusCode.InternalServerError, push.StatusCode);
        var body = JsonDocument.Parse(await push.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("RolledBack", body.GetProperty("result").GetProperty("status").GetString());
        Assert.Equal(before, await ArchiveIdAsync(anm, "instance-1"));
        Assert.Equal(("dc2", "RolledBack"), (lab.Deployments.Snapshot().Single().DatacenterId, lab.Deployments.Snapshot().Single().Outcome));
    }

    [Fact]
    public async Task BadDeployments_AreRefused_AndRecordedOnlyWhenTheyReachAnInstance()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        using (var unknownGroup = await UploadAsync(anm, "group-9", [1, 2, 3]))
            Assert.Equal(HttpStatusCode.NotFound, unknownGroup.StatusCode);
        using (var empty = await UploadAsync(anm, "group-2", []))
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using (var notMultipart = await anm.PostAsync("/api/deployment/group/configuration/file/group-2", new StringContent("x")))
            Assert.Equal(HttpStatusCode.BadRequest, notMultipart.StatusCode);
        using (var unknownArchive = await anm.PutAsync("/api/router/service/instance-1/api/configuration?archiveId=nope", null))
            Assert.Equal(HttpStatusCode.NotFound, unknownArchive.StatusCode);

        // An archive uploaded for the DMZ is not the internal zone's.
        using var upload = await UploadAsync(anm, "group-3", [9, 9, 9]);
        var archiveId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString()!;
        using (var wrongGroup = await anm.PutAsync($"/api/router/service/instance-1/api/configuration?archiveId={archiveId}", null))
            Assert.Equal(HttpStatusCode.NotFound, wrongGroup.StatusCode);

        lab.Faults.Apply("dc1/instance-3", "down");
        using (var stopped = await anm.PutAsync($"/api/router/service/instance-3/api/configuration?archiveId={archiveId}", null))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);

        Assert.Equal(["UnknownArchive", "UnknownArchive", "InstanceUnavailable"], lab.Deployments.Snapshot().Select(p => p.Outcome));
    }
}
