using System.Globalization;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.DataStorage;

/// <summary>The kinds of data the product documentation says where it lives.</summary>
public enum DataKind
{
    GatewayConfiguration,
    KpsTableStructure,
    KpsData,
    ApiManagerData,
    QuotaCounters,
    Metrics,
    EhcacheStores,
    LogsAndTrafficMonitoring,
}

/// <summary>One row of the documentation's table: where a kind of data is stored and what replicates it.</summary>
public sealed record DataStorageEntry(DataKind Kind, string Data, string StoredIn, string ReplicatedBy, string WhenDatacenterOrLinkDown);

/// <summary>How a failover scenario touches a kind of data; ordered from harmless to worst.</summary>
public enum DataImpact
{
    Normal,
    Affected,
    Blocked,
}

/// <summary>One thing a scenario in force means for a kind of data (<see cref="ScenarioKey"/> null for the normal text).</summary>
public sealed record DataImpactStatement(DataImpact Impact, string Text, string? ScenarioKey);

/// <summary>A kind of data and what the scenarios in force mean for it now; <see cref="Statements"/> is never empty.</summary>
public sealed record DataStorageStatus(DataStorageEntry Entry, DataImpact Impact, IReadOnlyList<DataImpactStatement> Statements);

/// <summary>
/// What lives where, and what the failover scenarios in force mean for each kind of data, with times. Pure: the
/// same snapshot, scenarios, clock and time zone give the same words.
/// </summary>
public static class DataStorageMap
{
    public static IReadOnlyList<DataStorageEntry> Entries { get; } =
    [
        new(DataKind.GatewayConfiguration, "Gateway configuration (.fed, policy and environment archives)", "Files on each gateway instance",
            "Deployment to the group", "Do not deploy (blocked)"),
        new(DataKind.KpsTableStructure, "KPS custom table structure", "Files, part of the configuration", "Deployment to the group",
            "Do not deploy (blocked)"),
        new(DataKind.KpsData, "KPS custom table data, OAuth tokens (option)", "Cassandra or an RDBMS", "Cassandra multi-DC replication",
            "Resyncs automatically after the link returns"),
        new(DataKind.ApiManagerData, "API Manager catalog, client registry, web settings", "Cassandra", "Cassandra multi-DC replication",
            "Not synchronized until the link returns, then automatic"),
        new(DataKind.QuotaCounters, "API Manager quota counters", "Memory, Cassandra or an RDBMS", "Depends on where they are kept",
            "Quotas stay the same, spread over fewer servers"),
        new(DataKind.Metrics, "API Manager and Analytics metrics", "RDBMS", "–", "–"),
        new(DataKind.EhcacheStores, "OAuth token store, custom caches", "Ehcache", "Ehcache between instances",
            "End users may have to start their sessions again"),
        new(DataKind.LogsAndTrafficMonitoring, "Gateway logs, traffic monitoring (OPSDB)", "Files on each gateway instance", "None",
            "One console sees each datacenter separately while the link is down"),
    ];

