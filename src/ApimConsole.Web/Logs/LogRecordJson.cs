using System.Globalization;
using System.Text.Json.Nodes;
using ApimConsole.Core.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// One buffered trace line as <c>/api/logs/{dc}</c> and <c>/api/peer/logs</c> write it, and read back from the peer's
/// answer (the Logs page shows the other datacenter's lines through its console during a partition). Offsets are not
/// part of it: a line read back has offset and length 0.
/// </summary>
public static class LogRecordJson
{
    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.fff";

    public static object ToJson(TraceLogRecord r) => new
    {
        sequence = r.Sequence,
        groupId = r.GroupId,
        instanceId = r.InstanceId,
        file = r.FileName,
        level = LogLineText.LevelName(r.Entry.Level),
        time = r.Entry.Time?.ToString(TimeFormat, CultureInfo.InvariantCulture),
        thread = r.Entry.Thread,
        correlationId = r.Entry.CorrelationId,
        message = r.Entry.Message,
        malformed = r.Entry.IsMalformed,
        note = r.Entry.Note,
    };

    /// <summary>A line of <paramref name="datacenter"/> from its JSON; null when it is not in this shape (a required field missing or of another type).</summary>
    public static TraceLogRecord? Parse(JsonNode? node, string datacenter)
    {
        try
        {
            if (node is not JsonObject o
                || o["sequence"]?.GetValue<long>() is not { } sequence
                || o["groupId"]?.GetValue<string>() is not { } group
                || o["instanceId"]?.GetValue<string>() is not { } instance
                || o["message"]?.GetValue<string>() is not { } message)
                return null;
            var levelName = o["level"]?.GetValue<string>();
            var level = levelName == "?" || levelName is null || !Enum.TryParse<TraceLevel>(levelName, ignoreCase: true, out var parsed) ? TraceLevel.Unknown : parsed;
            DateTime? time = DateTime.TryParseExact(o["time"]?.GetValue<string>(), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
            var entry = new TraceEntry(0, 0, level, time, o["thread"]?.GetValue<string>(), o["correlationId"]?.GetValue<string>(), message,
                o["malformed"]?.GetValue<bool>() ?? false, o["note"]?.GetValue<string>());
            return new TraceLogRecord(sequence, datacenter, group, instance, o["file"]?.GetValue<string>() ?? "", entry);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
