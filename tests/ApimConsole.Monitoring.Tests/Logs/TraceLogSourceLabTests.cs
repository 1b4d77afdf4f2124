using System.Text.Json;
using ApimConsole.Core.Logs;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Logs;

/// <summary>Both log sources against the lab's real trace files: the folder itself and the lab's log server over HTTP.</summary>
public sealed class TraceLogSourceLabTests : IAsyncLifetime
{
    private LabEstate _lab = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() =>
        _lab = await LabEstate.StartAsync(new LabOptions { StartCassandra = false, TrafficRatePerSecond = 0, TraceRollBytes = 4096 },
            NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _lab.DisposeAsync();
    }

    private ITraceLogSource Source(string kind, string dc) => kind switch
    {
        "directory" => new DirectoryTraceLogSource(_lab.TraceDirectory(dc)),
        _ => new HttpTraceLogSource(_http, new Uri(_lab.Endpoints[dc].LogsUrl), TimeSpan.FromSeconds(2)),
    };

    /// <summary>Sends requests through one instance and waits until their trace is in its files.</summary>
    private async Task<List<string>> SendAsync(string dc, string instanceId, int count)
    {
        var url = _lab.Endpoints[dc].Gateways.Single(g => g.InstanceId == instanceId).TrafficUrl;
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var response = await _http.GetAsync($"{url}/orders/v1/items/{i}");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ids.Add(body.RootElement.GetProperty("correlationId").GetString()!);
        }
        var source = new DirectoryTraceLogSource(_lab.TraceDirectory(dc));
        // The gateway records a transaction just after it answers: wait for the last one's trace.
        await Eventually.Until(async () =>
        {
            _lab.FlushTraceFiles();
            var text = string.Concat((await source.ListFilesAsync(default)).Where(f => f.InstanceId == instanceId)
                .Select(f => File.ReadAllText(Path.Combine(_lab.TraceDirectory(dc), f.RelativePath))));
            return text.Contains(ids[^1] + "] transaction complete", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "the trace of the last request to reach the file");
        return ids;
    }

    private static async Task<List<TraceEntry>> ReadAllAsync(ITraceLogSource source, TraceFileInfo file, int chunk)
    {
        var cursor = new TraceFileCursor(file);
        var entries = new List<TraceEntry>();
        while (true)
        {
            var read = await cursor.ReadAsync(source, chunk, final: true, default);
            entries.AddRange(read.Entries);
            if (read.AtEnd)
                return entries;
        }
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("http")]
    public async Task ListsEveryInstancesTraceFiles(string kind)
    {
        _lab.FlushTraceFiles();
        var files = await Source(kind, "dc2").ListFilesAsync(default);

        Assert.Equal(
            ["group-2/instance-1", "group-2/instance-2", "group-3/instance-3", "group-3/instance-4"],
            files.Select(f => $"{f.GroupId}/{f.InstanceId}").Distinct());
        Assert.All(files, f => Assert.Matches(@"^[A-Za-z0-9_-]+_\d{14}\.trc$", f.Name));
        Assert.All(files, f => Assert.True(f.Size > 0));
        Assert.All(files, f => Assert.NotNull(f.LastModified));
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("http")]
    public async Task BothSources_ReadTheSameEntries_InSmallChunks(string kind)
    {
        var ids = await SendAsync("dc1", "instance-1", 3);
        var source = Source(kind, "dc1");
        var reference = new DirectoryTraceLogSource(_lab.TraceDirectory("dc1"));
        var file = (await source.ListFilesAsync(default)).First(f => f.InstanceId == "instance-1");

        var entries = await ReadAllAsync(source, file, chunk: 37); // splits lines across reads
        var expected = TraceLineParser.ParseAll(File.ReadAllBytes(Path.Combine(_lab.TraceDirectory("dc1"), file.RelativePath)));

        Assert.Equal(expected, entries);
        Assert.Contains(entries, e => e.CorrelationId == ids[0]);
        Assert.All(entries, e => Assert.False(e.IsMalformed));
        Assert.Equal(file.Name, (await reference.ListFilesAsync(default)).First(f => f.InstanceId == "instance-1").Name);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("http")]
    public async Task ReadPastTheEnd_GivesNothingAndTheSize(string kind)
    {
        _lab.FlushTraceFiles();
        var source = Source(kind, "dc1");
        var file = (await source.ListFilesAsync(default)).First();

        var chunk = await source.ReadAsync(file, file.Size + 100, 1024, default);

        Assert.True(chunk.Bytes.IsEmpty);
        Assert.Equal(file.Size, chunk.FileSize);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("http")]
    public async Task Follower_TailsNewLines_AndFollowsRolls_WithoutLosingAny(string kind)
    {
        var source = Source(kind, "dc2");
        var follower = new InstanceTraceFollower("group-3", "instance-4");
        _lab.FlushTraceFiles();
        var seen = new List<TraceEntry>();
        var notes = new List<string>();
        async Task PollUntilAtEndAsync()
        {
            for (var i = 0; i < 200; i++)
            {
                var read = await follower.PollAsync(source, await source.ListFilesAsync(default), 1024, backfillBytes: 0, default);
                seen.AddRange(read.Entries);
                notes.AddRange(read.Notes);
                if (read.AtEnd)
                    return;
            }
            Assert.Fail("the follower never caught up");
        }
        await PollUntilAtEndAsync();
        seen.Clear(); // the tail starts at the end: only what comes next matters

        var ids = await SendAsync("dc2", "instance-4", 40); // 4 KiB roll size: several files
        await PollUntilAtEndAsync();

        var complete = seen.Where(e => e.Message.StartsWith("transaction complete", StringComparison.Ordinal)).Select(e => e.CorrelationId).ToList();
        // Every transaction but possibly the last (its entry stays open until the next line) came through, in order, once.
        Assert.Equal(ids.Take(complete.Count), complete);
        Assert.True(complete.Count >= ids.Count - 1, $"{complete.Count} of {ids.Count}");
        Assert.Contains(notes, n => n.Contains("rolled to a new file", StringComparison.Ordinal));
        Assert.All(seen, e => Assert.False(e.IsMalformed));
    }

    [Fact]
    public async Task LinkDown_MakesTheOtherDatacentersLogServerUnreachable_NotOurs()
    {
        var ours = Source("http", "dc1");
        var theirs = Source("http", "dc2");
        Assert.NotEmpty(await theirs.ListFilesAsync(default));

        _lab.Faults.Apply("link", "down");

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => theirs.ListFilesAsync(default));
        Assert.Contains(_lab.Endpoints["dc2"].LogsUrl.TrimEnd('/'), error.Message);
        Assert.NotEmpty(await ours.ListFilesAsync(default));

        _lab.Faults.Apply("link", "up");
        Assert.NotEmpty(await theirs.ListFilesAsync(default));
    }

