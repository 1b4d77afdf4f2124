using ApimConsole.Core.Configuration;
using ApimConsole.Core.Logs;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Logs;

public sealed class DatacenterTraceTailTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("trace-tail-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Line(int second, string message) =>
        $"INFO    23/Nov/2026:19:30:{second:00}.000 [4f2a:697f605fdb408a78c01cc73e] {message}\n";

    private string FileOf(string group, string instance, string name)
    {
        var folder = Path.Combine(_root, "groups", group, instance, "trace");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    private DatacenterTraceTail Tail(TraceLogBuffer buffer, TimeProvider? time = null) =>
        new("dc1", new DirectoryTraceLogSource(_root), buffer, time ?? TimeProvider.System, NullLogger.Instance) { BackfillBytes = 1 << 20 };

    [Fact]
    public async Task Poll_AppendsEveryInstancesNewEntries_ToTheSharedBuffer()
    {
        var a = FileOf("group-2", "instance-1", "A_20261123193000.trc");
        var b = FileOf("group-3", "instance-3", "B_20261123193000.trc");
        File.WriteAllText(a, Line(1, "a1") + Line(2, "a2"));
        File.WriteAllText(b, Line(1, "b1") + Line(2, "b2"));
        var buffer = new TraceLogBuffer(100);
        var tail = Tail(buffer);

        Assert.True(await tail.PollOnceAsync(default));
        // The last entry of each file stays open for continuation lines until the next line comes.
        Assert.Equal(["a1", "b1"], buffer.Latest(10).Select(r => r.Entry.Message).Order());

        File.AppendAllText(a, Line(3, "a3"));
        await tail.PollOnceAsync(default);

        var records = buffer.Latest(10);
        Assert.Equal(["a1", "a2", "b1"], records.Select(r => r.Entry.Message).Order());
        var a2 = records.Single(r => r.Entry.Message == "a2");
        Assert.Equal(("dc1", "group-2", "instance-1", "A_20261123193000.trc"), (a2.DatacenterId, a2.GroupId, a2.InstanceId, a2.FileName));
        Assert.True(tail.Status.Reachable);
        Assert.Null(tail.Status.Error);
    }

    [Fact]
    public async Task Buffer_StaysBounded_HoweverMuchIsRead()
    {
        var a = FileOf("group-2", "instance-1", "A_20261123193000.trc");
        File.WriteAllText(a, string.Concat(Enumerable.Range(0, 500).Select(i => Line(i % 60, $"line {i}"))));
        var buffer = new TraceLogBuffer(50);

        await Tail(buffer).PollOnceAsync(default);

        Assert.Equal(50, buffer.Count);
        Assert.Equal("line 498", buffer.Latest(1)[0].Entry.Message);
    }

    [Fact]
    public async Task MissingSource_IsAStatus_NotAnException()
    {
        var tail = new DatacenterTraceTail("dc2", new DirectoryTraceLogSource(Path.Combine(_root, "nowhere")), new TraceLogBuffer(10), TimeProvider.System, NullLogger.Instance);

        Assert.False(await tail.PollOnceAsync(default));

        Assert.False(tail.Status.Reachable);
        Assert.Contains("no 'groups' folder", tail.Status.Error);
    }

    /// <summary>A source that fails the way HttpClient once did (a raw SocketException), then answers as the folder does.</summary>
    private sealed class FailingOnce(ITraceLogSource inner) : ITraceLogSource
    {
        public int Failures { get; set; } = 1;
        public string Location => inner.Location;

        public Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken)
        {
            if (Failures-- > 0)
                throw new System.Net.Sockets.SocketException(107);
            return inner.ListFilesAsync(cancellationToken);
        }

        public Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken) =>
            inner.ReadAsync(file, offset, maxBytes, cancellationToken);
    }

    [Fact]
    public async Task Run_AnUnexpectedFailureOfTheSource_IsAStatus_AndTheTailGoesOn()
    {
        // Two lines: the last entry of a file is held until the next one starts (an entry may run over several lines).
        File.WriteAllText(FileOf("group-2", "instance-1", "A_20261123193000.trc"), Line(1, "first") + Line(2, "second"));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var buffer = new TraceLogBuffer(10);
        var tail = new DatacenterTraceTail("dc1", new FailingOnce(new DirectoryTraceLogSource(_root)), buffer, time, NullLogger.Instance) { BackfillBytes = 1 << 20 };
        using var cts = new CancellationTokenSource();
        var run = tail.RunAsync(TimeSpan.FromSeconds(1), cts.Token);

        await Eventually.Until(() => tail.Status.Error is not null, TimeSpan.FromSeconds(10), "the failure reported as the tail's status");
        Assert.False(tail.Status.Reachable);
        Assert.StartsWith("the log source failed:", tail.Status.Error, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);

        // The tail waits its interval after the failure; the wait may start just after the status is set, so the clock is
        // moved on until the next poll has run.
        await Eventually.Until(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return buffer.Count == 1;
        }, TimeSpan.FromSeconds(10), "the next poll reading the file");
        Assert.True(tail.Status.Reachable);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Run_PollsOnTheClock()
    {
        var a = FileOf("group-2", "instance-1", "A_20261123193000.trc");
        File.WriteAllText(a, Line(1, "first") + Line(2, "second"));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var buffer = new TraceLogBuffer(10);
        using var cts = new CancellationTokenSource();
        var run = Tail(buffer, time).RunAsync(TimeSpan.FromSeconds(1), cts.Token);
        await Eventually.Until(() => buffer.Count == 1, TimeSpan.FromSeconds(10), "the first entry in the buffer");

        File.AppendAllText(a, Line(3, "third"));
        await Task.Yield();
        Assert.Equal(1, buffer.Count); // no new poll before the interval passes
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => buffer.Count == 2, TimeSpan.FromSeconds(10), "the second entry in the buffer");

        await cts.CancelAsync();
        await run;
        Assert.Equal(["first", "second"], buffer.Latest(10).Select(r => r.Entry.Message));
    }

    [Fact]
    public async Task LabLinkDown_MarksTheOtherDatacentersLogsUnreachable_ThenRecovers()
    {
        await using var lab = await LabEstate.StartAsync(new LabOptions { StartCassandra = false, TrafficRatePerSecond = 0 }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        using var http = new HttpClient();
        var source = DatacenterTraceTail.SourceFor(new TraceLogOptions { Url = lab.Endpoints["dc2"].LogsUrl }, http, TimeSpan.FromSeconds(2))!;
        var tail = new DatacenterTraceTail("dc2", source, new TraceLogBuffer(1000), TimeProvider.System, NullLogger.Instance);
        lab.FlushTraceFiles();
        Assert.True(await tail.PollOnceAsync(default));
        var lastSuccess = tail.Status.LastSuccess;

        lab.Faults.Apply("link", "down");
        Assert.False(await tail.PollOnceAsync(default));
        Assert.False(tail.Status.Reachable);
        Assert.Contains("unreachable", tail.Status.Error);
        Assert.Equal(lastSuccess, tail.Status.LastSuccess);

        lab.Faults.Apply("link", "up");
        Assert.True(await tail.PollOnceAsync(default));
        Assert.True(tail.Status.Reachable);
    }

    [Fact]
    public void SourceFor_PicksTheConfiguredKind()
    {
        using var http = new HttpClient();
        Assert.IsType<DirectoryTraceLogSource>(DatacenterTraceTail.SourceFor(new TraceLogOptions { Directory = _root }, http, TimeSpan.FromSeconds(1)));
        Assert.IsType<HttpTraceLogSource>(DatacenterTraceTail.SourceFor(new TraceLogOptions { Url = "http://127.0.0.1:1/" }, http, TimeSpan.FromSeconds(1)));
        Assert.Null(DatacenterTraceTail.SourceFor(new TraceLogOptions(), http, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Start_PartWayIntoTheFile_TheBufferHoldsFromTheFirstLineRead()
    {
        var a = FileOf("group-2", "instance-1", "A_20261123193000.trc");
        File.WriteAllText(a, Line(1, "before") + Line(2, "first read") + Line(3, "next"));
        var buffer = new TraceLogBuffer(100);
        var tail = new DatacenterTraceTail("dc1", new DirectoryTraceLogSource(_root), buffer, TimeProvider.System, NullLogger.Instance)
        {
            // The last two lines: the start lands mid-line in the first and skips to the second.
            BackfillBytes = Line(2, "first read").Length + Line(3, "next").Length + 3,
        };

        await tail.PollOnceAsync(default);
        File.AppendAllText(a, Line(4, "later"));
        await tail.PollOnceAsync(default);

        var span = buffer.HeldSpan("dc1");
        Assert.Equal(TraceHeldLimit.TailStart, span.Limit);
        Assert.Equal(new DateTime(2026, 11, 23, 19, 30, 2), span.CompleteFrom);
        Assert.Equal("first read", buffer.Latest(10)[0].Entry.Message);
    }

    [Fact]
    public async Task Start_AtTheOnlyFilesStart_NothingLeftOut()
    {
        File.WriteAllText(FileOf("group-2", "instance-1", "A_20261123193000.trc"), Line(1, "a1") + Line(2, "a2"));
        var buffer = new TraceLogBuffer(100);

        await Tail(buffer).PollOnceAsync(default);

        Assert.Equal(TraceHeldLimit.None, buffer.HeldSpan("dc1").Limit);
    }

    [Fact]
    public async Task Start_WithOlderRolledFiles_TheyCountAsLeftOut()
    {
        File.WriteAllText(FileOf("group-2", "instance-1", "A_20261123190000.trc"), Line(1, "old"));
        File.WriteAllText(FileOf("group-2", "instance-1", "A_20261123193000.trc"), Line(5, "new1") + Line(6, "new2"));
        var buffer = new TraceLogBuffer(100);

        await Tail(buffer).PollOnceAsync(default);

        Assert.Equal(new DateTime(2026, 11, 23, 19, 30, 5), buffer.HeldSpan("dc1").CompleteFrom);
    }

    [Fact]
    public async Task Start_AtTheEndWithNothingRead_HoldsFromThatMomentInTheDatacentersZone()
    {
        File.WriteAllText(FileOf("group-2", "instance-1", "A_20261123193000.trc"), Line(1, "a1") + Line(2, "a2"));
        var buffer = new TraceLogBuffer(100);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 18, 40, 7, TimeSpan.Zero));
        var tail = new DatacenterTraceTail("dc1", new DirectoryTraceLogSource(_root), buffer, time, NullLogger.Instance)
        {
            BackfillBytes = 0,
            Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam"),
        };

        await tail.PollOnceAsync(default);
        time.Advance(TimeSpan.FromMinutes(1));
        File.AppendAllText(FileOf("group-2", "instance-1", "A_20261123193000.trc"), Line(50, "written later") + Line(51, "and more"));
        await tail.PollOnceAsync(default);

        // 18:40:07 UTC is 19:40:07 in Amsterdam in November; the later line does not move it.
        Assert.Equal(new DateTime(2026, 11, 23, 19, 40, 7), buffer.HeldSpan("dc1").CompleteFrom);
        Assert.Equal("written later", buffer.Latest(10)[0].Entry.Message);
    }
}
