using System.Globalization;
using System.Security.Claims;
using ApimConsole.Core.Configuration;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Security;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Logs;

/// <summary>A datacenter whose logs the console reads: its name and the zone its gateways write times in.</summary>
public sealed record LogDatacenter(string Id, string Name, TimeZoneInfo Zone)
{
    /// <summary>The zone as people read it: <c>Europe/Amsterdam (UTC+01:00)</c>, or <c>UTC</c>.</summary>
    public string ZoneLabel(DateTimeOffset at)
    {
        if (Zone == TimeZoneInfo.Utc)
            return "UTC";
        return $"{Zone.Id} ({OffsetLabel(at)})";
    }

    /// <summary>The offset in force at <paramref name="at"/> as a zone's short name: <c>UTC+01:00</c>, or <c>UTC</c> for UTC.</summary>
    public string OffsetLabel(DateTimeOffset at)
    {
        if (Zone == TimeZoneInfo.Utc || Zone.Id is "UTC" or "Etc/UTC")
            return "UTC";
        var offset = Zone.GetUtcOffset(at);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return $"UTC{sign}{offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// The sentence above the log lines: "Times are Amsterdam's local time: Europe/Amsterdam, Central European Standard
    /// Time (UTC+01:00)." with the name and offset in force at <paramref name="at"/>, or, with no zone configured, "Times
    /// are UTC, as Amsterdam's gateways write them." (never "Amsterdam's local time, UTC" while Amsterdam is on CET).
    /// </summary>
    public string ZoneSentence(DateTimeOffset at)
    {
        if (Zone == TimeZoneInfo.Utc || Zone.Id is "UTC" or "Etc/UTC")
            return $"Times are UTC, as {Name}'s gateways write them.";
        var name = Zone.IsDaylightSavingTime(at) ? Zone.DaylightName : Zone.StandardName;
        var zoneName = string.IsNullOrWhiteSpace(name) || name == Zone.Id ? "" : ", " + name;
        return $"Times are {Name}'s local time: {Zone.Id}{zoneName} ({OffsetLabel(at)}).";
    }

    /// <summary>A moment on the console's clock as this datacenter's local time.</summary>
    public DateTime LocalTime(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone).DateTime;
}

/// <summary>The datacenters with a configured log source, in configuration order, and who may read which.</summary>
public sealed class LogDatacenters(IOptions<EstateOptions> estate, ITraceLogSources sources)
{
    public IReadOnlyList<LogDatacenter> All { get; } = sources.DatacenterIds
        .Select(id => new LogDatacenter(id, estate.Value.Datacenters.FirstOrDefault(d => d.Id == id)?.Name is { Length: > 0 } name ? name : id, sources.TimeZoneOf(id)))
        .ToList();

    public LogDatacenter? Find(string? id) => All.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));

    /// <summary>The datacenters <paramref name="user"/> may read (<see cref="DatacenterAccess"/>).</summary>
    public IReadOnlyList<LogDatacenter> For(ClaimsPrincipal? user) => All.Where(d => DatacenterAccess.Allows(user, d.Id)).ToList();
}
