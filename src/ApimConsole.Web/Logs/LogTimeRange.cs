namespace ApimConsole.Web.Logs;

/// <summary>
/// The time ranges the Logs page offers, as Grafana and the Aspire dashboard do: any time, the last minutes or hours
/// (counted back from the moment it is applied), or a custom From/To.
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
        var from = datacenter.LocalTime(now - span);
        return new DateTime(from.Ticks - from.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Unspecified);
    }
}
