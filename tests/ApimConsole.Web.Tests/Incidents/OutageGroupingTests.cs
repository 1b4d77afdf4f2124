using ApimConsole.Core.Estate;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>One incident per outage: deciding stretches, parts noticed just before and the phantom Down after a heal.</summary>
public sealed class OutageGroupingTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    [Fact]
    public async Task DecidingThenLinkDown_IsOneLinkIncident_FromWhenFirstNoticed_WithDc2Unreachable_AndNoDownRows()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var lost = T0.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(lost).WithDeciding(lost));
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(lost.AddSeconds(3)).WithLinkDown(lost.AddSeconds(3)));

        var incident = await store.QueryAsync(db => db.Incidents.Include(i => i.Consequences).SingleAsync());
        Assert.Equal(("InterDatacenterLinkDown", "InterDatacenterLinkDown", lost, (DateTimeOffset?)null),
            (incident.Key, incident.Kind, incident.StartedAt, incident.EndedAt));
        Assert.Equal(6, incident.Consequences.Count);
        Assert.All(incident.Consequences, c => Assert.Equal(("dc2", "Unreachable", (DateTimeOffset?)null), (c.DatacenterId, c.State, c.Until)));
        Assert.Equal(0, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.DatacenterId == "dc2" && c.ToState == "Down")));

        var healed = lost.AddMinutes(2);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(healed));
        incident = await store.QueryAsync(db => db.Incidents.Include(i => i.Consequences).SingleAsync());
        Assert.Equal(healed, incident.EndedAt);
        Assert.All(incident.Consequences, c => Assert.Equal(healed, c.Until));
    }

    [Fact]
    public async Task AComponentFallingSilentFirst_IsNeverRecordedDown_AndStartsTheOutage()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var first = T0.AddMinutes(1);
        // dc2's instance-1 is Down while everything else there already fails its probes: the link may be going.
        await IncidentStore.PublishAndWaitAsync(status, recorder,
            TestEstate.AllUp(first).WithInstance("dc2", "instance-1", ComponentState.Down, first).WithFailing("dc2"));
        Assert.Equal(0, await store.QueryAsync(db => db.Incidents.CountAsync()));

        var cut = first.AddSeconds(2);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(cut).WithLinkDown(cut));

        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("InterDatacenterLinkDown", first), (incident.Kind, incident.StartedAt));
        var rows = await store.QueryAsync(db => db.ComponentStateChanges
            .Where(c => c.DatacenterId == "dc2" && c.ComponentId == "instance-1").OrderBy(c => c.Id).Select(c => c.FromState + ">" + c.ToState).ToListAsync());
        Assert.Equal(["None>Up", "Up>Unknown"], rows);
    }

    [Fact]
    public async Task AComponentDownWhileTheOthersAnswer_IsRecordedDown_AndIsItsOwnIncident()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var down = T0.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(down).WithInstance("dc2", "instance-1", ComponentState.Down, down).WithFailing("dc2"));
        // The others answer again: it was the instance alone. Its Down is stored as of when it was seen.
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(down.AddSeconds(2)).WithInstance("dc2", "instance-1", ComponentState.Down, down));

        var incident = await store.QueryAsync(db => db.Incidents.Include(i => i.Consequences).SingleAsync());
        Assert.Equal(("GatewayInstanceDown:dc2/instance-1", down), (incident.Key, incident.StartedAt));
        Assert.Equal(("instance-1", "Down"), (incident.Consequences.Single().ComponentId, incident.Consequences.Single().State));
        Assert.Equal(down, await store.QueryAsync(db => db.ComponentStateChanges.Where(c => c.ComponentId == "instance-1" && c.ToState == "Down").Select(c => c.At).SingleAsync()));
    }

    [Fact]
    public async Task ADownCarriedOverFromTheCut_IsHeld_ThenRecordedAsOfWhenSeen_OnlyIfItStays()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var cut = T0.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(cut).WithLinkDown(cut));
        // The link back: dc2 answers, instance-1's probes still say what they saw while it was cut off.
        var back = cut.AddMinutes(2);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(back).WithInstance("dc2", "instance-1", ComponentState.Down, cut.AddSeconds(1)));
        Assert.Equal(0, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.ComponentId == "instance-1" && c.ToState == "Down")));
        var link = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("InterDatacenterLinkDown", (DateTimeOffset?)back), (link.Key, link.EndedAt));

        // Still Down when the hold runs out: then it is recorded, as of when it was seen, and is an outage of its own.
        store.Time.Advance(OutageRules.NoticeWindow + TimeSpan.FromSeconds(1));
        await Eventually.Until(() => store.QueryAsync(db => db.Incidents.CountAsync()), n => n == 2, TimeSpan.FromSeconds(10), "the instance's own incident once the hold ran out");
        var down = await store.QueryAsync(db => db.ComponentStateChanges.SingleAsync(c => c.ComponentId == "instance-1" && c.ToState == "Down"));
        Assert.Equal(("Unknown", back), (down.FromState, down.At));
    }

    [Fact]
    public async Task DecidingThenDatacenterDown_IsOneDatacenterDownIncident_WithItsComponentsDown()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var lost = T0.AddMinutes(1);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(lost).WithDeciding(lost));
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(lost.AddSeconds(4)).WithDatacenterDown("dc2", lost.AddSeconds(4)));

        var incident = await store.QueryAsync(db => db.Incidents.Include(i => i.Consequences).SingleAsync());
        Assert.Equal(("DatacenterDown:dc2", "DatacenterDown", lost), (incident.Key, incident.Kind, incident.StartedAt));
        Assert.Equal(6, incident.Consequences.Count);
        Assert.All(incident.Consequences, c => Assert.Equal("Down", c.State));

        // Coming back through "unreachable, deciding" is the same outage; back up, it ends.
        var back = lost.AddMinutes(3);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(back).WithDeciding(back));
        Assert.Null((await store.QueryAsync(db => db.Incidents.SingleAsync())).EndedAt);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(back.AddSeconds(5)));
        Assert.Equal(back.AddSeconds(5), (await store.QueryAsync(db => db.Incidents.SingleAsync())).EndedAt);
    }

    [Fact]
    public async Task ASecondNodeDownSoonAfter_TurnsTheNodeIncidentIntoOneQuorumLoss()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var first = T0.AddMinutes(1);
        var one = TestEstate.AllUp(first).WithCassandra("dc1", "cassandra-1", ComponentState.Down, first);
        await IncidentStore.PublishAndWaitAsync(status, recorder, one);
        await IncidentStore.PublishAndWaitAsync(status, recorder,
            one.At(first.AddSeconds(5)).WithCassandra("dc1", "cassandra-2", ComponentState.Down, first.AddSeconds(5)));

        var incident = await store.QueryAsync(db => db.Incidents.Include(i => i.Consequences).SingleAsync());
        Assert.Equal(("CassandraQuorumLost:dc1", "Critical", first), (incident.Key, incident.Severity, incident.StartedAt));
        Assert.Equal(["cassandra-1", "cassandra-2"], incident.Consequences.Select(c => c.ComponentId).Order());
    }

    [Fact]
    public async Task AnInstanceDownLongBeforeItsDatacenter_StaysItsOwnIncident_OpenWhileTheDatacenterIsDown()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var down = T0.AddMinutes(1);
        var instance = TestEstate.AllUp(down).WithInstance("dc2", "instance-2", ComponentState.Down, down);
        await IncidentStore.PublishAndWaitAsync(status, recorder, instance);
        var dcDown = down.AddMinutes(10);
        await IncidentStore.PublishAndWaitAsync(status, recorder, instance.At(dcDown).WithDatacenterDown("dc2", dcDown));

        var incidents = await store.QueryAsync(db => db.Incidents.OrderBy(i => i.Id).ToListAsync());
        Assert.Equal([("GatewayInstanceDown:dc2/instance-2", (DateTimeOffset?)null), ("DatacenterDown:dc2", null)], incidents.Select(i => (i.Key, i.EndedAt)));
    }

    [Fact]
    public void ChangedAt_NeverPutsAChangeBeforeTheOneItFollows()
    {
        var last = T0.AddMinutes(2);
        Assert.Equal(T0.AddMinutes(3), IncidentRecorder.ChangedAt(T0.AddMinutes(3), T0.AddMinutes(4), last));
        // A "since" carried over from an earlier state, equal to or before the last row, or from the future: the snapshot's time.
        Assert.Equal(T0.AddMinutes(4), IncidentRecorder.ChangedAt(last, T0.AddMinutes(4), last));
        Assert.Equal(T0.AddMinutes(4), IncidentRecorder.ChangedAt(T0, T0.AddMinutes(4), last));
        Assert.Equal(T0.AddMinutes(4), IncidentRecorder.ChangedAt(T0.AddMinutes(9), T0.AddMinutes(4), last));
        Assert.Equal(last, IncidentRecorder.ChangedAt(T0, T0.AddMinutes(1), last));
    }

    /// <summary>
    /// The phantom: a datacenter judged down marks its still-failing components Down keeping the "since" of their Up
    /// (same millisecond as the Down->Up before it), and the heal's Up comes with an older "since" (the peer's view, or
    /// one kept from before). Stored with those times, the newest row by time said Down while the live view said Up.
    /// </summary>
    [Fact]
    public async Task AfterAHeal_TheNewestStoredRowByTime_SaysWhatTheLiveViewSays()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console, recorder) = await store.StartRecorderAsync(status);

        var t1 = T0.AddMinutes(1);
        var t2 = T0.AddMinutes(2);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(t1).WithInstance("dc2", "instance-1", ComponentState.Down, t1));
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(t2).WithInstance("dc2", "instance-1", ComponentState.Up, t2));
        // Fallen with its datacenter: Down, with the "since" of its Up.
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(t2.AddSeconds(1)).WithInstance("dc2", "instance-1", ComponentState.Down, t2));
        // Healed: Up, with an older "since" than the Down row's.
        var live = TestEstate.AllUp(t2.AddSeconds(2)).WithInstance("dc2", "instance-1", ComponentState.Up, T0);
        await IncidentStore.PublishAndWaitAsync(status, recorder, live);

        var rows = await store.QueryAsync(db => db.ComponentStateChanges.Where(c => c.DatacenterId == "dc2" && c.ComponentId == "instance-1")
            .OrderBy(c => c.Id).ToListAsync());
        Assert.Equal(rows.Select(r => r.Id), rows.OrderBy(r => r.At).ThenBy(r => r.Id).Select(r => r.Id));
        Assert.All(rows.Zip(rows.Skip(1)), p => Assert.True(p.First.At <= p.Second.At, $"{p.First.ToState} at {p.First.At:O} is after {p.Second.ToState} at {p.Second.At:O}"));
        var history = console.GetRequiredService<ComponentHistory>();
        var lastSeen = await history.LastSeenAsync("dc2", ["instance-1"], CancellationToken.None);
        Assert.Equal("Up", lastSeen["instance-1"]);
    }
}
