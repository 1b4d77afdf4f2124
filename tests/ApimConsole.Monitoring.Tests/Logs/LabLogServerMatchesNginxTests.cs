using System.Text.Json;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Logs;

/// <summary>The lab's log server and a real nginx serving the same trace folder look the same to the console.</summary>
public sealed class LabLogServerMatchesNginxTests
{
    [NginxFact]
    public async Task SameFolder_SameListing_SameBytes_SameRangeAnswers()
    {
        var root = Directory.CreateTempSubdirectory("lab-vs-nginx-").FullName;
        try
        {
            await using var lab = await LabEstate.StartAsync(
                new LabOptions { StartCassandra = false, TrafficRatePerSecond = 0, TraceDirectory = root, TraceRollBytes = 2048 },
                NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
            using var http = new HttpClient();
            var url = lab.Endpoints["dc1"].Gateways.Single(g => g.InstanceId == "instance-3").TrafficUrl;
            var last = "";
            for (var i = 0; i < 20; i++)
            {
                using var response = await http.GetAsync($"{url}/catalog/v1/items/{i}");
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                last = body.RootElement.GetProperty("correlationId").GetString()!;
            }
            // The gateway records a transaction just after it answers: wait until the last one is in the files, so
            // nothing changes between the two servers' answers.
            var folder = Path.Combine(lab.TraceDirectory("dc1"), "groups", "group-3", "instance-3", "trace");
            await Eventually.Until(() =>
            {
                lab.FlushTraceFiles();
                return Directory.GetFiles(folder).Any(f => File.ReadAllText(f).Contains(last + "] transaction complete", StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(10), "the last transaction to reach the trace file");
            await using var nginx = await NginxServer.StartAsync(lab.TraceDirectory("dc1"));

            var labSource = new HttpTraceLogSource(http, new Uri(lab.Endpoints["dc1"].LogsUrl), TimeSpan.FromSeconds(5));
            var nginxSource = new HttpTraceLogSource(http, nginx.BaseUrl, TimeSpan.FromSeconds(5));
            var fromLab = await labSource.ListFilesAsync(default);
            var fromNginx = await nginxSource.ListFilesAsync(default);

            Assert.True(fromLab.Count(f => f.InstanceId == "instance-3") >= 2, "instance-3 rolled");
            Assert.Equal(fromNginx, fromLab);
            foreach (var file in fromLab.Where(f => f.InstanceId == "instance-3"))
            {
                var a = await labSource.ReadAsync(file, 10, 100, default);
                var b = await nginxSource.ReadAsync(file, 10, 100, default);
                Assert.Equal(b.Bytes.ToArray(), a.Bytes.ToArray());
                Assert.Equal(b.FileSize, a.FileSize);
                var pastA = await labSource.ReadAsync(file, file.Size + 1, 100, default);
                var pastB = await nginxSource.ReadAsync(file, file.Size + 1, 100, default);
                Assert.Equal((pastB.Bytes.Length, pastB.FileSize), (pastA.Bytes.Length, pastA.FileSize));
            }

            // The raw listing: same JSON fields and types, same redirect for a folder without its '/'.
            var labJson = JsonDocument.Parse(await http.GetStringAsync(new Uri(new Uri(lab.Endpoints["dc1"].LogsUrl), "groups/")));
            var nginxJson = JsonDocument.Parse(await http.GetStringAsync(new Uri(nginx.BaseUrl, "groups/")));
            static string Shape(JsonDocument d) => string.Join(";", d.RootElement.EnumerateArray().Select(e =>
                string.Join(",", e.EnumerateObject().Select(p => $"{p.Name}:{(p.Name == "mtime" ? "" : p.Value.ToString())}"))));
            Assert.Equal(Shape(nginxJson), Shape(labJson));
            using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using var labFolder = await noRedirect.GetAsync(new Uri(new Uri(lab.Endpoints["dc1"].LogsUrl), "groups"));
            using var nginxFolder = await noRedirect.GetAsync(new Uri(nginx.BaseUrl, "groups"));
            Assert.Equal(nginxFolder.StatusCode, labFolder.StatusCode);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
