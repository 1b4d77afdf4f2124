using System.Globalization;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Logs;

/// <summary>
/// What a log view, a download or a search keeps of a datacenter's trace entries. Every part is optional and they
/// combine with AND. Times are the datacenter's local time as the gateways write it (no zone).
/// </summary>
public sealed record LogFilter
{
    public const int MaxTextLength = 400;

    /// <summary>Only this group (with <see cref="InstanceId"/>: <c>group-2/instance-1</c>).</summary>
    public string? GroupId { get; init; }

    /// <summary>Only this instance.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Only these levels; empty means every level (malformed lines included).</summary>
    public IReadOnlySet<TraceLevel> Levels { get; init; } = new HashSet<TraceLevel>();

    /// <summary>Plain text (not a pattern) the message contains, case-insensitively.</summary>
    public string? Text { get; init; }

    /// <summary>24 hex digits: one transaction's lines.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Entries at or after this DC-local time (entries without a time are then left out).</summary>
    public DateTime? From { get; init; }

    /// <summary>Entries before this DC-local time.</summary>
    public DateTime? To { get; init; }

    public static LogFilter None { get; } = new();

    public bool IsEmpty => this == None || (GroupId is null && InstanceId is null && Levels.Count == 0 && Text is null && CorrelationId is null && From is null && To is null);

    public bool Matches(TraceLogRecord record)
    {
        var entry = record.Entry;
        if (InstanceId is not null && !string.Equals(record.InstanceId, InstanceId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (GroupId is not null && !string.Equals(record.GroupId, GroupId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (Levels.Count > 0 && !Levels.Contains(entry.Level))
            return false;
        if (CorrelationId is not null && !string.Equals(entry.CorrelationId, CorrelationId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (From is not null || To is not null)
        {
            if (entry.Time is not { } time || time < From || time >= To)
                return false;
        }
        return Text is null || entry.Message.Contains(Text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The same filter as a historical search of <paramref name="datacenterId"/>.</summary>
    public TraceSearchQuery ToSearchQuery(string datacenterId, int maxResults) => new(
        datacenterId, From, To, CorrelationId, Text, Levels.Count == 0 ? null : Levels.Order().ToList(), GroupId, InstanceId, maxResults);

    /// <summary>The filter as query parameters (the names <see cref="Parse"/> reads), for links and downloads.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToQuery()
    {
        var query = new List<KeyValuePair<string, string>>();
        if (InstanceId is not null || GroupId is not null)
            query.Add(new("instance", GroupId is null ? InstanceId! : InstanceId is null ? GroupId + "/" : $"{GroupId}/{InstanceId}"));
        if (Levels.Count > 0)
            query.Add(new("level", string.Join(',', Levels.Order().Select(l => l.ToString().ToUpperInvariant()))));
        if (Text is not null)
            query.Add(new("text", Text));
        if (CorrelationId is not null)
            query.Add(new("correlationId", CorrelationId));
        if (From is { } from)
            query.Add(new("from", from.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture)));
        if (To is { } to)
            query.Add(new("to", to.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture)));
        return query;
    }

    public string ToQueryString() =>
        string.Join('&', ToQuery().Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));

    /// <summary>
    /// Reads a filter from query values: <c>instance</c> (<c>group/instance</c>, <c>group/</c> or <c>instance</c>),
    /// <c>level</c> (comma-separated FATAL, ERROR, INFO, DEBUG, DATA, UNKNOWN), <c>text</c>, <c>correlationId</c>
    /// (24 hex digits, or the header form <c>Id-&lt;hex&gt; &lt;leg&gt;</c>), <c>from</c>/<c>to</c> (a time without zone is the
    /// datacenter's local time; with a zone or as epoch milliseconds it is converted into <paramref name="zone"/>).
    /// Null with every problem named, each naming its parameter.
    /// </summary>
    public static LogFilter? Parse(Func<string, string?> value, TimeZoneInfo zone, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        string? Text(string name, int max) => ApimConsole.Core.Queries.QueryText.Read(value, name, max, problems);

        string? group = null, instance = null;
        if (Text("instance", 200) is { } instanceText)
        {
            var slash = instanceText.IndexOf('/');
            (group, instance) = slash < 0 ? (null, instanceText) : (instanceText[..slash], instanceText[(slash + 1)..]);
            if (string.IsNullOrEmpty(group))
                group = null;
            if (string.IsNullOrEmpty(instance))
                instance = null;
            if ((group ?? "").Concat(instance ?? "").Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')) || (group is null && instance is null))
            {
                problems.Add($"instance '{Shorten(instanceText)}' is not an instance id, group/instance or group/.");
                group = instance = null;
            }
        }

        var levels = new HashSet<TraceLevel>();
        if (Text("level", 100) is { } levelText)
        {
            foreach (var part in levelText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Enum.TryParse<TraceLevel>(part, ignoreCase: true, out var level) && !int.TryParse(part, out _))
                    levels.Add(level);
                else
                    problems.Add($"level '{Shorten(part)}' is not one of FATAL, ERROR, INFO, DEBUG, DATA, UNKNOWN.");
            }
        }

        var correlationId = Text("correlationId", 64);
        if (correlationId is not null)
        {
            if (correlationId.StartsWith("Id-", StringComparison.OrdinalIgnoreCase))
                correlationId = correlationId[3..].Split(' ')[0];
            if (correlationId.Length != 24 || !correlationId.All(char.IsAsciiHexDigit))
            {
                problems.Add($"correlationId '{Shorten(correlationId)}' is not 24 hex digits.");
                correlationId = null;
            }
            else
            {
                correlationId = correlationId.ToLowerInvariant();
            }
        }

        DateTime? Time(string name)
        {
            var v = Text(name, 64);
            if (v is null)
                return null;
            if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < 253402300799999)
                return TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), zone).DateTime;
            if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withZone) && HasZone(v))
                return TimeZoneInfo.ConvertTime(withZone, zone).DateTime;
            if (DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                return DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
            problems.Add($"{name} '{Shorten(v)}' is not a time (2026-11-23T14:05:00 in the datacenter's time, with Z or an offset, or epoch milliseconds).");
            return null;
        }

        var filter = new LogFilter
        {
            GroupId = group,
            InstanceId = instance,
            Levels = levels,
            Text = Text("text", MaxTextLength),
            CorrelationId = correlationId,
            From = Time("from"),
            To = Time("to"),
        };
        if (filter.From is { } f && filter.To is { } t && t <= f)
            problems.Add("to must be after from.");
        errors = problems;
        return problems.Count == 0 ? filter : null;
    }

    private static bool HasZone(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
