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

    /// <summary>The span of <paramref name="datacenter"/> from its JSON; null when absent or not in this shape (never a guess).</summary>
    public static TraceHeldSpan? Parse(JsonNode? node, string datacenter)
    {
        try
        {
            if (node is not JsonObject o || o["evicted"]?.GetValue<long>() is not { } evicted || o["capacity"]?.GetValue<int>() is not { } capacity
                || !TryTime(o["readFrom"], out var readFrom) || !TryTime(o["lastEvicted"], out var lastEvicted))
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
        if (!DateTime.TryParseExact(node.GetValue<string>(), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            return false;
        time = parsed;
        return true;
    }
}
