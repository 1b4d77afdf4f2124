using System.Text;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Monitoring.Tests.Logs;

/// <summary>The HTTP log source against a real nginx from Debian serving a trace folder tree.</summary>
public sealed class HttpTraceLogSourceNginxTests : IAsyncLifetime
{
    private const string Corr = "697f605fdb408a78c01cc73e";
    private readonly string _root = Directory.CreateTempSubdirectory("nginx-trace-").FullName;
    private readonly HttpClient _http = new();
    private NginxServer? _nginx;

    private static string Line(string level, int second, string correlation, string message) =>
        $"{level,-8}23/Nov/2026:19:30:{second:00}.123 [4f2a:{correlation}] {message}\n";

    private string TraceFolder(string group, string instance)
    {
        var folder = Path.Combine(_root, "groups", group, instance, "trace");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public async Task InitializeAsync()
    {
        if (NginxServer.Binary is null)
            return;
        var a = TraceFolder("group-2", "instance-1");
        File.WriteAllText(Path.Combine(a, "Frankfurt_Internal_Zone_1_20261123193000.trc"),
            Line("INFO", 0, TraceLineParser.NoCorrelation, "Server started") +
            Line("ERROR", 1, Corr, "Exception caught:") +
            "java.lang.IllegalStateException: boom\n\tat com.vordel.Filter.invoke(Filter.java:42)\n" +
            Line("DEBUG", 2, Corr, "    filter 'Set service context' returns true"));
        File.WriteAllText(Path.Combine(a, "notes.txt"), "not a trace file");
        var b = TraceFolder("group-3", "instance 3"); // a space: the URL must be escaped
        File.WriteAllBytes(Path.Combine(b, "DMZ 3_20261123193000.trc"),
            [.. Encoding.UTF8.GetBytes(Line("INFO", 3, Corr, "before garbage")), 0x00, 0xff, 0x1b, 0x07, (byte)'\n', .. Encoding.UTF8.GetBytes(Line("INFO", 4, Corr, "after garbage") + "INFO    23/Nov/2026:19:3")]);
        Directory.CreateDirectory(Path.Combine(_root, "groups", "group-3", "instance-9")); // no trace folder yet
        _nginx = await NginxServer.StartAsync(_root);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_nginx is not null)
            await _nginx.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private HttpTraceLogSource Source() => new(_http, _nginx!.BaseUrl, TimeSpan.FromSeconds(5));

    private static async Task<(List<TraceEntry> Entries, List<string> Notes)> ReadAllAsync(ITraceLogSource source, TraceFileInfo file, int chunk, bool final = true)
    {
        var cursor = new TraceFileCursor(file);
        var entries = new List<TraceEntry>();
        var notes = new List<string>();
        while (true)
        {
            var read = await cursor.ReadAsync(source, chunk, final, default);
            entries.AddRange(read.Entries);
            notes.AddRange(read.Notes);
            if (read.AtEnd)
                return (entries, notes);
        }
    }

    [NginxFact]
    public async Task ListsTheTraceFilesOfEveryInstance_AsTheDirectorySourceDoes()
    {
        var overHttp = await Source().ListFilesAsync(default);
        var onDisk = await new DirectoryTraceLogSource(_root).ListFilesAsync(default);

        Assert.Equal(
            ["group-2/instance-1/Frankfurt_Internal_Zone_1_20261123193000.trc", "group-3/instance 3/DMZ 3_20261123193000.trc"],
            overHttp.Select(f => $"{f.GroupId}/{f.InstanceId}/{f.Name}"));
        Assert.Equal(onDisk.Select(f => (f.RelativePath, f.Size)), overHttp.Select(f => (f.RelativePath, f.Size)));
        // nginx gives mtime in RFC 1123, to the second.
        Assert.All(overHttp, f => Assert.InRange(f.LastModified!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [NginxFact]
    public async Task ReadsMultiLineMessagesAndAllZeroCorrelations_InRangeChunks()
    {
        var source = Source();
        var file = (await source.ListFilesAsync(default)).First(f => f.InstanceId == "instance-1");

        var (entries, notes) = await ReadAllAsync(source, file, chunk: 25);

        Assert.Empty(notes);
        Assert.Equal(3, entries.Count);
        Assert.Null(entries[0].CorrelationId);
        Assert.Equal("Server started", entries[0].Message);
        Assert.Equal(TraceLevel.Error, entries[1].Level);
        Assert.Equal(Corr, entries[1].CorrelationId);
        Assert.Equal("Exception caught:\njava.lang.IllegalStateException: boom\n\tat com.vordel.Filter.invoke(Filter.java:42)", entries[1].Message);
        Assert.Equal("    filter 'Set service context' returns true", entries[2].Message);
        Assert.Equal(file.Size, entries[^1].EndOffset);
    }

    [NginxFact]
    public async Task BinaryGarbageAndAPartialLastLine_AreShownWithNotes_NotFatal()
    {
        var source = Source();
        var file = (await source.ListFilesAsync(default)).Single(f => f.InstanceId == "instance 3");

        var (entries, notes) = await ReadAllAsync(source, file, chunk: 16);

        Assert.Equal(["before garbage", "after garbage"], entries.Where(e => !e.IsMalformed).Select(e => e.Message));
        Assert.Contains(entries, e => e.IsMalformed && e.Note!.Contains("not text", StringComparison.Ordinal));
        var last = entries[^1];
        Assert.True(last.IsMalformed);
        Assert.Contains("partial last line", last.Note);
        Assert.Contains(notes, n => n.Contains("partial line", StringComparison.Ordinal));
    }

    [NginxFact]
    public async Task Tail_ReadsOnlyWhatIsAppended_AndCompletesASplitLine()
    {
        var source = Source();
        var folder = TraceFolder("group-2", "instance-1");
        var path = Path.Combine(folder, "Frankfurt_Internal_Zone_1_20261123193000.trc");
        var file = (await source.ListFilesAsync(default)).First(f => f.InstanceId == "instance-1");
        var cursor = new TraceFileCursor(file);
        var first = await cursor.ReadAsync(source, 64 * 1024, final: false, default);
        Assert.True(first.AtEnd);
        Assert.Equal(2, first.Entries.Count); // the third may still get continuation lines
        Assert.Equal("    filter 'Set service context' returns true", cursor.Pending!.Message);
        var before = cursor.Position;

        var appended = Line("INFO", 5, Corr, "transaction complete: status 200");
        File.AppendAllText(path, appended[..20]);
        var half = await cursor.ReadAsync(source, 64 * 1024, final: false, default);
        Assert.Empty(half.Entries);
        Assert.Equal(before + 20, cursor.Position);

        File.AppendAllText(path, appended[20..] + "INFO    23/Nov/2026:19:30:06.000 [4f2a:000000000000000000000000] idle\n");
        var rest = await cursor.ReadAsync(source, 64 * 1024, final: false, default);

        Assert.Equal(["    filter 'Set service context' returns true", "transaction complete: status 200"], rest.Entries.Select(e => e.Message));
        Assert.Equal(before, rest.Entries[1].Offset);
        Assert.Equal(new FileInfo(path).Length, cursor.Position);

        var nothing = await cursor.ReadAsync(source, 64 * 1024, final: false, default);
        Assert.Empty(nothing.Entries);
        Assert.True(nothing.AtEnd);
    }

    [NginxFact]
    public async Task TruncatedFile_IsNotedAndReadAgainFromTheStart()
    {
        var source = Source();
        var path = Path.Combine(TraceFolder("group-2", "instance-1"), "Frankfurt_Internal_Zone_1_20261123193000.trc");
        var file = (await source.ListFilesAsync(default)).First(f => f.InstanceId == "instance-1");
        var cursor = new TraceFileCursor(file);
        await cursor.ReadAsync(source, 64 * 1024, final: false, default);

        File.WriteAllText(path, Line("INFO", 9, Corr, "fresh start"));
        var read = await cursor.ReadAsync(source, 64 * 1024, final: true, default);

        Assert.Contains(read.Notes, n => n.Contains("shrank", StringComparison.Ordinal));
        Assert.Equal("fresh start", read.Entries[^1].Message);
        Assert.Equal(0, read.Entries[^1].Offset);
    }

    [NginxFact]
    public async Task Follower_MovesToTheNewFile_WhenTheGatewayRolls()
    {
        var source = Source();
        var follower = new InstanceTraceFollower("group-2", "instance-1");
        var first = await follower.PollAsync(source, await source.ListFilesAsync(default), 64 * 1024, backfillBytes: 1 << 20, default);
        Assert.Equal(2, first.Entries.Count);

        File.WriteAllText(Path.Combine(TraceFolder("group-2", "instance-1"), "Frankfurt_Internal_Zone_1_20261123193100.trc"),
            Line("INFO", 10, Corr, "in the new file") + Line("INFO", 11, Corr, "and more"));
        var next = await follower.PollAsync(source, await source.ListFilesAsync(default), 64 * 1024, backfillBytes: 0, default);

        Assert.Equal(["    filter 'Set service context' returns true", "in the new file"], next.Entries.Select(e => e.Message));
        Assert.Contains(next.Notes, n => n.Contains("rolled to a new file: Frankfurt_Internal_Zone_1_20261123193100.trc", StringComparison.Ordinal));
        Assert.Equal("Frankfurt_Internal_Zone_1_20261123193100.trc", follower.Cursor!.File.Name);
    }

    [NginxFact]
    public async Task HtmlListing_IsAClearError()
    {
        var source = new HttpTraceLogSource(_http, _nginx!.HtmlUrl, TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ListFilesAsync(default));

        Assert.Contains("autoindex_format json", error.Message);
    }

    [NginxFact]
    public async Task MissingFile_SaysItIsGone()
    {
        var source = Source();
        var gone = new TraceFileInfo("group-2", "instance-1", "Frankfurt_Internal_Zone_1_20200101000000.trc", 10, null);

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ReadAsync(gone, 0, 100, default));

        Assert.Contains("is gone", error.Message);
    }

    [NginxFact]
    public async Task NothingListens_IsUnreachable()
    {
        await _nginx!.DisposeAsync();
        var source = new HttpTraceLogSource(_http, _nginx.BaseUrl, TimeSpan.FromSeconds(2));
        _nginx = null;

        var error = await Assert.ThrowsAsync<TraceLogSourceException>(() => source.ListFilesAsync(default));
        Assert.Contains("unreachable", error.Message);
    }
}
