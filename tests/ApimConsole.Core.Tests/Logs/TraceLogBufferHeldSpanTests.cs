using ApimConsole.Core.Logs;

namespace ApimConsole.Core.Tests.Logs;

public sealed class TraceLogBufferHeldSpanTests
{
    private static readonly DateTime At19 = new(2026, 11, 23, 19, 0, 0);

    private static TraceEntry Entry(int second, int millisecond = 0) =>
        new(second * 100, 100, TraceLevel.Info, At19.AddSeconds(second).AddMilliseconds(millisecond), "4f2a", null, $"line {second}");

    private static List<TraceEntry> Entries(int from, int count) => Enumerable.Range(from, count).Select(s => Entry(s)).ToList();

    [Fact]
    public void EmptyBuffer_HoldsEverything_NothingLeftOut()
    {
        var span = new TraceLogBuffer(10).HeldSpan("dc1");

        Assert.Equal(TraceHeldLimit.None, span.Limit);
        Assert.Null(span.CompleteFrom);
        Assert.Equal(0, span.Evicted);
        Assert.Equal(10, span.Capacity);
        Assert.False(span.MayLackLinesAt(DateTime.MinValue));
    }

    [Fact]
    public void BelowCapacity_NothingEvicted()
    {
        var buffer = new TraceLogBuffer(5);
        buffer.Append("dc1", "g", "i", "f", Entries(1, 5));

        Assert.Equal(TraceHeldLimit.None, buffer.HeldSpan("dc1").Limit);
        Assert.Equal(0, buffer.HeldSpan("dc1").Evicted);
    }

    [Fact]
    public void Eviction_CompleteJustAfterTheLatestLineDropped()
    {
        var buffer = new TraceLogBuffer(3);
        buffer.Append("dc1", "g", "i", "f", [Entry(1), Entry(2, 412), Entry(3), Entry(4)]);

        var span = buffer.HeldSpan("dc1");
        Assert.Equal(TraceHeldLimit.Capacity, span.Limit);
        Assert.Equal(1, span.Evicted);
        Assert.Equal(At19.AddSeconds(1).AddTicks(1), span.CompleteFrom);

        buffer.Append("dc1", "g", "i", "f", [Entry(5)]);
        span = buffer.HeldSpan("dc1");
        Assert.Equal(2, span.Evicted);
        Assert.Equal(At19.AddSeconds(2).AddMilliseconds(412).AddTicks(1), span.CompleteFrom);
        Assert.True(span.MayLackLinesAt(At19.AddSeconds(2)));
        Assert.False(span.MayLackLinesAt(At19.AddSeconds(3)));
    }

    [Fact]
    public void Eviction_CountsForTheDatacenterWhoseLinesLeft()
    {
        var buffer = new TraceLogBuffer(3);
        buffer.Append("dc1", "g", "i", "f", Entries(1, 2));
        buffer.Append("dc2", "g", "i", "f", Entries(10, 3));

        Assert.Equal(2, buffer.HeldSpan("dc1").Evicted);
        Assert.Equal(At19.AddSeconds(2).AddTicks(1), buffer.HeldSpan("dc1").CompleteFrom);
        Assert.Equal(TraceHeldLimit.None, buffer.HeldSpan("dc2").Limit);
    }

    [Fact]
    public void Eviction_TheLatestTimeCounts_NotTheLastLineDropped()
    {
        // Instance b's backfill reached further back than a's: its lines leave after a's but are older.
        var buffer = new TraceLogBuffer(4);
        buffer.Append("dc1", "g", "a", "f", [Entry(50)]);
        buffer.Append("dc1", "g", "b", "f", [Entry(10), Entry(11), Entry(12)]);
        buffer.Append("dc1", "g", "a", "f", [Entry(51), Entry(52)]);

        var span = buffer.HeldSpan("dc1");
        Assert.Equal(2, span.Evicted);
        Assert.Equal(At19.AddSeconds(50).AddTicks(1), span.CompleteFrom);
    }

    [Fact]
    public void EvictedLineWithoutATime_CountsButMovesNoTime()
    {
        var buffer = new TraceLogBuffer(1);
        buffer.Append("dc1", "g", "i", "f", [new TraceEntry(0, 5, TraceLevel.Unknown, null, null, null, "junk", IsMalformed: true), Entry(1)]);

        var span = buffer.HeldSpan("dc1");
        Assert.Equal(1, span.Evicted);
        Assert.Null(span.LastEvicted);
        Assert.Equal(TraceHeldLimit.None, span.Limit);
    }

    [Fact]
    public void TailStart_TheLatestInstanceStartCounts()
    {
        var buffer = new TraceLogBuffer(10);
        buffer.NoteTailStart("dc1", At19.AddMinutes(5));
        buffer.NoteTailStart("dc1", At19.AddMinutes(9));
        buffer.NoteTailStart("dc1", At19.AddMinutes(7));

        var span = buffer.HeldSpan("dc1");
        Assert.Equal(TraceHeldLimit.TailStart, span.Limit);
        Assert.Equal(At19.AddMinutes(9), span.CompleteFrom);
        Assert.Equal(TraceHeldLimit.None, buffer.HeldSpan("dc2").Limit);
    }

    [Fact]
    public void TailStartAndEviction_TheLaterLimitCounts()
    {
        var buffer = new TraceLogBuffer(2);
        buffer.NoteTailStart("dc1", At19.AddSeconds(1));
        buffer.Append("dc1", "g", "i", "f", Entries(1, 2));
        Assert.Equal(TraceHeldLimit.TailStart, buffer.HeldSpan("dc1").Limit);

        buffer.Append("dc1", "g", "i", "f", Entries(3, 1));
        var span = buffer.HeldSpan("dc1");
        Assert.Equal(TraceHeldLimit.Capacity, span.Limit);
        Assert.Equal(At19.AddSeconds(1).AddTicks(1), span.CompleteFrom);
        Assert.Equal(At19.AddSeconds(1), span.ReadFrom);
    }
}
