using ApimConsole.Core.Estate;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Incidents;

public sealed class RepairChecklistTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    private static async Task<(IncidentStore Store, RepairChecklist Checklist, long IncidentId, long InstanceIncidentId)> WithIncidentsAsync()
    {
        var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console, recorder) = await store.StartRecorderAsync(status);
        await IncidentStore.PublishAndWaitAsync(status, recorder,
            TestEstate.AllUp(T0.AddMinutes(1)).WithInstance("dc1", "instance-1", ComponentState.Down, T0.AddMinutes(1)).WithDatacenterDown("dc2", T0.AddMinutes(1)));
        store.Time.SetUtcNow(T0.AddHours(3));
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(T0.AddHours(3)));
        var incidents = await store.QueryAsync(db => db.Incidents.ToListAsync());
        return (store, console.GetRequiredService<RepairChecklist>(),
            incidents.Single(i => i.Key == "DatacenterDown:dc2").Id, incidents.Single(i => i.Key.StartsWith("GatewayInstanceDown")).Id);
    }

    [Fact]
    public async Task MarkDone_IsPersistedWithWhoAndWhen_AndAudited()
    {
        var (store, checklist, id, _) = await WithIncidentsAsync();
        await using var _ = store;
        store.Time.SetUtcNow(T0.AddHours(4));

        var view = await checklist.MarkDoneAsync(id, "dc2/cassandra-2", "  alice ", "repaired in 14 min", CancellationToken.None);

        var item = view.Items.Single(i => i.NodeKey == "dc2/cassandra-2");
        Assert.Equal(("alice", (DateTimeOffset?)T0.AddHours(4), "repaired in 14 min", true), (item.DoneBy, item.DoneAt, item.Note, item.Done));
        Assert.Equal(3, view.Items.Count);
        Assert.All(view.Items, i => Assert.Equal(("repair", true), (i.Action, i.Required)));

        var check = await store.QueryAsync(db => db.RepairChecks.SingleAsync());
        Assert.Equal((id, "dc2/cassandra-2", "repair", "alice", T0.AddHours(4)), (check.IncidentId, check.NodeKey, check.Action, check.DoneBy, check.DoneAt));
        var audit = await store.QueryAsync(db => db.AuditEntries.SingleAsync());
        Assert.Equal(("alice", "repair.marked-done", "dc2/cassandra-2"), (audit.Actor, audit.Action, audit.Target));
        Assert.Contains("DatacenterDown:dc2", audit.Details);

        var reread = await checklist.GetAsync(id, CancellationToken.None);
        Assert.Equal("alice", reread.Items.Single(i => i.NodeKey == "dc2/cassandra-2").DoneBy);
    }

    [Fact]
    public async Task MarkNotDone_RemovesTheMark_AndIsAudited()
    {
        var (store, checklist, id, _) = await WithIncidentsAsync();
        await using var _ = store;
        await checklist.MarkDoneAsync(id, "dc2/cassandra-1", "alice", null, CancellationToken.None);

        var view = await checklist.MarkNotDoneAsync(id, "dc2/cassandra-1", "bob", CancellationToken.None);

        Assert.False(view.Items.Single(i => i.NodeKey == "dc2/cassandra-1").Done);
        Assert.Equal(0, await store.QueryAsync(db => db.RepairChecks.CountAsync()));
        Assert.Equal(["repair.marked-done", "repair.marked-not-done"],
            await store.QueryAsync(db => db.AuditEntries.OrderBy(e => e.Id).Select(e => e.Action).ToListAsync()));
    }

    [Theory]
    [InlineData("dc2/cassandra-1", "", "'Done by' is required")]
    [InlineData("dc2/cassandra-1", "   ", "'Done by' is required")]
    [InlineData("dc1/cassandra-1", "alice", "'dc1/cassandra-1' is not on the checklist")]
    [InlineData("", "alice", "is not on the checklist")]
    public async Task BadInput_IsRefusedClearly_AndWritesNothing(string node, string doneBy, string message)
    {
        var (store, checklist, id, _) = await WithIncidentsAsync();
        await using var _ = store;

        var error = await Assert.ThrowsAsync<RepairChecklistException>(() => checklist.MarkDoneAsync(id, node, doneBy, null, CancellationToken.None));

        Assert.Contains(message, error.Message);
        Assert.False(error.NotFound);
        Assert.Equal(0, await store.QueryAsync(db => db.RepairChecks.CountAsync()));
        Assert.Equal(0, await store.QueryAsync(db => db.AuditEntries.CountAsync()));
    }

    [Fact]
    public async Task UnknownIncident_IsNotFound_AndIncidentWithoutCassandra_HasNoChecklist()
    {
        var (store, checklist, _, instanceIncident) = await WithIncidentsAsync();
        await using var _ = store;

        var missing = await Assert.ThrowsAsync<RepairChecklistException>(() => checklist.MarkDoneAsync(9999, "dc2/cassandra-1", "alice", null, CancellationToken.None));
        Assert.True(missing.NotFound);
        Assert.Contains("Incident 9999 does not exist", missing.Message);

        var none = await Assert.ThrowsAsync<RepairChecklistException>(() => checklist.MarkDoneAsync(instanceIncident, "dc2/cassandra-1", "alice", null, CancellationToken.None));
        Assert.Contains("touched no Cassandra node", none.Message);
        Assert.Equal(0, await store.QueryAsync(db => db.AuditEntries.CountAsync()));
    }
}
