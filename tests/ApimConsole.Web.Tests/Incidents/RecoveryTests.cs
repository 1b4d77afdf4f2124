using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Incidents;

public sealed class RecoveryTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    /// <summary>dc2 down from T0+1 min for <paramref name="outage"/>, then back as <paramref name="back"/> shapes it.</summary>
    private static async Task<(IncidentStore Store, ServiceProvider Console, FakeEstateStatus Status, IncidentRecorder Recorder, DateTimeOffset Ended)> Dc2DownFor(
        TimeSpan outage, Func<EstateSnapshot, EstateSnapshot>? back = null)
    {
        var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console, recorder) = await store.StartRecorderAsync(status);
        var start = T0.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(start).WithDatacenterDown("dc2", start));
        var ended = start + outage;
        store.Time.SetUtcNow(ended);
        await IncidentStore.PublishAndWaitAsync(status, recorder, (back ?? (s => s))(TestEstate.AllUp(ended)));
        return (store, console, status, recorder, ended);
    }

    [Fact]
    public async Task ShortOutage_NodesBackAndAgreeing_NeedsNothingMore()
    {
        var (store, console, _, _, _) = await Dc2DownFor(TimeSpan.FromHours(2));
        await using var _store = store;
        var recovery = console.GetRequiredService<IRecoveryStatus>();

        Assert.Empty(recovery.Incomplete);
        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.NotNull(incident.RecoveredAt);
    }

    [Fact]
    public async Task OutageOver2h_WaitsForARepairOnEachNodeOfTheDatacenter_UntilAllAreMarkedDone()
    {
        var (store, console, _, _, ended) = await Dc2DownFor(TimeSpan.FromHours(2).Add(TimeSpan.FromSeconds(1)));
        await using var _store = store;
        var recovery = console.GetRequiredService<IRecoveryStatus>();
        using var changes = recovery.Subscribe(capacity: 100);

        var incomplete = Assert.Single(recovery.Incomplete);
        Assert.Equal(("DatacenterDown:dc2", ended), (incomplete.IncidentKey, incomplete.Ended));
        Assert.Equal(
            ["nodetool repair not yet marked done on dc2/cassandra-1.", "nodetool repair not yet marked done on dc2/cassandra-2.",
             "nodetool repair not yet marked done on dc2/cassandra-3."],
            incomplete.Waiting);

        var checklist = console.GetRequiredService<RepairChecklist>();
        var id = (await store.QueryAsync(db => db.Incidents.SingleAsync())).Id;
        await checklist.MarkDoneAsync(id, "dc2/cassandra-1", "alice", null, CancellationToken.None);
        await checklist.MarkDoneAsync(id, "dc2/cassandra-2", "alice", null, CancellationToken.None);
        Assert.Equal(["nodetool repair not yet marked done on dc2/cassandra-3."], Assert.Single(recovery.Incomplete).Waiting);
        Assert.Null((await store.QueryAsync(db => db.Incidents.SingleAsync())).RecoveredAt);

        await checklist.MarkDoneAsync(id, "dc2/cassandra-3", "bob", "after the reboot", CancellationToken.None);
        Assert.Empty(recovery.Incomplete);
        Assert.True(changes.Updates.Count >= 3);
        Assert.NotNull((await store.QueryAsync(db => db.Incidents.SingleAsync())).RecoveredAt);
    }

    [Fact]
    public async Task SchemaDisagreement_KeepsTheRecoveryIncomplete_UntilTheNodeAgrees()
    {
        var (store, console, status, recorder, ended) = await Dc2DownFor(TimeSpan.FromMinutes(30),
            s => s.WithAgreement("dc2", "cassandra-2", false));
        await using var _store = store;
        var recovery = console.GetRequiredService<IRecoveryStatus>();

        Assert.Equal(["dc2/cassandra-2 is not in schema agreement yet."], Assert.Single(recovery.Incomplete).Waiting);

        using var changes = recovery.Subscribe();
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(ended.AddMinutes(1)));
        await changes.Updates.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(recovery.Incomplete);
    }

    [Fact]
    public async Task NodeStillDown_AfterTheDatacenterIsBack_KeepsTheOutageOpen_ThenItsRecoveryIsJudged()
    {
        // dc2 back but one node it took down still down: the outage is not over (one incident, no node-down incident of its own).
        var (store, console, status, recorder, ended) = await Dc2DownFor(TimeSpan.FromMinutes(10),
            s => s.WithCassandra("dc2", "cassandra-3", ComponentState.Down, T0.AddMinutes(1)));
        await using var _store = store;

        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("DatacenterDown:dc2", (DateTimeOffset?)null), (incident.Key, incident.EndedAt));
        Assert.Empty(console.GetRequiredService<IRecoveryStatus>().Incomplete);

        // The node back, but not in schema agreement yet: the outage is over, its recovery names the node.
        var back = ended.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(back).WithAgreement("dc2", "cassandra-3", false));
        Assert.Equal(back, (await store.QueryAsync(db => db.Incidents.SingleAsync())).EndedAt);
        var waiting = Assert.Single(console.GetRequiredService<IRecoveryStatus>().Incomplete, r => r.IncidentKey == "DatacenterDown:dc2").Waiting;
        Assert.Equal(["dc2/cassandra-3 is not in schema agreement yet."], waiting);
    }

    [Fact]
    public async Task OutageOver10Days_AsksForReplacement_NotRepair()
    {
        var (store, console, _, _, _) = await Dc2DownFor(TimeSpan.FromDays(10).Add(TimeSpan.FromSeconds(1)));
        await using var _store = store;
        var recovery = console.GetRequiredService<IRecoveryStatus>();
        Assert.All(Assert.Single(recovery.Incomplete).Waiting, w => Assert.StartsWith("Replacement not yet marked done on dc2/cassandra-", w));

        var checklist = console.GetRequiredService<RepairChecklist>();
        var id = (await store.QueryAsync(db => db.Incidents.SingleAsync())).Id;
        foreach (var node in new[] { "dc2/cassandra-1", "dc2/cassandra-2", "dc2/cassandra-3" })
        {
            var view = await checklist.MarkDoneAsync(id, node, "carol", null, CancellationToken.None);
            Assert.Equal("replace", view.Items.Single(i => i.NodeKey == node).DoneAction);
        }
        Assert.Empty(recovery.Incomplete);
    }

    [Fact]
    public async Task OutageOf10DaysExactly_AsksForRepair()
    {
        var (store, console, _, _, _) = await Dc2DownFor(TimeSpan.FromDays(10));
        await using var _store = store;
        Assert.All(Assert.Single(console.GetRequiredService<IRecoveryStatus>().Incomplete).Waiting,
            w => Assert.StartsWith("nodetool repair not yet marked done", w));
    }

    [Fact]
    public async Task Restart_KeepsIncompleteRecoveries_AndTheMarksMade()
    {
        var (store, console, _, recorder, ended) = await Dc2DownFor(TimeSpan.FromHours(3));
        await using var _store = store;
        var id = (await store.QueryAsync(db => db.Incidents.SingleAsync())).Id;
        await console.GetRequiredService<RepairChecklist>().MarkDoneAsync(id, "dc2/cassandra-1", "alice", null, CancellationToken.None);
        await recorder.StopAsync(CancellationToken.None);
        await console.DisposeAsync();

        var status = new FakeEstateStatus(TestEstate.NotProbed(ended.AddHours(1)));
        var (console2, recorder2) = await store.StartRecorderAsync(status);
        await IncidentStore.PublishAndWaitAsync(status, recorder2, TestEstate.AllUp(ended.AddHours(1).AddSeconds(3)));

        Assert.Equal(["nodetool repair not yet marked done on dc2/cassandra-2.", "nodetool repair not yet marked done on dc2/cassandra-3."],
            Assert.Single(console2.GetRequiredService<IRecoveryStatus>().Incomplete).Waiting);
    }

    [Fact]
    public void AddIncidents_ReplacesADefaultRecoveryStatus()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IRecoveryStatus, NoRecoveries>();
        services.AddIncidents();
        Assert.Single(services, d => d.ServiceType == typeof(IRecoveryStatus));
    }

    private sealed class NoRecoveries : IRecoveryStatus
    {
        public IReadOnlyList<IncompleteRecovery> Current => [];
        public FeedSubscription<IReadOnlyList<IncompleteRecovery>> Subscribe(int capacity = 16) => new LiveFeed<IReadOnlyList<IncompleteRecovery>>([]).Subscribe(capacity);
    }
}
