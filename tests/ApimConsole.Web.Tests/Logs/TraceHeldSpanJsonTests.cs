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
    public void AnythingElse_IsNotKnown_NeverAGuess(string? json)
    {
        Assert.Null(TraceHeldSpanJson.Parse(json is null ? null : JsonNode.Parse(json), "dc2"));
    }
}
