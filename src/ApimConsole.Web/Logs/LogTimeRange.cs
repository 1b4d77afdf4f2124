using System.Globalization;

namespace ApimConsole.Web.Logs;

/// <summary>
/// The time ranges the Logs page offers, as Grafana and the Aspire dashboard do: any time, the last minutes or hours
/// (a window that slides with the clock while the live tail runs), or a custom From/To.
/// </summary>
public sealed record LogTimeRange(string Key, string Label, TimeSpan? Span)
{
    public static LogTimeRange Any { get; } = new("any", "Any time", null);
    public static LogTimeRange Custom { get; } = new("custom", "Custom", null);

    public static IReadOnlyList<LogTimeRange> All { get; } =
    [
        Any,
        new("5m", "Last 5 min", TimeSpan.FromMinutes(5)),
        new("15m", "Last 15 min", TimeSpan.FromMinutes(15)),
        new("60m", "Last 60 min", TimeSpan.FromMinutes(60)),
        new("24h", "Last 24 h", TimeSpan.FromHours(24)),
        Custom,
    ];

    /// <summary>
    /// Where a relative range starts, in the datacenter's local time (the time its gateways write), to the second:
    /// null for any time and custom.
    /// </summary>
    public DateTime? From(LogDatacenter datacenter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(datacenter);
        if (Span is not { } span)
            return null;
        return ToTheSecond(datacenter.LocalTime(now - span));
    }

    /// <summary>
    /// What a relative range shows, beside its buttons: <c>last 15 min: 09:01:07–09:16:07 UTC+01:00, live</c>, from
    /// <paramref name="from"/> (the datacenter's local time) to the moment <paramref name="end"/> in that time, with the
    /// offset in force then; both dates when the window spans midnight. <paramref name="state"/> says whether it slides
    /// or stands still.
    /// </summary>
    public string Describe(LogDatacenter datacenter, DateTime from, DateTimeOffset end, string state)
    {
        ArgumentNullException.ThrowIfNull(datacenter);
        var to = ToTheSecond(datacenter.LocalTime(end));
        var sameDay = from.Date == to.Date;
        var format = sameDay ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss";
        return string.Create(CultureInfo.InvariantCulture,
            $"{char.ToLowerInvariant(Label[0])}{Label[1..]}: {from.ToString(format, CultureInfo.InvariantCulture)}{(sameDay ? "–" : " – ")}{to.ToString(format, CultureInfo.InvariantCulture)} {datacenter.OffsetLabel(end)}, {state}");
    }

    private static DateTime ToTheSecond(DateTime time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Unspecified);
}
