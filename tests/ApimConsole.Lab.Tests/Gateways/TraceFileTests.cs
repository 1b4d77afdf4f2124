using System.Text.Json;
using ApimConsole.Core.Logs;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.Gateways;

public sealed class TraceFileTests
{
    private static string TraceFolder(LabEstate lab, string dc, string group, string instance) =>
        Path.Combine(lab.TraceDirectory(dc), "groups", group, instance, "trace");

    private static List<TraceEntry> ParseFolder(string folder) =>
        Directory.GetFiles(folder, "*.trc").Order(StringComparer.Ordinal)
            .SelectMany(f => TraceLineParser.ParseAll(File.ReadAllBytes(f))).ToList();

    /// <summary>The gateway records a transaction (and its trace) just after it answers: wait for the last one.</summary>
    private static async Task<List<TraceEntry>> WhenWrittenAsync(LabEstate lab, string folder, IEnumerable<string> ids)
    {
        List<TraceEntry> entries = [];
        await Eventually.Until(() =>
        {
            lab.FlushTraceFiles();
            entries = ParseFolder(folder);
            var complete = entries.Where(e => e.Message.Contains("transaction complete", StringComparison.Ordinal)).Select(e => e.CorrelationId).ToHashSet();
            return Task.FromResult(ids.All(complete.Contains));
        }, TimeSpan.FromSeconds(10), "every transaction's trace in the files");
        return entries;
    }

    [Fact]
    public async Task EachInstance_WritesItsTraceFile_InTheGatewayLayout()
    {
        await using var lab = await LabTestHost.StartAsync();
        lab.FlushTraceFiles();

        foreach (var (dc, group, instance) in new[] { ("dc1", "group-2", "instance-1"), ("dc1", "group-3", "instance-4"), ("dc2", "group-3", "instance-3") })
        {
            var folder = TraceFolder(lab, dc, group, instance);
            var file = Assert.Single(Directory.GetFiles(folder));
            Assert.Matches(@"^[A-Za-z0-9_-]+_\d{14}\.trc$", Path.GetFileName(file));
            var entries = ParseFolder(folder);
            var listening = Assert.Single(entries, e => e.Message.StartsWith("Server '", StringComparison.Ordinal));
            Assert.Equal(TraceLevel.Info, listening.Level);
            Assert.Null(listening.CorrelationId); // written outside any transaction
            Assert.All(entries, e => Assert.False(e.IsMalformed));
        }
    }

    [Fact]
    public async Task Transactions_ParseBackWithTheirCorrelationIds()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var client = LabTestHost.Client();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync(LabTestHost.TrafficUrl(lab, "dc1", "instance-1") + "/orders/v1/items/" + i);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ids.Add(body.RootElement.GetProperty("correlationId").GetString()!);
        }
        var entries = await WhenWrittenAsync(lab, TraceFolder(lab, "dc1", "group-2", "instance-1"), ids);

        foreach (var id in ids)
        {
            var mine = entries.Where(e => e.CorrelationId == id).ToList();
            Assert.True(mine.Count >= 3, $"{mine.Count} lines for {id}");
            Assert.Contains(mine, e => e.Message.Contains("transaction complete", StringComparison.Ordinal));
        }
        // Nothing of instance-1's traffic lands in another instance's file.
        Assert.DoesNotContain(ParseFolder(TraceFolder(lab, "dc1", "group-2", "instance-2")), e => ids.Contains(e.CorrelationId!));
    }

    [Fact]
    public async Task Files_RollAtTheConfiguredSize_AndNothingIsLost()
    {
        const long roll = 2048;
        await using var lab = await LabTestHost.StartAsync(o => o.TraceRollBytes = roll);
        using var client = LabTestHost.Client();
        var ids = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await client.GetAsync(LabTestHost.TrafficUrl(lab, "dc2", "instance-3") + "/catalog/v1/items/" + i);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ids.Add(body.RootElement.GetProperty("correlationId").GetString()!);
        }
        var folder = TraceFolder(lab, "dc2", "group-3", "instance-3");
        await WhenWrittenAsync(lab, folder, ids);
        var files = Directory.GetFiles(folder, "*.trc").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 3, $"{files.Count} files");
        Assert.Equal(files.Count, files.Select(Path.GetFileName).Distinct().Count());
        foreach (var file in files.SkipLast(1))
        {
            var size = new FileInfo(file).Length;
            // A file rolls with the first line written after it reached the roll size: at most one line over.
            Assert.InRange(size, roll, roll + 512);
        }
        var entries = ParseFolder(folder);
        Assert.All(entries, e => Assert.False(e.IsMalformed));
        Assert.Superset(ids, entries.Where(e => e.CorrelationId is not null).Select(e => e.CorrelationId!).ToHashSet());
        Assert.Subset(ids, entries.Where(e => e.CorrelationId is not null).Select(e => e.CorrelationId!).ToHashSet());
        // In time order across the files, as the names promise.
        Assert.Equal(entries.Select(e => e.Time), entries.Select(e => e.Time).Order());
    }

    [Fact]
    public async Task Rolling_KeepsOnlyTheConfiguredNumberOfFiles()
    {
        await using var lab = await LabTestHost.StartAsync(o => { o.TraceRollBytes = 1024; o.TraceFilesPerInstance = 2; });
        using var client = LabTestHost.Client();
        var ids = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            using var response = await client.GetAsync(LabTestHost.TrafficUrl(lab, "dc1", "instance-2") + "/orders/v1/items/" + i);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ids.Add(body.RootElement.GetProperty("correlationId").GetString()!);
        }
        var folder = TraceFolder(lab, "dc1", "group-2", "instance-2");
        var entries = await WhenWrittenAsync(lab, folder, ids.TakeLast(1));

        Assert.Equal(2, Directory.GetFiles(folder, "*.trc").Length);
        Assert.DoesNotContain(entries, e => e.CorrelationId == ids[0]); // rolled away with the oldest file
    }

    [Fact]
    public async Task TemporaryTraceRoot_IsRemovedWhenTheLabStops()
    {
        string root;
        await using (var lab = await LabTestHost.StartAsync())
        {
            root = lab.TraceRoot;
            Assert.True(Directory.Exists(root));
        }
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task ConfiguredTraceRoot_IsKept()
    {
        var root = Directory.CreateTempSubdirectory("trace-root-test-").FullName;
        try
        {
            await using (var lab = await LabTestHost.StartAsync(o => o.TraceDirectory = root))
                Assert.Equal(Path.Combine(root, "dc1"), lab.TraceDirectory("dc1"));
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "dc1", "groups", "group-2", "instance-1", "trace")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
