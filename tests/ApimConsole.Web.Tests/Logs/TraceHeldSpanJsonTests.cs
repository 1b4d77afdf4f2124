using System.Text.Json;
using System.Text.Json.Nodes;
using ApimConsole.Core.Logs;
using ApimConsole.Web.Api;
using ApimConsole.Web.Logs;

namespace ApimConsole.Web.Tests.Logs;

public sealed class TraceHeldSpanJsonTests
{
    private static JsonNode? Written(TraceHeldSpan span) => JsonSerializer.SerializeToNode(TraceHeldSpanJson.ToJson(span), EstateJson.Options);

    [Fact]
    public void ReadsBackTheSameSpan_ToTheTick()
    {
        var span = new TraceHeldSpan("dc2", new DateTime(2026, 11, 23, 15, 2, 30, 250), new DateTime(2026, 11, 23, 15, 4, 0).AddTicks(1234), 17, 100_000);

        var read = TraceHeldSpanJson.Parse(Written(span), "dc2");

        Assert.Equal(span, read);
        Assert.Equal(TraceHeldLimit.Capacity, read!.Limit);
    }

    [Fact]
    public void ASpanWithNothingLeftOut_ReadsBackAsSuch()
    {
        var read = TraceHeldSpanJson.Parse(Written(new TraceHeldSpan("dc2", null, null, 0, 1000)), "dc2");

        Assert.Equal(TraceHeldLimit.None, read!.Limit);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"capacity":1000}""")]
    [InlineData("""{"readFrom":"yesterday","lastEvicted":null,"evicted":0,"capacity":1000}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":"many","capacity":1000}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"readFrom":12,"lastEvicted":null,"evicted":0,"capacity":1000}""")]
    [InlineData("""{"readFrom":{},"lastEvicted":null,"evicted":0,"capacity":1000}""")]
    [InlineData("""{"readFrom":"2026-11-23T15:02:30.2500000Z","lastEvicted":null,"evicted":0,"capacity":1000}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":1.5,"capacity":1000}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":0,"capacity":30000000000}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":0,"capacity":[]}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":-3,"capacity":1000}""")]
    [InlineData("""{"readFrom":null,"lastEvicted":null,"evicted":0,"capacity":0}""")]
    // A time at the calendar's edge is no line's time, and reading it (the second after, the zone's offset) overflows.
    [InlineData("""{"readFrom":null,"lastEvicted":"9999-12-31T23:59:59.9999999","evicted":1,"capacity":1000}""")]
    [InlineData("""{"readFrom":"9999-12-31T23:59:59.5000000","lastEvicted":null,"evicted":0,"capacity":1000}""")]
    [InlineData("""{"readFrom":"0001-01-01T00:00:00.0000000","lastEvicted":null,"evicted":0,"capacity":1000}""")]
    public void AnythingElse_IsNotKnown_NeverAGuess(string? json)
    {
        Assert.Null(TraceHeldSpanJson.Parse(json is null ? null : JsonNode.Parse(json), "dc2"));
    }
}
