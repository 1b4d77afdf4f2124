using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Tests.Logs;

public sealed class TraceLogSearchTests : IDisposable
{
    private const string Target = "697f605fdb408a78c01cc73e";
    private readonly string _root = Directory.CreateTempSubdirectory("trace-search-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Line(DateTime time, string correlation, string message, string level = "INFO", string thread = "4f2a") =>
        $"{level,-8}{time.ToString("dd/MMM/yyyy:HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)} [{thread}:{correlation}] {message}\n";

    private static readonly DateTime T0 = new(2026, 11, 23, 19, 30, 0);

    private static string Id(int n) => n.ToString("x24");

    private string Write(string group, string instance, string name, string text) => WriteBytes(group, instance, name, Encoding.UTF8.GetBytes(text));

    private string WriteBytes(string group, string instance, string name, byte[] bytes)
    {
        var folder = Path.Combine(_root, "groups", group, instance, "trace");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A file of many transactions' lines, some of them multi-line; the target's lines every so often.</summary>
    private static string Transactions(int count, DateTime start, Func<int, string> correlationOf)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var time = start.AddMilliseconds(i * 10);
            var id = correlationOf(i);
            sb.Append(Line(time, id, $"request {i} GET /orders/v1/items/{i}"));
            if (i % 7 == 3)
                sb.Append(Line(time, id, $"dumping headers of {i}", "DEBUG")).Append("    Host: api.example\n    X-CorrelationID: Id-").Append(id).Append(" 0\n\n");
            if (i % 5 == 0)
                sb.Append(Line(time, TraceLineParser.NoCorrelation, $"housekeeping {i} mentions {Target}"));
            sb.Append(Line(time, id, $"transaction complete {i}", i % 11 == 0 ? "ERROR" : "INFO"));
        }
        return sb.ToString();
    }

    private TraceLogSearch Search(ITraceLogSource? source = null, int chunk = 4 * 1024 * 1024, int parallel = 2) =>
        new(new Sources(source ?? new DirectoryTraceLogSource(_root))) { ChunkBytes = chunk, MaxParallelFiles = parallel };

    private static async Task<(List<TraceLogRecord> Hits, TraceSearchProgress Last)> RunAsync(TraceLogSearch search, TraceSearchQuery query, CancellationToken cancellationToken = default)
    {
        var progress = new Recorder();
        var hits = new List<TraceLogRecord>();
        await foreach (var hit in search.SearchAsync(query, progress, cancellationToken))
            hits.Add(hit);
        return (hits, progress.Reports.Last());
    }

    /// <summary>What a full parse of the files says the query must find: the reference the byte search must equal.</summary>
    private static List<(string File, long Offset, string Message)> Expected(IEnumerable<string> paths, Func<TraceEntry, bool> predicate) =>
        paths.SelectMany(p => TraceLineParser.ParseAll(File.ReadAllBytes(p)).Where(predicate).Select(e => (Path.GetFileName(p), e.Offset, e.Message)))
            .OrderBy(e => e.Item1).ThenBy(e => e.Offset).ToList();

    private static List<(string File, long Offset, string Message)> Found(IEnumerable<TraceLogRecord> hits) =>
        hits.Select(h => (h.FileName, h.Entry.Offset, h.Entry.Message)).OrderBy(e => e.FileName).ThenBy(e => e.Offset).ToList();

    [Theory]
    [InlineData(37, false)]
    [InlineData(100, false)]
    [InlineData(999, false)]
    [InlineData(1 << 20, false)]
    [InlineData(37, true)]
    [InlineData(999, true)]
    [InlineData(1 << 20, true)]
    public async Task CorrelationHits_AreWholeEntries_WhateverTheChunkSize(int chunk, bool throughReadAsync)
    {
        var a = Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(300, T0, i => i % 13 == 3 ? Target : Id(i + 1)));
        var b = Write("group-2", "instance-2", "B_20261123193000.trc", Transactions(200, T0, i => i % 17 == 5 ? Target.ToUpperInvariant() : Id(i + 1000)));

        // A folder source's files are read by the search itself into pooled buffers; any other source through ReadAsync.
        ITraceLogSource source = throughReadAsync ? new Wrapping(new DirectoryTraceLogSource(_root)) : new DirectoryTraceLogSource(_root);
        var (hits, last) = await RunAsync(Search(source, chunk: chunk), new TraceSearchQuery("dc1", CorrelationId: Target));

        var expected = Expected([a, b], e => e.CorrelationId == Target);
        Assert.True(expected.Count > 40);
        Assert.Equal(expected, Found(hits));
        // A multi-line message comes out whole, with the header dump it carries.
        Assert.Contains(hits, h => h.Entry.Message.Contains("X-CorrelationID: Id-" + Target, StringComparison.OrdinalIgnoreCase));
        // The housekeeping lines mention the id in their text but belong to no transaction.
        Assert.DoesNotContain(hits, h => h.Entry.Message.StartsWith("housekeeping", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, hits.Count).Select(i => (long)i), hits.Select(h => h.Sequence).Order());
        Assert.True(last.Done);
        Assert.Null(last.Error);
        Assert.False(last.Truncated);
        Assert.Equal((2, 2, hits.Count), (last.FilesTotal, last.FilesSearched, last.Hits));
        Assert.Equal(new FileInfo(a).Length + new FileInfo(b).Length, last.BytesSearched);
        Assert.Equal(last.BytesTotal, last.BytesSearched);
    }

    [Fact]
    public async Task Text_IsCaseInsensitive_OnTheMessage_AndCombinesWithLevels()
    {
        var a = Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(200, T0, i => Id(i + 1)));

        var (hits, _) = await RunAsync(Search(chunk: 333), new TraceSearchQuery("dc1", Text: "TRANSACTION Complete 1", Levels: [TraceLevel.Error]));

        var expected = Expected([a], e => e.Level == TraceLevel.Error && e.Message.Contains("transaction complete 1", StringComparison.Ordinal));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Found(hits));
        Assert.All(hits, h => Assert.Equal(TraceLevel.Error, h.Entry.Level));

        // The level word and the timestamp are not the message.
        var (info, _) = await RunAsync(Search(), new TraceSearchQuery("dc1", Text: "INFO "));
        Assert.Empty(info);
    }

    [Theory]
    // The byte search anchors on a pattern's rarest bytes: here its first ('q'), its last ('x'), or bytes that are not
    // letters ('(' and ')'); each chunk size puts chunk seams through some of the matches.
    [InlineData("quota 7", 31)]
    [InlineData("quota 7", 1 << 20)]
    [InlineData("0 ox", 29)]
    [InlineData("0 ox", 4096)]
    [InlineData("(Pass)", 23)]
    public async Task Text_IsFound_WhereverItsRarestBytesSit_AndAcrossChunkSeams(string text, int chunk)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            var message = (i % 9) switch
            {
                0 => $"QUOTA {i % 10} left",
                1 => $"request id {i} OX",
                2 => $"status 200 (PASS) in {i} ms",
                _ => $"filler {i} of no interest",
            };
            sb.Append(Line(T0.AddMilliseconds(i), Id(i + 1), message));
        }
        var a = Write("group-2", "instance-1", "A_20261123193000.trc", sb.ToString());

        var (hits, _) = await RunAsync(Search(chunk: chunk), new TraceSearchQuery("dc1", Text: text));

        var expected = Expected([a], e => e.Message.Contains(text, StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Found(hits));
    }

    [Fact]
    public async Task Text_OutsideAscii_IsStillMatched_OnTheParsedMessage()
    {
        Write("group-2", "instance-1", "A_20261123193000.trc",
            Line(T0, Id(1), "Größe überschritten") + Line(T0, Id(2), "GRÖSSE ok") + Line(T0, Id(3), "größe ÜBERSCHRITTEN"));

        var (hits, _) = await RunAsync(Search(), new TraceSearchQuery("dc1", Text: "größe über"));

        // The byte search looks for "ber"; the parsed message is compared ignoring case beyond ASCII too.
        Assert.Equal([Id(1), Id(3)], hits.Select(h => h.Entry.CorrelationId).Order());
    }

    [Fact]
    public async Task NoNeedle_ParsesEverything_ThroughTheLevelAndTimeFilters()
    {
        var a = Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(100, T0, i => Id(i + 1)));
        var from = T0.AddMilliseconds(200);
        var to = T0.AddMilliseconds(500);

        var (hits, _) = await RunAsync(Search(chunk: 500), new TraceSearchQuery("dc1", From: from, To: to, Levels: [TraceLevel.Debug, TraceLevel.Error]));

        var expected = Expected([a], e => e.Level is TraceLevel.Debug or TraceLevel.Error && e.Time >= from && e.Time < to);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Found(hits));
    }

    [Fact]
    public async Task TimeRange_PicksTheFilesWhoseSpanOverlaps()
    {
        // instance-1: 19:00 .. 19:30 .. 20:00 .. (open); instance-2: one file from 18:00, open-ended.
        Write("group-2", "instance-1", "A_20261123190000.trc", Line(new DateTime(2026, 11, 23, 19, 10, 0), Target, "in the first"));
        Write("group-2", "instance-1", "A_20261123193000.trc", Line(new DateTime(2026, 11, 23, 19, 40, 0), Target, "in the second"));
        Write("group-2", "instance-1", "A_20261123200000.trc", Line(new DateTime(2026, 11, 23, 20, 10, 0), Target, "in the third"));
        Write("group-2", "instance-2", "B_20261123180000.trc", Line(new DateTime(2026, 11, 23, 19, 45, 0), Target, "in the long one"));

        var (hits, last) = await RunAsync(Search(), new TraceSearchQuery("dc1",
            From: new DateTime(2026, 11, 23, 19, 35, 0), To: new DateTime(2026, 11, 23, 19, 50, 0), CorrelationId: Target));

        Assert.Equal(["in the long one", "in the second"], hits.Select(h => h.Entry.Message).Order());
        Assert.Equal(2, last.FilesTotal);

        // Exactly at a file's start: the file before ends there, so it is not read.
        var (atStart, atStartProgress) = await RunAsync(Search(), new TraceSearchQuery("dc1",
            From: new DateTime(2026, 11, 23, 20, 0, 0), CorrelationId: Target, InstanceId: "instance-1"));
        Assert.Equal(["in the third"], atStart.Select(h => h.Entry.Message));
        Assert.Equal(1, atStartProgress.FilesTotal);
    }

    [Fact]
    public void FilesInRange_KeepsFilesWithoutAStartInTheirName()
    {
        var listing = new List<TraceFileInfo>
        {
            new("g", "i", "A_20261123190000.trc", 10, null),
            new("g", "i", "A_20261123200000.trc", 10, null),
            new("g", "i", "odd.trc", 10, null),
        };

        var picked = TraceLogSearch.FilesInRange(listing, new DateTime(2026, 11, 23, 20, 30, 0), null);

        Assert.Equal(["odd.trc", "A_20261123200000.trc"], picked.Select(f => f.Name));
        Assert.Equal(new DateTime(2026, 11, 23, 19, 0, 0), TraceLogSearch.StartOf("A_B_20261123190000.trc"));
        Assert.Null(TraceLogSearch.StartOf("A_20261323190000.trc"));
    }

    [Fact]
    public async Task InstanceAndGroup_Filters_ReadOnlyThatInstancesFiles()
    {
        Write("group-2", "instance-1", "A_20261123193000.trc", Line(T0, Target, "one"));
        Write("group-2", "instance-2", "B_20261123193000.trc", Line(T0, Target, "two"));
        Write("group-3", "instance-3", "C_20261123193000.trc", Line(T0, Target, "three"));

        var (byInstance, progress) = await RunAsync(Search(), new TraceSearchQuery("dc1", CorrelationId: Target, InstanceId: "instance-2"));
        var (byGroup, _) = await RunAsync(Search(), new TraceSearchQuery("dc1", CorrelationId: Target, GroupId: "group-2"));

        Assert.Equal(["two"], byInstance.Select(h => h.Entry.Message));
        Assert.Equal(("group-2", "instance-2", "B_20261123193000.trc"), (byInstance[0].GroupId, byInstance[0].InstanceId, byInstance[0].FileName));
        Assert.Equal(1, progress.FilesTotal);
        Assert.Equal(["one", "two"], byGroup.Select(h => h.Entry.Message).Order());
    }

    [Fact]
    public async Task MaxResults_CutsTheSearch_AndSaysSo()
    {
        Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(500, T0, _ => Target));
        Write("group-2", "instance-2", "B_20261123193000.trc", Transactions(500, T0, _ => Target));

        var (hits, last) = await RunAsync(Search(chunk: 4096), new TraceSearchQuery("dc1", CorrelationId: Target, MaxResults: 25));

        Assert.Equal(25, hits.Count);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), hits.Select(h => h.Sequence).Order());
        Assert.True(last.Done);
        Assert.True(last.Truncated);
        Assert.Null(last.Error);
        Assert.Equal(25, last.Hits);
    }

    [Theory]
    [InlineData("dc9", null, null, null, 10, "dc9")]
    [InlineData("dc1", "697f605fdb408a78c01cc73", null, null, 10, "24 hex")]
    [InlineData("dc1", "697f605fdb408a78c01cc73g", null, null, 10, "24 hex")]
    [InlineData("dc1", "000000000000000000000000", null, null, 10, "outside any transaction")]
    [InlineData("dc1", null, "2026-11-23T20:00:00", "2026-11-23T19:00:00", 10, "after To")]
    [InlineData("dc1", null, null, null, 0, "MaxResults")]
    public void BadQueries_AreRefused_BeforeAnythingIsRead(string dc, string? correlation, string? from, string? to, int max, string message)
    {
        var source = new CountingSource(new DirectoryTraceLogSource(_root));
        var query = new TraceSearchQuery(dc, from is null ? null : DateTime.Parse(from), to is null ? null : DateTime.Parse(to), correlation, MaxResults: max);

        var e = Assert.ThrowsAny<ArgumentException>(() => Search(source).SearchAsync(query, null, default));

        Assert.Contains(message, e.Message);
        Assert.Equal(0, source.Calls);
    }

    [Fact]
    public async Task StoppingTheEnumeration_EndsTheSearch_Cleanly()
    {
        Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(500, T0, _ => Target));
        Write("group-2", "instance-2", "B_20261123190000.trc", Transactions(500, T0, _ => Target));
        var progress = new Recorder();
        var taken = 0;

        await foreach (var _ in Search(chunk: 2000).SearchAsync(new TraceSearchQuery("dc1", CorrelationId: Target), progress, default))
        {
            if (++taken == 3)
                break;
        }

        // The reading stopped with the enumeration: the last report is the final one, long before the files' end.
        var last = progress.Reports[^1];
        Assert.True(last.Done);
        Assert.Null(last.Error);
        Assert.True(last.BytesSearched < last.BytesTotal);
    }

    [Fact]
    public async Task Registered_WithTheTails_SearchingEachConfiguredDatacentersSource()
    {
        Write("group-2", "instance-1", "A_20261123190000.trc", Line(T0, Target, "found through the registration"));
        var estate = new EstateOptions
        {
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", Logs = new TraceLogOptions { Directory = _root } },
                new DatacenterOptions { Id = "dc2", Logs = new TraceLogOptions { Url = "http://127.0.0.1:1/" } },
                new DatacenterOptions { Id = "dc3" },
            ],
        };
        await using var provider = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(Options.Create(estate))
            .AddTraceLogTails(capacity: 10)
            .BuildServiceProvider();
        var search = provider.GetRequiredService<ITraceLogSearch>();

        var found = new List<TraceLogRecord>();
        await foreach (var hit in search.SearchAsync(new TraceSearchQuery("dc1", CorrelationId: Target), null, default))
            found.Add(hit);
        var progress = new Recorder();
        await foreach (var _ in search.SearchAsync(new TraceSearchQuery("dc2", CorrelationId: Target), progress, default))
        {
        }

        Assert.Equal("found through the registration", Assert.Single(found).Entry.Message);
        Assert.Equal("dc1", found[0].DatacenterId);
        // A dead log server is an error in the result, not an exception.
        Assert.True(progress.Reports[^1].Done);
        Assert.Contains("unreachable", progress.Reports[^1].Error);
        Assert.Throws<ArgumentException>(() => search.SearchAsync(new TraceSearchQuery("dc3"), null, default));
    }

    [Fact]
    public async Task Cancelling_StopsASearchWaitingOnTheSource()
    {
        Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(10, T0, _ => Target));
        var blocking = new BlockingSource(new DirectoryTraceLogSource(_root));
        using var cts = new CancellationTokenSource();
        var search = Search(blocking);

        var run = Task.Run(async () =>
        {
            await foreach (var _ in search.SearchAsync(new TraceSearchQuery("dc1", CorrelationId: Target), null, cts.Token))
            {
            }
        });
        await blocking.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(blocking.SawCancel);
    }

    [Fact]
    public async Task SourceFailingMidSearch_EndsWithAnError_KeepingTheHitsFound()
    {
        var first = Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(50, T0, _ => Target));
        Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(50, T0.AddMinutes(30), _ => Target));
        var inFirst = Expected([first], e => e.CorrelationId == Target).Count;
        var failing = new FailingSource(new DirectoryTraceLogSource(_root)) { ReadsBeforeFailing = 1 };

        var (hits, last) = await RunAsync(Search(failing, parallel: 1), new TraceSearchQuery("dc1", CorrelationId: Target));

        Assert.Equal(inFirst, hits.Count);
        Assert.All(hits, h => Assert.Equal("A_20261123190000.trc", h.FileName));
        Assert.True(last.Done);
        Assert.Equal("the log server went away", last.Error);
        Assert.Equal(inFirst, last.Hits);
    }

    [Fact]
    public async Task FileRolledAwayMidSearch_IsANote_AndTheOthersAreSearched()
    {
        Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(50, T0, _ => Target));
        var second = Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(50, T0.AddMinutes(30), _ => Target));
        var deleting = new DeletingSource(new DirectoryTraceLogSource(_root), "A_20261123190000.trc");

        var (hits, last) = await RunAsync(Search(deleting, chunk: 1000, parallel: 1), new TraceSearchQuery("dc1", CorrelationId: Target));

        Assert.True(last.Done);
        Assert.Null(last.Error);
        Assert.Contains(last.Notes!, n => n.Contains("A_20261123190000.trc is gone", StringComparison.Ordinal));
        Assert.Equal(Expected([second], e => e.CorrelationId == Target).Count, hits.Count(h => h.FileName == Path.GetFileName(second)));
        Assert.Equal(2, last.FilesSearched);
    }

    [Fact]
    public async Task FileTruncatedMidSearch_IsANote()
    {
        var path = Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(50, T0, _ => Target));
        var expected = Expected([path], e => e.CorrelationId == Target).Count;
        var truncating = new TruncatingSource(new DirectoryTraceLogSource(_root), path);

        var (hits, last) = await RunAsync(Search(truncating, chunk: 1000, parallel: 1), new TraceSearchQuery("dc1", CorrelationId: Target));

        Assert.True(last.Done);
        Assert.Null(last.Error);
        Assert.Contains(last.Notes!, n => n.Contains("shrank", StringComparison.Ordinal));
        Assert.InRange(hits.Count, 1, expected - 1);
    }

    [Fact]
    public async Task FolderFile_DeletedMidSearch_IsReadToTheEnd_ThroughItsOpenHandle()
    {
        var path = Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(200, T0, _ => Target));
        var expected = Expected([path], e => e.CorrelationId == Target);
        var search = Search(chunk: 1000, parallel: 1);
        var progress = new Recorder(p =>
        {
            if (p.BytesSearched > 0 && File.Exists(path))
                File.Delete(path); // the gateway rolled it away
        });

        var hits = new List<TraceLogRecord>();
        await foreach (var hit in search.SearchAsync(new TraceSearchQuery("dc1", CorrelationId: Target), progress, default))
            hits.Add(hit);

        Assert.False(File.Exists(path));
        Assert.Equal(expected, Found(hits));
        Assert.Null(progress.Reports[^1].Error);
    }

    [Fact]
    public async Task FolderFile_TruncatedMidSearch_IsANote()
    {
        var path = Write("group-2", "instance-1", "A_20261123190000.trc", Transactions(200, T0, _ => Target));
        var expected = Expected([path], e => e.CorrelationId == Target).Count;
        var truncated = false;
        var progress = new Recorder(p =>
        {
            if (p.BytesSearched > 0 && !truncated)
            {
                truncated = true;
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                stream.SetLength(stream.Length / 3);
            }
        });

        var hits = new List<TraceLogRecord>();
        await foreach (var hit in Search(chunk: 1000, parallel: 1).SearchAsync(new TraceSearchQuery("dc1", CorrelationId: Target), progress, default))
            hits.Add(hit);

        var last = progress.Reports[^1];
        Assert.True(last.Done);
        Assert.Null(last.Error);
        Assert.Contains(last.Notes!, n => n.Contains("shrank", StringComparison.Ordinal));
        Assert.InRange(hits.Count, 1, expected - 1);
    }

    [Fact]
    public async Task Garbage_BinaryAndPartialLines_NeverBreakTheSearch()
    {
        var random = new Random(7);
        var noise = new byte[300_000];
        random.NextBytes(noise);
        var mixed = new List<byte>();
        mixed.AddRange(Encoding.UTF8.GetBytes(Line(T0, Target, "before the noise")));
        mixed.AddRange(noise);
        mixed.AddRange(Encoding.UTF8.GetBytes("\n" + Line(T0, Target, "after the noise") + "INFO    23/Nov/2026:19:3"));
        mixed.AddRange(Encoding.UTF8.GetBytes(Target)); // a partial last line that mentions the id
        WriteBytes("group-2", "instance-1", "A_20261123190000.trc", mixed.ToArray());
        var allNoise = new byte[200_000];
        random.NextBytes(allNoise);
        WriteBytes("group-2", "instance-2", "B_20261123190000.trc", allNoise);
        WriteBytes("group-2", "instance-3", "C_20261123190000.trc", Encoding.UTF8.GetBytes("INFO    not a timestamp " + Target + "\n\0\0\0" + Target + "\n"));

        foreach (var chunk in new[] { 1000, 65536, 1 << 20 })
        {
            var (hits, last) = await RunAsync(Search(chunk: chunk), new TraceSearchQuery("dc1", CorrelationId: Target));
            Assert.Equal(["after the noise", "before the noise"], hits.Select(h => h.Entry.Message).Order());
            Assert.True(last.Done);
            Assert.Null(last.Error);

            // A text search shows what matches in the malformed and binary lines, with their notes.
            var (text, textProgress) = await RunAsync(Search(chunk: chunk), new TraceSearchQuery("dc1", Text: Target, InstanceId: "instance-3"));
            Assert.Equal(2, text.Count);
            Assert.All(text, h => Assert.True(h.Entry.IsMalformed));
            Assert.Contains(text, h => h.Entry.Note!.Contains("not text", StringComparison.Ordinal));
            Assert.Contains(textProgress.Notes!, n => n.Contains("not text", StringComparison.Ordinal));
        }
    }

    [NginxFact]
    public async Task OverHttp_FromAnNginxAutoindex_FindsTheSameAsTheFolder()
    {
        var a = Write("group-2", "instance-1", "A_20261123193000.trc", Transactions(400, T0, i => i % 9 == 2 ? Target : Id(i + 1)));
        Write("group-3", "instance-3", "C_20261123193000.trc", Transactions(100, T0, i => Id(i + 7000)));
        await using var nginx = await NginxServer.StartAsync(_root);
        using var http = new HttpClient();
        var source = new HttpTraceLogSource(http, nginx.BaseUrl, TimeSpan.FromSeconds(5));

        var (hits, last) = await RunAsync(Search(source, chunk: 4000), new TraceSearchQuery("dc1", CorrelationId: Target));

        Assert.Equal(Expected([a], e => e.CorrelationId == Target), Found(hits));
        Assert.Equal((2, 2), (last.FilesTotal, last.FilesSearched));
        Assert.Null(last.Error);
    }

    private sealed class Recorder(Action<TraceSearchProgress>? onReport = null) : IProgress<TraceSearchProgress>
    {
        private readonly Lock _gate = new();
        private readonly List<TraceSearchProgress> _reports = [];

        public IReadOnlyList<TraceSearchProgress> Reports
        {
            get { lock (_gate) return _reports.ToList(); }
        }

        public void Report(TraceSearchProgress value)
        {
            lock (_gate)
                _reports.Add(value);
            onReport?.Invoke(value);
        }
    }

    private sealed class Sources(ITraceLogSource source) : ITraceLogSources
    {
        public IReadOnlyList<string> DatacenterIds => ["dc1"];
        public ITraceLogSource? For(string datacenterId) => datacenterId == "dc1" ? source : null;
        public TimeZoneInfo TimeZoneOf(string datacenterId) => TimeZoneInfo.Utc;
    }

    /// <summary>Any source but a folder one: the search reads it through <see cref="ITraceLogSource.ReadAsync"/>.</summary>
    private class Wrapping(ITraceLogSource inner) : ITraceLogSource
    {
        public string Location => inner.Location;
        public virtual Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken) => inner.ListFilesAsync(cancellationToken);
        public virtual Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken) =>
            inner.ReadAsync(file, offset, maxBytes, cancellationToken);
    }

    private sealed class CountingSource(ITraceLogSource inner) : Wrapping(inner)
    {
        public int Calls;

        public override Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return base.ListFilesAsync(cancellationToken);
        }
    }

    private sealed class BlockingSource(ITraceLogSource inner) : Wrapping(inner)
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool SawCancel { get; private set; }

        public override async Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancel = true;
                throw;
            }
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Answers a number of reads, then neither reads nor lists: the log server is gone.</summary>
    private sealed class FailingSource(ITraceLogSource inner) : Wrapping(inner)
    {
        private int _reads;
        public int ReadsBeforeFailing { get; init; }

        public override Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken) =>
            Volatile.Read(ref _reads) > ReadsBeforeFailing ? throw new TraceLogSourceException("the log server went away") : base.ListFilesAsync(cancellationToken);

        public override Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _reads) > ReadsBeforeFailing ? throw new TraceLogSourceException("the log server went away") : base.ReadAsync(file, offset, maxBytes, cancellationToken);
    }

    /// <summary>Deletes one file after its first read, as a roll that removes the oldest file would.</summary>
    private sealed class DeletingSource(ITraceLogSource inner, string name) : Wrapping(inner)
    {
        private readonly string _root = inner.Location;

        public override async Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken)
        {
            var chunk = await base.ReadAsync(file, offset, maxBytes, cancellationToken);
            if (file.Name == name)
                File.Delete(Path.Combine(_root, file.RelativePath));
            return chunk;
        }
    }

    /// <summary>Truncates the file to a third after the first read.</summary>
    private sealed class TruncatingSource(ITraceLogSource inner, string path) : Wrapping(inner)
    {
        private bool _done;

        public override async Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken)
        {
            var chunk = await base.ReadAsync(file, offset, maxBytes, cancellationToken);
            if (!_done)
            {
                _done = true;
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                stream.SetLength(stream.Length / 3);
            }
            return chunk;
        }
    }
}
