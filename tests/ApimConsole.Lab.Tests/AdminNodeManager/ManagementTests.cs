using System.Net;
using System.Text.Json;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.AdminNodeManager;

public sealed class ManagementTests
{
    private static async Task<JsonElement> StatusAsync(HttpClient anm, string group, string service) =>
        await LabTestHost.GetJsonAsync(anm, $"/api/management/status/{group}/{service}");

    [Fact]
    public async Task StopAndStart_ChangeStatusAndHealthcheck()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        using var client = LabTestHost.Client(timeout: TimeSpan.FromSeconds(2));
        var healthcheck = LabTestHost.TrafficUrl(lab, "dc1", "instance-2") + "/healthcheck";
        Assert.Equal("0", (await StatusAsync(anm, "group-2", "instance-2")).GetProperty("result").GetString());

        using (var stop = await anm.PostAsync("/api/management/stop/group-2/instance-2", null))
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal("3", (await StatusAsync(anm, "group-2", "instance-2")).GetProperty("result").GetString());
        Assert.Null(await LabTestHost.TryGetStatusAsync(client, healthcheck));
        Assert.Contains(lab.Faults.Log(), e => e is { Target: "dc1/instance-2", Action: "down", Source: "anm" });

        // The router refuses to reach a stopped instance.
        using (var routed = await anm.GetAsync("/api/router/service/instance-2/api/monitoring/summary"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, routed.StatusCode);
            Assert.True(JsonDocument.Parse(await routed.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetArrayLength() > 0);
        }

        using (var start = await anm.PostAsync("/api/management/start/group-2/instance-2", null))
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal("0", (await StatusAsync(anm, "group-2", "instance-2")).GetProperty("result").GetString());
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, healthcheck));
    }

    [Fact]
    public async Task Status_OfUnknownGroupOrService_IsMinusOneWithErrorCode()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc2"]);
        var unknownGroup = await StatusAsync(anm, "group-9", "instance-1");
        Assert.Equal("-1", unknownGroup.GetProperty("result").GetString());
        Assert.Equal(601, unknownGroup.GetProperty("errors")[0].GetProperty("code").GetInt32());
        var unknownService = await StatusAsync(anm, "group-3", "instance-1");
        Assert.Equal("-1", unknownService.GetProperty("result").GetString());
        Assert.Equal(602, unknownService.GetProperty("errors")[0].GetProperty("code").GetInt32());
        Assert.Equal("0", (await StatusAsync(anm, "group-3", "instance-4")).GetProperty("result").GetString());
    }

    [Fact]
    public async Task AnmDown_RefusesConnections_WhileTheOtherAnmAnswers()
    {
        await using var lab = await LabTestHost.StartAsync();
        lab.Faults.Apply("dc1/anm", "down");
        using var dc1 = LabTestHost.AnmClient(lab.Endpoints["dc1"], timeout: TimeSpan.FromSeconds(2));
        using var dc2 = LabTestHost.AnmClient(lab.Endpoints["dc2"]);
        Assert.Null(await LabTestHost.TryGetStatusAsync(dc1, "/api/topology"));
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(dc2, "/api/topology"));
        // The gateways of dc1 are not the ANM: they keep serving.
        using var client = LabTestHost.Client();
        Assert.Equal(200, await LabTestHost.TryGetStatusAsync(client, LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/healthcheck"));
    }

    [Fact]
    public async Task Monitoring_SummaryAndTimeline_CountRecordedTransactions()
    {
        await using var lab = await LabTestHost.StartAsync(o => o.Apis =
        [
            new LabApiOptions { Path = "/ok", Name = "Always OK", ClientErrorRate = 0, ServerErrorRate = 0, MedianLatency = TimeSpan.Zero },
        ]);
        using var client = LabTestHost.Client();
        var url = LabTestHost.TrafficUrl(lab, "dc1", "instance-1");
        for (var i = 0; i < 5; i++)
            await client.GetAsync(url + "/ok");
        await client.GetAsync(url + "/nowhere"); // no API: 404, a failure

        using var anm = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        // The reference's shapes: counters under result.summaryMetrics; the timeline's series a list of named series.
        var summary = (await LabTestHost.GetJsonAsync(anm, "/api/router/service/instance-1/api/monitoring/summary")).GetProperty("result").GetProperty("summaryMetrics");
        Assert.Equal(5, summary.GetProperty("successes").GetInt64());
        Assert.Equal(1, summary.GetProperty("failures").GetInt64());
        Assert.Equal(6, summary.GetProperty("numMessages").GetInt64());

        var timeline = (await LabTestHost.GetJsonAsync(anm, "/api/router/service/instance-1/api/monitoring/metrics/timeline?timeline=10m&metricType=successes&metricType=failures")).GetProperty("result");
        var series = timeline.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["successes", "failures"], series.Keys);
        Assert.All(series.Values, s => Assert.Equal(5_000, s.GetProperty("pointInterval").GetInt64()));
        Assert.Equal(120, series["successes"].GetProperty("data").GetArrayLength());
        Assert.Equal(5, series["successes"].GetProperty("data").EnumerateArray().Sum(p => p.GetDouble()));
        Assert.Equal(1, series["failures"].GetProperty("data").EnumerateArray().Sum(p => p.GetDouble()));
        using (var badTimeline = await anm.GetAsync("/api/router/service/instance-1/api/monitoring/metrics/timeline?timeline=7m"))
            Assert.Equal(HttpStatusCode.NotFound, badTimeline.StatusCode);

        var search = await LabTestHost.GetJsonAsync(anm, "/api/router/service/instance-1/ops/search?format=json&field=leg&value=0&count=3&ago=10m");
        var data = search.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(3, data.Count);
        Assert.Equal("/nowhere", data[0].GetProperty("uri").GetString()); // newest first
        Assert.True(data.Zip(data.Skip(1)).All(p => p.First.GetProperty("timestamp").GetInt64() >= p.Second.GetProperty("timestamp").GetInt64()));

        using var badCount = await anm.GetAsync("/api/router/service/instance-1/ops/search?count=-4");
        Assert.Equal(HttpStatusCode.BadRequest, badCount.StatusCode);
        // The traffic monitor takes ago in minutes or hours; the lab records only HTTP.
        using var seconds = await anm.GetAsync("/api/router/service/instance-1/ops/search?ago=30s");
        Assert.Equal(HttpStatusCode.BadRequest, seconds.StatusCode);
        using var jms = await anm.GetAsync("/api/router/service/instance-1/ops/search?protocol=jms");
        Assert.Equal(HttpStatusCode.BadRequest, jms.StatusCode);
        using var unknownInstance = await anm.GetAsync("/api/router/service/instance-77/ops/search");
        Assert.Equal(HttpStatusCode.NotFound, unknownInstance.StatusCode);
    }
}
