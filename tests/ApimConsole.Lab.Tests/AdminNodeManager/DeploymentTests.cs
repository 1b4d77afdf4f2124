using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.AdminNodeManager;

public sealed class DeploymentTests
{
    private static async Task<HttpResponseMessage> UploadAsync(HttpClient anm, string group, byte[] content, string field = "file", string fileName = "config.fed", string path = "")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, field, fileName);
        return await anm.PostAsync($"/api/deployment/group/configuration/file/{path}{group}", form);
    }

    private static async Task<string> ResultAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString()!;
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
            Assert.True(JsonDocument.Parse(await push.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("status").GetBoolean());
            Assert.Equal(archiveId, await ArchiveIdAsync(anm, instance));
        }
        Assert.Equal(internalZone, await ArchiveIdAsync(anm, "instance-1"));

        var deployments = (await LabTestHost.GetJsonAsync(anm, "/api/deployment/domain/deployments")).GetProperty("result");
        // The reference's shape: group id → instance id → the archive's properties.
        var dmz = deployments.GetProperty("group-3");
        Assert.Equal(["instance-3", "instance-4"], dmz.EnumerateObject().Select(i => i.Name));
        Assert.All(dmz.EnumerateObject(), d => Assert.Equal(archiveId, d.Value.GetProperty("rootProperties").GetProperty("Id").GetString()));

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

        // The reference's answer to a load that failed: 200, result.status false, with the reason and the load's trace.
        using var push = await anm.PutAsync($"/api/router/service/instance-1/api/configuration?archiveId={archiveId}", null);
        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        var result = JsonDocument.Parse(await push.Content.ReadAsStringAsync()).RootElement.GetProperty("result");
        Assert.False(result.GetProperty("status").GetBoolean());
        Assert.Equal(1, result.GetProperty("errorCount").GetInt32());
        Assert.NotEmpty(result.GetProperty("traceData").GetProperty("traceRecords").EnumerateArray());
        Assert.Equal(before, await ArchiveIdAsync(anm, "instance-1"));
        Assert.Equal(("dc2", "RolledBack"), (lab.Deployments.Snapshot().Single().DatacenterId, lab.Deployments.Snapshot().Single().Outcome));
    }

    [Fact]
    public async Task PolicyThenEnvironment_MergeIntoALoadableArchive_TheSameInBothDatacenters()
    {
        await using var lab = await LabTestHost.StartAsync();
        var ids = new List<string>();
        foreach (var dc in new[] { "dc1", "dc2" })
        {
            using var anm = LabTestHost.AnmClient(lab.Endpoints[dc]);
            using var policy = await UploadAsync(anm, "group-2", Encoding.UTF8.GetBytes("PK policy"), "policyFile", "zone.pol", "policy/");
            var policyId = await ResultAsync(policy);
            // The environment archive names its policy archive; without it, or with another group's, it is refused.
            using (var orphan = await UploadAsync(anm, "group-2", Encoding.UTF8.GetBytes("PK env"), "environmentFile", "zone.env", "environment/"))
                Assert.Equal(HttpStatusCode.BadRequest, orphan.StatusCode);
            using (var otherGroup = await UploadAsync(anm, $"group-3?relatedPolicyArchiveID={policyId}", Encoding.UTF8.GetBytes("PK env"), "environmentFile", "zone.env", "environment/"))
                Assert.Equal(HttpStatusCode.BadRequest, otherGroup.StatusCode);
            using var environment = await UploadAsync(anm, $"group-2?relatedPolicyArchiveID={policyId}", Encoding.UTF8.GetBytes("PK env"), "environmentFile", "zone.env", "environment/");
            var archiveId = await ResultAsync(environment);
            Assert.NotEqual(policyId, archiveId);
            using var push = await anm.PutAsync($"/api/router/service/instance-1/api/configuration?archiveId={archiveId}", null);
            Assert.True(JsonDocument.Parse(await push.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetProperty("status").GetBoolean());
            Assert.Equal(archiveId, await ArchiveIdAsync(anm, "instance-1"));
            ids.Add(archiveId);
        }
        Assert.Equal(ids[0], ids[1]);
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
        // The documented field names: "file" for a .fed, "policyFile" for a .pol; a .pol is not a deployment archive.
        using (var wrongField = await UploadAsync(anm, "group-2", [1, 2, 3], field: "archive"))
            Assert.Equal(HttpStatusCode.BadRequest, wrongField.StatusCode);
        using (var policyAsFed = await UploadAsync(anm, "group-2", [1, 2, 3], fileName: "zone.pol"))
            Assert.Equal(HttpStatusCode.BadRequest, policyAsFed.StatusCode);
        using (var policyInFileField = await UploadAsync(anm, "group-2", [1, 2, 3], field: "file", fileName: "zone.pol", path: "policy/"))
            Assert.Equal(HttpStatusCode.BadRequest, policyInFileField.StatusCode);
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
