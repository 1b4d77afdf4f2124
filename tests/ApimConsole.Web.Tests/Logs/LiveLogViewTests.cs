using ApimConsole.Core.Logs;
using ApimConsole.Web.Logs;
using static ApimConsole.Web.Tests.Logs.TraceRecords;

namespace ApimConsole.Web.Tests.Logs;

public sealed class LiveLogViewTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 14, 0, 0, DateTimeKind.Unspecified);

    [Fact]
    public void Refresh_ReadsOnlyWhatCameAfterTheCursor_AndSharesTheBuffersRecords()
    {
        var buffer = new TraceLogBuffer(100);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0, "one")]);
        var view = new LiveLogView(buffer, "dc1", LogFilter.None);

        Assert.Equal(1, view.Refresh());
        Assert.Equal(0, view.Refresh());
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddSeconds(1), "two")]);
        Assert.Equal(1, view.Refresh());

        Assert.Equal(2, view.Cursor);
        // The same objects as the buffer's: a viewer holds references, not copies.
        Assert.Same(buffer.Latest(1)[0], view.Lines[^1]);
    }

    [Fact]
    public void ABatch_IsMergedByTime_StableForEqualTimes_WithUntimedLinesBesideTheirNeighbours()
    {
        var buffer = new TraceLogBuffer(100);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddSeconds(2), "a2"), Entry(TraceLevel.Info, T0.AddSeconds(2), "a2b")]);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", [new TraceEntry(0, 1, TraceLevel.Unknown, null, null, null, "a-garbage", IsMalformed: true)]);
        buffer.Append("dc1", "group-3", "instance-3", "b.trc", [Entry(TraceLevel.Info, T0.AddSeconds(1), "b1"), Entry(TraceLevel.Info, T0.AddSeconds(3), "b3")]);
        var view = new LiveLogView(buffer, "dc1", LogFilter.None);

        view.Refresh();

        Assert.Equal(["b1", "a2", "a2b", "a-garbage", "b3"], view.Lines.Select(r => r.Entry.Message));
    }

    [Fact]
    public void AViewThatFellBehind_CountsWhatItMissed_AndHoldsNothingTheBufferDropped()
    {
        var buffer = new TraceLogBuffer(10);
        var view = new LiveLogView(buffer, "dc1", LogFilter.None);
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", Enumerable.Range(0, 5).Select(i => Entry(TraceLevel.Info, T0.AddSeconds(i), $"l{i}")).ToList());
        view.Refresh();

        buffer.Append("dc1", "group-2", "instance-1", "a.trc", Enumerable.Range(5, 20).Select(i => Entry(TraceLevel.Info, T0.AddSeconds(i), $"l{i}")).ToList());
        view.Refresh();

        Assert.Equal(10, view.Missed); // l5..l14 went by unread
        Assert.Equal(Enumerable.Range(15, 10).Select(i => $"l{i}"), view.Lines.Select(r => r.Entry.Message));
    }

    [Fact]
    public void SlideFrom_DropsTheLinesBeforeTheNewStart_WhereverTheySit_AndKeepsReadingNewOnes()
    {
        var buffer = new TraceLogBuffer(100);
        // Two refreshes: instance-2's batch came later but holds a line older than instance-1's newest.
        var view = new LiveLogView(buffer, "dc1", new LogFilter { From = T0 });
        buffer.Append("dc1", "group-2", "instance-1", "a.trc", [Entry(TraceLevel.Info, T0.AddMinutes(1), "a1"), Entry(TraceLevel.Info, T0.AddMinutes(4), "a4")]);
        view.Refresh();
        buffer.Append("dc1", "group-2", "instance-2", "b.trc", [Entry(TraceLevel.Info, T0.AddMinutes(2), "b2"), Entry(TraceLevel.Info, T0.AddMinutes(5), "b5")]);
        view.Refresh();
        Assert.Equal(["a1", "a4", "b2", "b5"], view.Lines.Select(r => r.Entry.Message));
        var cursor = view.Cursor;

        Assert.Equal(2, view.SlideFrom(T0.AddMinutes(3)));

        Assert.Equal(["a4", "b5"], view.Lines.Select(r => r.Entry.Message));
        Assert.Equal(T0.AddMinutes(3), view.Filter.From);
        // Nothing was read again; a line before the new start that the tail reads now stays out.
        Assert.Equal(cursor, view.Cursor);
        buffer.Append("dc1", "group-2", "instance-3", "c.trc", [Entry(TraceLevel.Info, T0.AddMinutes(2), "late and old"), Entry(TraceLevel.Info, T0.AddMinutes(6), "c6")]);
        view.Refresh();
        Assert.Equal(["a4", "b5", "c6"], view.Lines.Select(r => r.Entry.Message));

        // A start that does not move forward changes nothing.
        Assert.Equal(0, view.SlideFrom(T0.AddMinutes(2)));
        Assert.Equal(T0.AddMinutes(3), view.Filter.From);
    }
}
