using ApimConsole.Core.Logs;

namespace ApimConsole.Core.Tests.Logs;

public sealed class TraceLogBufferTests
{
    private static TraceEntry Entry(int i) => new(i * 100, 100, TraceLevel.Info, new DateTime(2026, 11, 23, 19, 0, 0).AddSeconds(i), "4f2a", null, $"line {i}");

    [Fact]
    public void KeepsOnlyTheNewest_UpToCapacity()
    {
        var buffer = new TraceLogBuffer(3);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", Enumerable.Range(1, 5).Select(Entry).ToList());

        Assert.Equal(3, buffer.Count);
        Assert.Equal(5, buffer.LastSequence);
        Assert.Equal(["line 3", "line 4", "line 5"], buffer.Latest(10).Select(r => r.Entry.Message));
        Assert.Equal([3L, 4L, 5L], buffer.Latest(10).Select(r => r.Sequence));
    }

    [Fact]
    public void ReadAfter_GivesWhatCameLater_AndTheOldestHeldToALaggard()
    {
        var buffer = new TraceLogBuffer(4);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", Enumerable.Range(1, 3).Select(Entry).ToList());
        Assert.Equal(["line 3"], buffer.ReadAfter(2, 10).Select(r => r.Entry.Message));
        Assert.Empty(buffer.ReadAfter(3, 10));

        buffer.Append("dc2", "group-3", "instance-4", "b.trc", Enumerable.Range(4, 4).Select(Entry).ToList());

        var lagging = buffer.ReadAfter(1, 10);
        Assert.Equal([4L, 5L, 6L, 7L], lagging.Select(r => r.Sequence));
        Assert.Equal("dc2", lagging[0].DatacenterId);
        Assert.Equal([4L, 5L], buffer.ReadAfter(0, 2).Select(r => r.Sequence));
    }

    [Fact]
    public void Append_PublishesTheLastSequence_OnlyWhenSomethingWasAdded()
    {
        var buffer = new TraceLogBuffer(10);
        using var appends = buffer.Appends.Subscribe();

        buffer.Append("dc1", "g", "i", "f", []);
        buffer.Append("dc1", "g", "i", "f", [Entry(1)]);

        Assert.True(appends.Updates.TryRead(out var last));
        Assert.Equal(buffer.LastSequence, last);
        Assert.False(appends.Updates.TryRead(out _));
    }
}