    /// <summary>
    /// For each kind of data (in <see cref="Entries"/> order), what <paramref name="scenarios"/> mean for it at
    /// <paramref name="now"/>. Times are shown in <paramref name="zone"/> (UTC when null).
    /// </summary>
    public static IReadOnlyList<DataStorageStatus> Describe(EstateSnapshot snapshot, IReadOnlyList<FailoverScenario> scenarios, DateTimeOffset now,
        TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(scenarios);
        var words = new Words(snapshot, now, zone ?? TimeZoneInfo.Utc);
        var said = Entries.ToDictionary(e => e.Kind, _ => new List<DataImpactStatement>());
        void Say(DataKind kind, DataImpact impact, string text, FailoverScenario scenario) => said[kind].Add(new(impact, text, scenario.Key));

        foreach (var s in scenarios)
        {
            var dc = s.DatacenterId is null ? null : words.Name(s.DatacenterId);
            var since = words.Since(s.Since);
            switch (s.Kind)
            {
                case FailoverScenarioKind.DatacenterDown:
                    Deployments(Say, s, $"Do not deploy: blocked {since}: {dc} down.");
                    Cassandra(Say, s, DataImpact.Affected,
                        $"{dc}'s replicas miss every write {since}; they catch up automatically when {dc} returns"
                            + (s.Since < now - RepairAdvisor.RepairAfter ? $" — down over 2 h: run nodetool repair on each Cassandra node of {dc} once it is back." : "."),
                        $"Not synchronized to {dc} {since}; resyncs automatically when {dc} returns.");
                    Say(DataKind.EhcacheStores, DataImpact.Affected, $"Ehcache sessions in {dc} lost {since}: end users may have to start their sessions again.", s);
                    Say(DataKind.LogsAndTrafficMonitoring, DataImpact.Affected,
                        $"Logs and traffic monitoring of {dc} cannot be read {since}, until it returns: they stay on its instances' disks.", s);
                    break;

                case FailoverScenarioKind.InterDatacenterLinkDown:
                    Deployments(Say, s, $"Do not deploy: blocked {since}: inter-datacenter link down.");
                    var between = $"Not synchronized between {words.AllNames} {since}; resyncs automatically when the link returns"
                        + (s.Since < now - RepairAdvisor.RepairAfter ? " — down over 2 h: run nodetool repair on all six Cassandra nodes when it returns, then restart the gateway instances." : ".");
                    Cassandra(Say, s, DataImpact.Affected, between, between);
                    Say(DataKind.QuotaCounters, DataImpact.Affected,
                        $"Counters kept in Cassandra are counted by each datacenter on its own {since}, until the link returns; counters in memory are unaffected.", s);
                    Say(DataKind.EhcacheStores, DataImpact.Normal, "Unaffected by the link: each datacenter keeps its own Ehcache.", s);
                    foreach (var other in words.Remote)
                        Say(DataKind.LogsAndTrafficMonitoring, DataImpact.Affected,
                            $"Logs and traffic monitoring of {other.Name} can only be read from a console in {other.Name} {since}.", s);
                    break;

                case FailoverScenarioKind.DatacenterUnreachable:
                    Deployments(Say, s, $"Do not deploy: blocked {since}: {dc} unreachable.");
                    var maybe = $"Possibly not synchronized with {dc} {since}: if the link is down it resyncs automatically when the link returns; "
                        + $"if {dc} is down, {dc} catches up when it returns.";
                    Cassandra(Say, s, DataImpact.Affected, maybe, maybe);
                    Say(DataKind.EhcacheStores, DataImpact.Affected, $"If {dc} is down, its Ehcache sessions are lost: end users may have to start their sessions again.", s);
                    Say(DataKind.LogsAndTrafficMonitoring, DataImpact.Affected,
                        $"Logs and traffic monitoring of {dc} cannot be read from this console {since}; a console in {dc} reads them if {dc} is up.", s);
                    break;

                case FailoverScenarioKind.CassandraQuorumLost:
                    Deployments(Say, s, $"Do not deploy: blocked {since}: Cassandra quorum lost in {dc}.");
                    var unavailable = $"Unavailable in {dc} {since}: LOCAL_QUORUM reads and writes fail there until its Cassandra nodes are back.";
                    Cassandra(Say, s, DataImpact.Blocked, unavailable, unavailable);
                    Say(DataKind.QuotaCounters, DataImpact.Affected, $"Counters kept in Cassandra cannot be read or written in {dc} {since}.", s);
                    break;

                case FailoverScenarioKind.CassandraNodeDown:
                    var node = s.ComponentKey;
                    var tolerated = $"Still consistent in {dc} (LOCAL_QUORUM, 2 of 3); {node} misses writes {since}, replayed from hints when it returns"
                        + (s.Since < now - RepairAdvisor.RepairAfter ? $" — down over 2 h: run nodetool repair on {node} once it has rejoined." : ".");
                    Cassandra(Say, s, DataImpact.Affected, tolerated, tolerated);
                    break;

                case FailoverScenarioKind.GatewayInstanceDown:
                    var instance = s.ComponentKey;
                    var (groupUp, _) = words.GroupPeers(instance);
                    if (groupUp > 0)
                        Say(DataKind.EhcacheStores, DataImpact.Normal,
                            $"{instance}'s Ehcache entries are held by the other instances of its group (replicated between instances).", s);
                    else
                        Say(DataKind.EhcacheStores, DataImpact.Affected,
                            $"No other instance of {instance}'s group is up: its Ehcache entries are lost; end users may have to start their sessions again.", s);
                    Say(DataKind.LogsAndTrafficMonitoring, DataImpact.Affected,
                        $"Traffic monitoring of {instance} cannot be read {since}, until it runs again; its trace files stay on its disk.", s);
                    break;

                case FailoverScenarioKind.AdminNodeManagerDown:
                    Deployments(Say, s, $"{dc} cannot be deployed to {since}, until its Admin Node Manager answers.");
                    Say(DataKind.LogsAndTrafficMonitoring, DataImpact.Affected,
                        $"Traffic monitoring of {dc} goes through its Admin Node Manager: not readable {since}.", s);
                    break;
            }
        }

        // Quotas: one count over the estate, said once, whether one instance or a whole datacenter is missing.
        var quotaCause = scenarios.FirstOrDefault(s => s.Kind is FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.GatewayInstanceDown);
        if (quotaCause is not null && words.InstanceCount is var (up, total, where) && up < total)
            said[DataKind.QuotaCounters].Insert(0, new(DataImpact.Affected,
                $"Quotas stay the same, now held by {up} gateway instance{(up == 1 ? "" : "s")}{(where.Length > 0 ? $" in {where}" : "")} instead of {total}"
                    + (words.Unseen.Length > 0 ? $" ({words.Unseen} cannot be seen from here)." : "."),
                quotaCause.Key));

        return Entries.Select(e =>
        {
            var statements = said[e.Kind];
            if (statements.Count == 0)
                statements.Add(new(DataImpact.Normal, NormalText(e.Kind, words), null));
            return new DataStorageStatus(e, statements.Max(x => x.Impact), statements);
        }).ToList();
    }

