using System.Globalization;
using System.Text.Json.Nodes;
using ApimConsole.Core.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// How far back the buffer holds a datacenter's lines, as <c>/api/logs/{dc}</c> and <c>/api/peer/logs</c> write it
/// (<c>held</c>): the marks themselves, exact to the tick, in the datacenter's time, so the other console reads back the
/// same <see cref="TraceHeldSpan"/>.
/// </summary>
public static class TraceHeldSpanJson
{
    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.fffffff";

    // A mark is a line's time or a moment of the tail's start. One within a day of the calendar's ends is neither, and
    // reading it (the tick after the last line dropped, the second after, the zone's offset) would overflow.
    private static readonly DateTime Earliest = DateTime.MinValue.AddDays(1);
    private static readonly DateTime Latest = DateTime.MaxValue.AddDays(-1);

    public static object ToJson(TraceHeldSpan span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return new
        {
            readFrom = Format(span.ReadFrom),
            lastEvicted = Format(span.LastEvicted),
            evicted = span.Evicted,
            capacity = span.Capacity,
        };
    }

    /// <summary>
    /// The span of <paramref name="datacenter"/> from its JSON; null when absent or not in this shape, or when no buffer
    /// could have said it (a negative count, no capacity, a time at the calendar's edge): never a guess, never an exception.
    /// </summary>
    public static TraceHeldSpan? Parse(JsonNode? node, string datacenter)
    {
        try
        {
            if (node is not JsonObject o || o["evicted"]?.GetValue<long>() is not { } evicted || o["capacity"]?.GetValue<int>() is not { } capacity
                || !TryTime(o["readFrom"], out var readFrom) || !TryTime(o["lastEvicted"], out var lastEvicted)
                || evicted < 0 || capacity < 1)
                return null;
            return new TraceHeldSpan(datacenter, readFrom, lastEvicted, evicted, capacity);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string? Format(DateTime? time) => time?.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>A time or null (both fine); false for anything else.</summary>
    private static bool TryTime(JsonNode? node, out DateTime? time)
    {
        time = null;
        if (node is null)
            return true;
        if (!DateTime.TryParseExact(node.GetValue<string>(), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            || parsed < Earliest || parsed > Latest)
            return false;
        time = parsed;
        return true;
    }
}
