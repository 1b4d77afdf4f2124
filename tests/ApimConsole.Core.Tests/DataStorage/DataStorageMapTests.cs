using ApimConsole.Core.DataStorage;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.DataStorage;

public class DataStorageMapTests
{
    private readonly FakeTimeProvider _clock = new(T0.AddMinutes(35));

    private IReadOnlyList<DataStorageStatus> Describe(EstateSnapshot snapshot, TimeZoneInfo? zone = null)
    {
        var now = _clock.GetUtcNow();
        return DataStorageMap.Describe(snapshot, FailoverScenarioClassifier.Classify(snapshot, now), now, zone);
    }

    private static DataStorageStatus Of(IReadOnlyList<DataStorageStatus> map, DataKind kind) => map.Single(s => s.Entry.Kind == kind);

    private static string Text(IReadOnlyList<DataStorageStatus> map, DataKind kind) => string.Join(" | ", Of(map, kind).Statements.Select(s => s.Text));

    private static EstateSnapshot LinkDown() => Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true));
    private static EstateSnapshot Dc2Down() => Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));

    [Fact]
    public void Entries_AreTheDocumentationsTable_EveryKindOnce()
    {
        Assert.Equal(Enum.GetValues<DataKind>(), DataStorageMap.Entries.Select(e => e.Kind));
        Assert.Equal("Ehcache", DataStorageMap.Entries.Single(e => e.Kind == DataKind.EhcacheStores).StoredIn);
        Assert.Equal("Cassandra multi-DC replication", DataStorageMap.Entries.Single(e => e.Kind == DataKind.ApiManagerData).ReplicatedBy);
    }

    [Fact]
    public void NothingInForce_EveryKindIsNormal_WithItsOwnText()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2"), (true, true)));
        Assert.All(map, s => Assert.Equal(DataImpact.Normal, s.Impact));
        Assert.All(map, s => Assert.Null(Assert.Single(s.Statements).ScenarioKey));
        Assert.Equal("Normal: held by all 4 gateway instances.", Text(map, DataKind.QuotaCounters));
        Assert.Contains("replicated between DC1 and DC2", Text(map, DataKind.KpsData));
    }

    [Fact]
    public void LinkDown_CassandraData_NotSynchronizedSince_ResyncsWhenTheLinkReturns()
    {
        var map = Describe(LinkDown());
        Assert.Equal("Not synchronized between DC1 and DC2 since 14:00 (35 min); resyncs automatically when the link returns.", Text(map, DataKind.ApiManagerData));
        Assert.Equal(DataImpact.Affected, Of(map, DataKind.KpsData).Impact);
        Assert.Equal("Do not deploy: blocked since 14:00 (35 min): inter-datacenter link down.", Text(map, DataKind.GatewayConfiguration));
        Assert.Equal(DataImpact.Blocked, Of(map, DataKind.KpsTableStructure).Impact);
        Assert.Contains("Logs and traffic monitoring of DC2 can only be read from a console in DC2 since 14:00 (35 min).", Text(map, DataKind.LogsAndTrafficMonitoring));
        Assert.Equal(DataImpact.Normal, Of(map, DataKind.EhcacheStores).Impact);
        Assert.Contains("each datacenter keeps its own Ehcache", Text(map, DataKind.EhcacheStores));
        Assert.Equal("InterDatacenterLinkDown", Of(map, DataKind.KpsData).Statements[0].ScenarioKey);
        Assert.Equal(DataImpact.Normal, Of(map, DataKind.Metrics).Impact);
    }

    [Fact]
    public void LinkDown_TheDurationMovesWithTheClock_AndPastTwoHoursAsksForRepair()
    {
        var snapshot = LinkDown();
        Assert.DoesNotContain("nodetool repair", Text(Describe(snapshot), DataKind.KpsData));
        _clock.Advance(TimeSpan.FromMinutes(90));
        Assert.Contains("since 14:00 (2 h 05 min)", Text(Describe(snapshot), DataKind.KpsData));
        Assert.Contains("nodetool repair on all six Cassandra nodes", Text(Describe(snapshot), DataKind.KpsData));
    }

    [Fact]
    public void TimesAreShownInTheGivenZone()
    {
        var cet = TimeZoneInfo.CreateCustomTimeZone("test+1", TimeSpan.FromHours(1), "test+1", "test+1");
        Assert.Contains("since 15:00 (35 min)", Text(Describe(LinkDown(), cet), DataKind.KpsData));
    }

    [Fact]
    public void DatacenterDown_QuotasHeldByFewerInstances_EhcacheSessionsLost_LogsUnreadable()
    {
        var map = Describe(Dc2Down());
        Assert.Equal("Quotas stay the same, now held by 2 gateway instances in DC1 instead of 4.", Of(map, DataKind.QuotaCounters).Statements[0].Text);
        Assert.StartsWith("Ehcache sessions in DC2 lost since 14:00 (35 min): end users may have to start their sessions again", Text(map, DataKind.EhcacheStores));
        Assert.Equal(DataImpact.Affected, Of(map, DataKind.EhcacheStores).Impact);
        Assert.Contains("Logs and traffic monitoring of DC2 cannot be read since 14:00 (35 min), until it returns", Text(map, DataKind.LogsAndTrafficMonitoring));
        Assert.Contains("Do not deploy: blocked since 14:00 (35 min): DC2 down.", Text(map, DataKind.GatewayConfiguration));
        Assert.Contains("Not synchronized to DC2 since 14:00", Text(map, DataKind.ApiManagerData));
    }

    [Fact]
    public void Unreachable_NoWitness_SaysBothPossibilities()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2", ComponentState.Down)));
        Assert.Contains("Possibly not synchronized with DC2", Text(map, DataKind.KpsData));
        Assert.Contains("If DC2 is down, its Ehcache sessions are lost", Text(map, DataKind.EhcacheStores));
        Assert.Equal(DataImpact.Blocked, Of(map, DataKind.GatewayConfiguration).Impact);
    }

    [Fact]
    public void QuorumLost_CassandraDataUnavailableThere_DeploymentsBlocked()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down).WithCassandra(2, ComponentState.Down), (true, true)));
        Assert.Equal(DataImpact.Blocked, Of(map, DataKind.ApiManagerData).Impact);
        Assert.StartsWith("Unavailable in DC2 since 14:00 (35 min): LOCAL_QUORUM reads and writes fail there", Text(map, DataKind.KpsData));
        Assert.Equal(DataImpact.Blocked, Of(map, DataKind.GatewayConfiguration).Impact);
        Assert.Contains("cannot be read or written in DC2", Text(map, DataKind.QuotaCounters));
    }

    [Fact]
    public void OneCassandraNodeDown_Tolerated_DeploymentsNormal()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2").WithCassandra(3, ComponentState.Down), (true, true)));
        Assert.Contains("Still consistent in DC2 (LOCAL_QUORUM, 2 of 3); dc2/cassandra-3 misses writes since 14:00", Text(map, DataKind.KpsData));
        Assert.Equal(DataImpact.Normal, Of(map, DataKind.GatewayConfiguration).Impact);
    }

    [Fact]
    public void OneInstanceDown_QuotasOnFewerInstances_EhcacheHeldByItsPeer()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down), (true, true)));
        Assert.Equal("Quotas stay the same, now held by 3 gateway instances in DC1 and DC2 instead of 4.", Text(map, DataKind.QuotaCounters));
        Assert.Equal(DataImpact.Normal, Of(map, DataKind.EhcacheStores).Impact);
        Assert.Contains("held by the other instances of its group", Text(map, DataKind.EhcacheStores));
        Assert.Contains("Traffic monitoring of dc2/instance-2 cannot be read", Text(map, DataKind.LogsAndTrafficMonitoring));
        Assert.Equal(DataImpact.Normal, Of(map, DataKind.KpsData).Impact);
    }

    [Fact]
    public void BothInstancesOfAGroupDown_EhcacheEntriesLost()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down).WithInstance("instance-2", ComponentState.Down), (true, true)));
        Assert.Equal(DataImpact.Affected, Of(map, DataKind.EhcacheStores).Impact);
        Assert.Contains("its Ehcache entries are lost", Text(map, DataKind.EhcacheStores));
    }

    [Fact]
    public void AnmDown_ThatDatacenterCannotBeDeployedTo()
    {
        var map = Describe(Assess(Dc("dc1"), Dc("dc2").WithAnm(ComponentState.Down), (true, true)));
        Assert.Contains("DC2 cannot be deployed to since 14:00 (35 min), until its Admin Node Manager answers", Text(map, DataKind.KpsTableStructure));
    }

    [Fact]
    public void Combination_LinkDownAndAnInstanceDownInDc1_SaysBoth_WorstImpactWins()
    {
        var snapshot = Assess(Dc("dc1").WithInstance("instance-1", ComponentState.Down), Dc("dc2", ComponentState.Down), (true, true));
        var map = Describe(snapshot);
        var quotas = Of(map, DataKind.QuotaCounters).Statements.Select(s => s.Text).ToList();
        // DC2 serves across the cut link, but its instances cannot be counted from DC1.
        Assert.Equal("Quotas stay the same, now held by 1 gateway instance in DC1 instead of 2 (DC2 cannot be seen from here).", quotas[0]);
        Assert.Contains(quotas, q => q.Contains("counted by each datacenter on its own"));
        var logs = Of(map, DataKind.LogsAndTrafficMonitoring);
        Assert.Equal(2, logs.Statements.Count);
        Assert.Equal(DataImpact.Affected, logs.Impact);
        Assert.Equal(DataImpact.Blocked, Of(map, DataKind.GatewayConfiguration).Impact);
    }
}