    private static void Deployments(Action<DataKind, DataImpact, string, FailoverScenario> say, FailoverScenario s, string text)
    {
        say(DataKind.GatewayConfiguration, DataImpact.Blocked, text, s);
        say(DataKind.KpsTableStructure, DataImpact.Blocked, text, s);
    }

    private static void Cassandra(Action<DataKind, DataImpact, string, FailoverScenario> say, FailoverScenario s, DataImpact impact, string kps, string apiManager)
    {
        say(DataKind.KpsData, impact, kps, s);
        say(DataKind.ApiManagerData, impact, apiManager, s);
    }

    private static string NormalText(DataKind kind, Words words) => kind switch
    {
        DataKind.GatewayConfiguration or DataKind.KpsTableStructure =>
            "Normal: no failover scenario stops deployments to the groups.",
        DataKind.KpsData or DataKind.ApiManagerData =>
            $"Normal: replicated between {words.AllNames} by Cassandra (LOCAL_QUORUM in each).",
        DataKind.QuotaCounters => words.InstanceCount is var (_, total, _) && total > 0
            ? $"Normal: held by all {total} gateway instances."
            : "Normal: spread over the gateway instances.",
        DataKind.Metrics => "Normal: kept in the RDBMS, outside the datacenters' failover; no scenario touches it.",
        DataKind.EhcacheStores => "Normal: replicated between the instances of each group.",
        DataKind.LogsAndTrafficMonitoring => "Normal: each instance writes its own; this console reads every datacenter.",
        _ => "Normal.",
    };

    /// <summary>Names, times and counts in the words the page uses.</summary>
    private sealed class Words(EstateSnapshot snapshot, DateTimeOffset now, TimeZoneInfo zone)
    {
        public string Name(string datacenterId) => FailoverScenarioClassifier.NameOf(snapshot, datacenterId);

        public string AllNames => snapshot.Datacenters.Count == 0 ? "the datacenters" : string.Join(" and ", snapshot.Datacenters.Select(d => d.Name));

        public IEnumerable<DatacenterSnapshot> Remote =>
            snapshot.Datacenters.Where(d => !string.Equals(d.Id, snapshot.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase));

        public string Since(DateTimeOffset since)
        {
            var local = TimeZoneInfo.ConvertTime(since, zone);
            var age = now - since;
            if (age < TimeSpan.Zero)
                age = TimeSpan.Zero;
            var ago = age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds} s"
                : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min"
                : age.TotalDays < 2 ? $"{(int)age.TotalHours} h {age.Minutes:00} min"
                : $"{(int)age.TotalDays} d {age.Hours} h";
            return $"since {local.ToString("HH:mm", CultureInfo.InvariantCulture)} ({ago})";
        }

        /// <summary>Datacenters whose instances cannot be counted from here (unreachable, perhaps serving).</summary>
        public string Unseen => string.Join(" and ", snapshot.Datacenters.Where(d => d.State == DatacenterState.Unreachable).Select(d => d.Name));

        /// <summary>Instances Up, all instances this console can judge, and the datacenters the Up ones are in.</summary>
        public (int Up, int Total, string Where) InstanceCount
        {
            get
            {
                var all = snapshot.Datacenters.Where(d => d.State != DatacenterState.Unreachable).SelectMany(d => d.GatewayInstances).ToList();
                var up = all.Where(i => i.State == ComponentState.Up).ToList();
                var where = string.Join(" and ", up.Select(i => i.DatacenterId).Distinct(StringComparer.OrdinalIgnoreCase).Select(Name));
                return (up.Count, all.Count, where);
            }
        }

        /// <summary>Other instances of the group of <paramref name="instanceKey"/>: how many are Up, how many there are.</summary>
        public (int Up, int Others) GroupPeers(string? instanceKey)
        {
            var group = snapshot.Datacenters.SelectMany(d => d.Groups).FirstOrDefault(g => g.Instances.Any(i => i.Key == instanceKey));
            var others = group?.Instances.Where(i => i.Key != instanceKey).ToList() ?? [];
            return (others.Count(i => i.State == ComponentState.Up), others.Count);
        }
    }
}
