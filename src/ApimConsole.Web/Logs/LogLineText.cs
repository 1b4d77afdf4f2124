using System.Globalization;
using System.Text;
using ApimConsole.Core.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>A trace record as one text line for downloads: its instance, then the line as the gateway wrote it.</summary>
public static class LogLineText
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>
    /// <c>group-2/instance-1 INFO    23/Nov/2026:19:30:01.000 [4f2a:697f…] message</c>; a malformed entry keeps its raw text
    /// after <c>?</c> and its note in brackets. Continuation lines follow, indented by the prefix.
    /// </summary>
    public static string Format(TraceLogRecord record)
    {
        var entry = record.Entry;
        var sb = new StringBuilder(entry.Message.Length + 80);
        sb.Append(record.GroupId).Append('/').Append(record.InstanceId).Append(' ');
        if (entry.IsMalformed)
        {
            sb.Append("?       ").Append(entry.Message.Replace("\n", "\n    ", StringComparison.Ordinal));
        }
        else
        {
            sb.Append(LevelName(entry.Level).PadRight(8));
            sb.Append(entry.Time is { } t ? Time(t) : "-").Append(" [").Append(entry.Thread).Append(':')
                .Append(entry.CorrelationId ?? TraceLineParser.NoCorrelation).Append("] ")
                .Append(entry.Message.Replace("\n", "\n    ", StringComparison.Ordinal));
        }
        if (entry.Note is not null)
            sb.Append("  [").Append(entry.Note).Append(']');
        return sb.ToString();
    }

    /// <summary>
    /// A gateway group as people know it, with its zone: its name when that already says the zone ("DMZ"), else the
    /// name and the zone ("Internal gateways, internal zone").
    /// </summary>
    public static string GroupLabel(string name, ApimConsole.Core.Estate.GatewayZone zone)
    {
        var zoneWord = zone == ApimConsole.Core.Estate.GatewayZone.Dmz ? "DMZ" : "internal";
        return name.Contains(zoneWord, StringComparison.OrdinalIgnoreCase) ? name : $"{name}, {zoneWord} zone";
    }

    public static string LevelName(TraceLevel level) => level == TraceLevel.Unknown ? "?" : level.ToString().ToUpperInvariant();

    /// <summary>The trace file's own time format, <c>23/Nov/2026:19:30:01.000</c>.</summary>
    public static string Time(DateTime time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time.Day:00}/{Months[time.Month - 1]}/{time.Year:0000}:{time:HH:mm:ss.fff}");
}
