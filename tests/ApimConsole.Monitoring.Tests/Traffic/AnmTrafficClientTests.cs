using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Traffic;

namespace ApimConsole.Monitoring.Tests.Traffic;

public sealed class AnmTrafficClientTests
{
    [Fact]
    public void Search_ReadsTheTrafficMonitorsRows()
    {
        var rows = AnmTrafficClient.ParseSearch("""
            {"data":[{"correlationId":"697F605FDB408A78C01CC73E","timestamp":1763906400123,"duration":42,"status":503,"method":"POST",
              "uri":"/payments/v2/items/7?x=1","serviceName":"Payments API","operation":"postItems","remoteAddr":"10.0.0.1",
              "bytesSent":10,"bytesReceived":5,"finalStatus":"Error","leg":0}]}
            """, "dc2", "instance-3");
        var t = Assert.Single(rows);
        Assert.Equal(("dc2", "instance-3", "697f605fdb408a78c01cc73e"), (t.DatacenterId, t.InstanceId, t.CorrelationId));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1763906400123), t.Timestamp);
        Assert.Equal((42.0, 503, "/payments/v2/items/{id}"), (t.DurationMs, t.Status, t.ApiPath));
        Assert.False(t.Succeeded);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("""{"rows":[]}""", "'data'")]
    [InlineData("""{"data":[1]}""", "not an object")]
    [InlineData("""{"data":[{"timestamp":1,"duration":1,"status":200,"finalStatus":"Pass"}]}""", "correlationId")]
    [InlineData("""{"data":[{"correlationId":"ab","timestamp":"NaN","duration":1,"status":200,"finalStatus":"Pass"}]}""", "timestamp")]
    [InlineData("""{"data":[{"correlationId":"ab","timestamp":1,"duration":-3,"status":200,"finalStatus":"Pass"}]}""", "duration")]
    [InlineData("""{"data":[{"correlationId":"ab","timestamp":1,"duration":1,"status":20.5,"finalStatus":"Pass"}]}""", "status")]
    [InlineData("""{"data":[{"correlationId":"ab","timestamp":1,"duration":1,"status":200}]}""", "finalStatus")]
    public void Search_RejectsAnythingElse_NamingWhat(string json, string named)
    {
        var ex = Assert.Throws<AnmProtocolException>(() => AnmTrafficClient.ParseSearch(json, "dc1", "instance-1"));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void Trace_IsRead()
    {
        var trace = AnmTrafficClient.ParseTrace("""[{"level":"INFO","text":"run circuit","time":1763906400000,"depth":1}]""");
        Assert.Equal(("INFO", "run circuit", 1), (trace[0].Level, trace[0].Text, trace[0].Depth));
    }

    [Theory]
    [InlineData(0, "1m")]
    [InlineData(16, "1m")]
    [InlineData(60, "1m")]
    [InlineData(61, "2m")]
    [InlineData(600, "10m")]
    [InlineData(3600, "1h")]
    [InlineData(86400, "24h")]
    public void Ago_IsInMinutesOrHours_AsTheTrafficMonitorTakesIt(int seconds, string expected) =>
        Assert.Equal(expected, AnmTrafficClient.Ago(TimeSpan.FromSeconds(seconds)));

    [Theory]
    // The console's old reading of the summary: counters straight under result.
    [InlineData("""{"result":{"successes":5,"failures":1,"exceptions":2,"numMessagesProcessed":8,"uptime":60}}""", "no 'result.summaryMetrics' object")]
    [InlineData("""{"result":{"summaryMetrics":{"successes":5,"failures":1}}}""", "result.summaryMetrics has no 'numMessages'")]
    [InlineData("""{"result":{"summaryMetrics":{"numMessages":6,"failures":1}}}""", "result.summaryMetrics has no 'successes'")]
    [InlineData("""{"result":{"summaryMetrics":{"numMessages":6,"successes":"5","failures":1}}}""", "result.summaryMetrics.successes is \"5\", not a count")]
    [InlineData("""{"result":{"summaryMetrics":{"numMessages":6,"successes":5,"failures":-1}}}""", "result.summaryMetrics.failures is -1, not a count")]
    [InlineData("""{"result":[]}""", "no 'result' object")]
    public void Summary_InAnotherShape_IsNotRead_NamingWhat(string json, string named)
    {
        var ex = Assert.Throws<AnmProtocolException>(() => AnmTrafficClient.ParseSummary(json, DateTimeOffset.UnixEpoch));
        Assert.Equal("the ANM answered monitoring/summary in a shape this console does not read: " + named, ex.Message);
    }

    [Theory]
    // The console's old reading of the timeline: series as an object of arrays.
    [InlineData("""{"result":{"pointStart":0,"pointInterval":10000,"series":{"successes":[1,2],"failures":[0,1]}}}""", "'series' is an object, not a list of series")]
    [InlineData("""{"result":{"name":"x"}}""", "no 'series' list")]
    [InlineData("""{"name":"successes","series":[{"name":"successes","pointInterval":5000,"pointStart":0,"data":[1]}]}""", "no 'failures' series (series: successes)")]
    [InlineData("""{"name":"x","series":[]}""", "no 'successes' series (series: none)")]
    [InlineData("""{"series":[{"name":"successes","pointInterval":0,"pointStart":0,"data":[1]}]}""", "series 'successes' has no positive 'pointInterval'")]
    [InlineData("""{"series":[{"name":"successes","pointInterval":5000,"pointStart":0,"data":[-1]}]}""", "series 'successes' holds -1, not a count")]
    [InlineData("""{"series":[{"name":"successes","pointInterval":5000,"pointStart":0,"data":[1]},{"name":"failures","pointInterval":10000,"pointStart":0,"data":[1]}]}""", "the 'successes' and 'failures' series do not share their pointStart and pointInterval")]
    public void Timeline_InAnotherShape_IsNotRead_NamingWhat(string json, string named)
    {
        var ex = Assert.Throws<AnmProtocolException>(() => AnmTrafficClient.ParseTimeline(json));
        Assert.Equal("the ANM answered monitoring/metrics/timeline in a shape this console does not read: " + named, ex.Message);
    }

    [Fact]
    public void Timeline_IsRead_UnderResultOrBare()
    {
        const string timeline = """{"name":"successes","series":[{"name":"successes","pointInterval":5000,"pointStart":1363737600000,"data":[0.0,2.0,1.0]},{"name":"failures","pointInterval":5000,"pointStart":1363737600000,"data":[1.0,0.0,0.0]}]}""";
        foreach (var json in new[] { timeline, $$"""{"result":{{timeline}}}""" })
        {
            var read = AnmTrafficClient.ParseTimeline(json);
            Assert.Equal((DateTimeOffset.FromUnixTimeMilliseconds(1363737600000), TimeSpan.FromSeconds(5), 4L), (read.Start, read.Interval, read.Total));
            Assert.Equal([0L, 2L, 1L], read.Successes);
        }
    }
}
