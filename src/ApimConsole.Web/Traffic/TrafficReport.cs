using ApimConsole.Core.Configuration;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Traffic;
using System.Security.Claims;
using ApimConsole.Web.Security;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Traffic;

/// <summary>One datacenter's traffic over a window, and how its collection is going.</summary>
public sealed record DatacenterTraffic(string Id, string Name, TrafficView View, DatacenterCollectionStatus Collection);

/// <summary>What the traffic page and <c>GET /api/traffic</c> show: each DC side by side, then combined.</summary>
public sealed record TrafficReport(DateTimeOffset AsOf, TrafficWindow Window, bool HistoryLoaded, IReadOnlyList<DatacenterTraffic> Datacenters, TrafficView Combined)
{
    /// <summary>The datacenters <see cref="Combined"/> adds up: only those the user may read.</summary>
    public IReadOnlyList<string> CombinedOver { get; init; } = [];

    /// <summary>Datacenters of the estate left out because the user may not read them (their ids are not named).</summary>
    public int Withheld { get; init; }
}

/// <summary>Builds <see cref="TrafficReport"/>s from what the collector gathered; never calls the estate.</summary>
public sealed class TrafficReports(TrafficHistory history, TrafficCollector collector, IOptions<EstateOptions> estate, TimeProvider time)
{
    public static readonly IReadOnlyList<(string Key, TrafficWindow Window, string Label)> Windows =
    [
        ("10m", TrafficWindow.TenMinutes, "10 minutes"),
        ("10h", TrafficWindow.TenHours, "10 hours"),
        ("5d", TrafficWindow.FiveDays, "5 days"),
    ];

    public static bool TryParseWindow(string? text, out TrafficWindow window)
    {
        foreach (var (key, w, _) in Windows)
        {
            if (string.Equals(text, key, StringComparison.OrdinalIgnoreCase))
            {
                window = w;
                return true;
            }
        }
        window = default;
        return false;
    }

    public static string KeyOf(TrafficWindow window) => Windows.First(w => w.Window == window).Key;

    public TrafficHistory History => history;

    /// <summary>The report over every datacenter <paramref name="user"/> may read (<see cref="DatacenterAccess"/>); null: every datacenter.</summary>
    public TrafficReport Build(TrafficWindow window, ClaimsPrincipal? user = null)
    {
        var now = time.GetUtcNow();
        var all = estate.Value.Datacenters;
        var dcs = user is null ? all : all.Where(d => DatacenterAccess.Allows(user, d.Id)).ToList();
        var views = history.Views(window, now, dcs.Select(d => d.Id).ToList());
        var status = collector.Status().ToDictionary(s => s.DatacenterId, StringComparer.OrdinalIgnoreCase);
        var perDc = dcs.Select((d, i) => new DatacenterTraffic(d.Id, string.IsNullOrWhiteSpace(d.Name) ? d.Id : d.Name, views[i],
            status.GetValueOrDefault(d.Id) ?? new DatacenterCollectionStatus(d.Id, null, false, "not polled yet", 0, new Dictionary<string, InstanceCollectionStatus>()))).ToList();
        var combined = dcs.Count == 0 ? history.Views(window, now, ["none"])[0] : views.Count > dcs.Count ? views[^1] : views[0];
        return new TrafficReport(now, window, collector.HistoryLoaded, perDc, combined)
        {
            CombinedOver = dcs.Select(d => d.Id).ToList(),
            Withheld = all.Count - dcs.Count,
        };
    }
}
