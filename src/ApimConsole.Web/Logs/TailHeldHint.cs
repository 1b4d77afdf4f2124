using System.Globalization;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// The line beside a time range whose window starts before what the live tail holds: from when it holds every line of
/// the datacenter (in the datacenter's time) and why not earlier, so nobody takes "nothing shown" for "nothing
/// happened". Null when the window lies inside what is held.
/// </summary>
/// <param name="Text">The sentence, without the search action the page puts after it.</param>
/// <param name="Reason">What limits the tail: <c>not-read</c>, <c>tail-start</c> or <c>capacity</c>.</param>
public sealed record TailHeldHint(string Text, string Reason)
{
    /// <summary>
    /// The hint for a live window of <paramref name="datacenter"/> starting at <paramref name="windowFrom"/> (its local
    /// time; null: any time), given what the buffer holds (<paramref name="span"/>) and whether its tail ever read
    /// (<paramref name="status"/>); <paramref name="now"/> gives the zone's offset and whether a date is needed.
    /// </summary>
    public static TailHeldHint? For(LogDatacenter datacenter, TraceHeldSpan span, TraceTailStatus? status, DateTime? windowFrom, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(datacenter);
        ArgumentNullException.ThrowIfNull(span);
        if (status?.LastSuccess is null && span.Limit == TraceHeldLimit.None)
            return new TailHeldHint($"The live tail has not read {datacenter.Id}'s files yet: it holds none of its lines.", "not-read");
        if (span.CompleteFrom is not { } completeFrom || windowFrom is { } from && from >= completeFrom)
            return null;
        return new TailHeldHint($"The live tail holds {HeldFrom(datacenter, span, now)}.", span.Limit == TraceHeldLimit.Capacity ? "capacity" : "tail-start");
    }

    /// <summary>
    /// From when a buffer holds the datacenter's lines and why, as a phrase: <c>dc2's lines from 15:02:31 UTC+01:00
    /// (older lines left the buffer of 100,000 lines, …)</c>, or <c>every line of dc2 its tail read</c> when nothing was
    /// left out.
    /// </summary>
    public static string HeldFrom(LogDatacenter datacenter, TraceHeldSpan span, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(datacenter);
        ArgumentNullException.ThrowIfNull(span);
        if (span.CompleteFrom is not { } completeFrom)
            return $"every line of {datacenter.Id} its tail read (none left out)";
        var why = span.Limit == TraceHeldLimit.Capacity
            ? string.Create(CultureInfo.InvariantCulture, $"older lines left the buffer of {span.Capacity:N0} lines, shared by all datacenters")
            : "where the tail began reading the files; it did not read the older lines";
        return $"{datacenter.Id}'s lines from {Time(datacenter, completeFrom, now)} ({why})";
    }

    /// <summary>
    /// A held-from time to the second, rounded up (every line from that second on is held), with the zone's offset in
    /// force then (not now: a 24 h window may reach across a change of summer time); the date too when it is not today's
    /// in the datacenter.
    /// </summary>
    private static string Time(LogDatacenter datacenter, DateTime time, DateTimeOffset now)
    {
        var ticks = time.Ticks % TimeSpan.TicksPerSecond;
        var second = DateTime.SpecifyKind(ticks == 0 ? time : time.AddTicks(TimeSpan.TicksPerSecond - ticks), DateTimeKind.Unspecified);
        var format = second.Date == datacenter.LocalTime(now).Date ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss";
        // An unspecified time is read as the zone's own local time.
        var offset = datacenter.OffsetLabel(new DateTimeOffset(second, datacenter.Zone.GetUtcOffset(second)));
        return $"{second.ToString(format, CultureInfo.InvariantCulture)} {offset}";
    }
}
