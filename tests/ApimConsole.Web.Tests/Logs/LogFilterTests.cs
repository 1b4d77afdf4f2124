using ApimConsole.Core.Logs;
using ApimConsole.Web.Logs;
using static ApimConsole.Web.Tests.Logs.TraceRecords;

namespace ApimConsole.Web.Tests.Logs;

public sealed class LogFilterTests
{
    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
    private static readonly DateTime T0 = new(2026, 11, 23, 14, 0, 0, DateTimeKind.Unspecified);

    private static LogFilter? Parse(IReadOnlyDictionary<string, string> values, out IReadOnlyList<string> errors) =>
        LogFilter.Parse(name => values.GetValueOrDefault(name), Amsterdam, out errors);

    [Fact]
    public void Parse_ReadsEveryPart_AndTimesWithAZoneBecomeTheDatacentersTime()
    {
        var filter = Parse(new Dictionary<string, string>
        {
            ["instance"] = "group-2/instance-1",
            ["level"] = "error,FATAL",
            ["text"] = "upstream",
            ["correlationId"] = "Id-697F605FDB408A78C01CC73E 0",
            ["from"] = "2026-11-23T13:00:00Z",
            ["to"] = "2026-11-23T15:30:00",
        }, out var errors)!;

        Assert.Empty(errors);
        Assert.Equal(("group-2", "instance-1"), (filter.GroupId, filter.InstanceId));
        Assert.Equal([TraceLevel.Fatal, TraceLevel.Error], filter.Levels.Order());
        Assert.Equal("697f605fdb408a78c01cc73e", filter.CorrelationId);
        Assert.Equal(new DateTime(2026, 11, 23, 14, 0, 0), filter.From); // 13:00 UTC is 14:00 in Amsterdam
        Assert.Equal(new DateTime(2026, 11, 23, 15, 30, 0), filter.To);
        // And back: the query form parses to the same filter.
        var again = LogFilter.Parse(name => filter.ToQuery().FirstOrDefault(p => p.Key == name).Value, Amsterdam, out _)!;
        Assert.Equal(filter.ToQueryString(), again.ToQueryString());
    }

    [Fact]
    public void Parse_NamesEveryBadParameter()
    {
        var filter = Parse(new Dictionary<string, string>
        {
            ["instance"] = "../etc",
            ["level"] = "INFO,LOUD",
            ["correlationId"] = "xyz",
            ["from"] = "soon",
            ["text"] = new string('a', 401),
        }, out var errors);

        Assert.Null(filter);
        Assert.Equal(5, errors.Count);
        foreach (var name in new[] { "instance", "level 'LOUD'", "correlationId", "from", "text" })
            Assert.Contains(errors, e => e.StartsWith(name, StringComparison.Ordinal));
        Parse(new Dictionary<string, string> { ["from"] = "2026-11-23T15:00:00", ["to"] = "2026-11-23T14:00:00" }, out errors);
        Assert.Equal(["to must be after from."], errors);
    }

    [Fact]
    public void Matches_CombinesThePartsWithAnd()
    {
        var error = Record(1, "dc1", "instance-1", Entry(TraceLevel.Error, T0, "Upstream timed out"));
        var info = Record(2, "dc1", "instance-2", Entry(TraceLevel.Info, T0.AddMinutes(5), "ok", correlation: null));
        var malformed = Record(3, "dc1", "instance-1", new TraceEntry(0, 3, TraceLevel.Unknown, null, null, null, "???", IsMalformed: true, Note: "bad header"));

        Assert.True(LogFilter.None.Matches(malformed));
        var byText = new LogFilter { Text = "UPSTREAM" };
        Assert.Equal([error], new[] { error, info, malformed }.Where(byText.Matches));
        var byTime = new LogFilter { From = T0.AddMinutes(1), To = T0.AddMinutes(10) };
        Assert.Equal([info], new[] { error, info, malformed }.Where(byTime.Matches));
        var byCorrelationAndInstance = new LogFilter { CorrelationId = "697f605fdb408a78c01cc73e", InstanceId = "instance-2" };
        Assert.DoesNotContain(new[] { error, info, malformed }, byCorrelationAndInstance.Matches);
        var unknownOnly = new LogFilter { Levels = new HashSet<TraceLevel> { TraceLevel.Unknown } };
        Assert.Equal([malformed], new[] { error, info, malformed }.Where(unknownOnly.Matches));
    }

    [Fact]
    public void LineText_KeepsTheTraceFormat_AndMarksMalformedLines()
    {
        var line = Record(1, "dc1", "instance-1", Entry(TraceLevel.Error, T0.AddMilliseconds(426), "first\nsecond"));
        Assert.Equal("group-2/instance-1 ERROR   23/Nov/2026:14:00:00.426 [4f2a:697f605fdb408a78c01cc73e] first\n    second", LogLineText.Format(line));
        var bad = Record(2, "dc1", "instance-1", new TraceEntry(0, 3, TraceLevel.Unknown, null, null, null, "??", IsMalformed: true, Note: "binary data"));
        Assert.Equal("group-2/instance-1 ?       ??  [binary data]", LogLineText.Format(bad));
    }
}