    [Fact]
    public async Task DatacenterDown_MakesItsLogServerUnreachable()
    {
        var dc1 = Source("http", "dc1");
        var file = (await dc1.ListFilesAsync(default)).First();
        _lab.Faults.Apply("dc1", "down");

        await Assert.ThrowsAsync<TraceLogSourceException>(() => dc1.ListFilesAsync(default));
        await Assert.ThrowsAsync<TraceLogSourceException>(() => dc1.ReadAsync(file, 0, 100, default));
    }

    [Fact]
    public async Task HangingLogServer_TimesOutWithAClearError()
    {
        var source = new HttpTraceLogSource(_http, new Uri(_lab.Endpoints["dc1"].LogsUrl), TimeSpan.FromMilliseconds(300));
        _lab.Faults.Apply("dc1/logs", "hang");

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ListFilesAsync(default));
        Assert.Contains("did not answer within 0.3 s", error.Message);
    }

    [Fact]
    public void ConsoleConfiguration_PointsEachDatacentersLogsAtItsServer()
    {
        var config = _lab.ToConsoleConfiguration();
        Assert.Equal(_lab.Endpoints["dc1"].LogsUrl, config["Estate:Datacenters:0:Logs:Url"]);
        Assert.Equal(_lab.Endpoints["dc2"].LogsUrl, config["Estate:Datacenters:1:Logs:Url"]);
        Assert.NotEqual(config["Estate:Datacenters:0:Logs:Url"], config["Estate:Datacenters:1:Logs:Url"]);
    }
}
