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
    public void TraceSummaryAndTimeline_AreRead()
    {
        var trace = AnmTrafficClient.ParseTrace("""[{"level":"INFO","text":"run circuit","time":1763906400000,"depth":1}]""");
        Assert.Equal(("INFO", "run circuit", 1), (trace[0].Level, trace[0].Text, trace[0].Depth));
        var summary = AnmTrafficClient.ParseSummary("""{"result":{"successes":5,"failures":1,"exceptions":2,"numMessagesProcessed":8,"uptime":60}}""", DateTimeOffset.UnixEpoch);
        Assert.Equal((8L, TimeSpan.FromMinutes(1)), (summary.Processed, summary.Uptime!.Value));
        var timeline = AnmTrafficClient.ParseTimeline("""{"result":{"pointStart":0,"pointInterval":10000,"series":{"successes":[1,2],"failures":[0,1]}}}""");
        Assert.Equal(4, timeline.Total);
        Assert.Throws<AnmProtocolException>(() => AnmTrafficClient.ParseTimeline("""{"result":{"pointStart":0,"pointInterval":10000,"series":{"successes":[-1]}}}"""));
    }
}
