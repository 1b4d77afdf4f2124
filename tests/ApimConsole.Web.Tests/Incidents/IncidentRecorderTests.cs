using ApimConsole.Core.Estate;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Tests.Incidents;

public sealed class IncidentRecorderTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;
    // Everything with a state in TestEstate: the link, and per DC the DC itself, 1 ANM, 2 instances, 3 Cassandra nodes.
    private const int Subjects = 1 + 2 * (1 + 1 + 2 + 3);

    [Fact]
    public async Task FirstSnapshot_RecordsEverySubjectOnce_AndOpensNothing()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        await store.StartRecorderAsync(status);

        var rows = await store.QueryAsync(db => db.ComponentStateChanges.ToListAsync());
        Assert.Equal(Subjects, rows.Count);
        Assert.All(rows, r => Assert.Equal(("None", "Up"), (r.FromState, r.ToState)));
        Assert.Contains(rows, r => (r.DatacenterId, r.ComponentId, r.ComponentKind) == ("estate", "link", "Link"));
        Assert.Contains(rows, r => (r.DatacenterId, r.ComponentId, r.ComponentKind) == ("dc2", "datacenter", "Datacenter"));
        Assert.Equal(0, await store.QueryAsync(db => db.Incidents.CountAsync()));
    }

    [Fact]
    public async Task InstanceDown_OpensAnIncidentAtTheScenarioStart_AndHealing_ClosesItAtTheSnapshot()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        var downAt = T0.AddMinutes(5);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(T0.AddMinutes(6)).WithInstance("dc2", "instance-2", ComponentState.Down, downAt));

        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("GatewayInstanceDown:dc2/instance-2", "GatewayInstanceDown", "dc2", "dc2/instance-2", "Warning", downAt, (DateTimeOffset?)null),
            (incident.Key, incident.Kind, incident.DatacenterId, incident.ComponentKey, incident.Severity, incident.StartedAt, incident.EndedAt));
        Assert.Equal("", incident.CassandraNodes);

        var changes = await store.QueryAsync(db => db.ComponentStateChanges.Where(c => c.At == downAt).OrderBy(c => c.ComponentId).ToListAsync());
        Assert.Equal([("dc2", "datacenter", "Up", "Degraded"), ("dc2", "instance-2", "Up", "Down")],
            changes.Select(c => (c.DatacenterId, c.ComponentId, c.FromState, c.ToState)));
        Assert.Equal("connection refused", changes.Single(c => c.ComponentId == "instance-2").Reason);

        var healed = T0.AddMinutes(20);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(healed).WithInstance("dc2", "instance-2", ComponentState.Up, healed));

        incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(healed, incident.EndedAt);
        Assert.Equal(Subjects + 4, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync()));
    }

    [Fact]
    public async Task LinkDown_IsOneCriticalIncident_TouchingAllSixCassandraNodes()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(T0.AddMinutes(1)).WithLinkDown(T0.AddMinutes(1)));

        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("InterDatacenterLinkDown", "Critical"), (incident.Key, incident.Severity));
        Assert.Equal(6, incident.CassandraNodes.Split(',').Length);
        // The remote components are Unknown behind the cut link: that is news once they had been seen Up.
        Assert.Equal(6, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.DatacenterId == "dc2" && c.ToState == "Unknown")));
        Assert.Equal(1, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.ComponentId == "datacenter" && c.ToState == "Unreachable")));
        Assert.Equal(1, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.ComponentId == "link" && c.ToState == "Down")));
    }

    [Fact]
    public async Task Restart_ContinuesTheOpenIncident_ThenClosesItExactlyOnce_WithoutDuplicatingChanges()
    {
        await using var store = new IncidentStore();
        var downAt = T0.AddMinutes(5);
        var down = TestEstate.AllUp(T0.AddMinutes(6)).WithInstance("dc2", "instance-2", ComponentState.Down, downAt);

        // Console 1 sees the instance go down and opens the incident.
        var status1 = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console1, recorder1) = await store.StartRecorderAsync(status1);
        await IncidentStore.PublishAndWaitAsync(status1, recorder1, down);
        var opened = await store.QueryAsync(db => db.Incidents.SingleAsync());
        var rowsBefore = await store.QueryAsync(db => db.ComponentStateChanges.CountAsync());
        await recorder1.StopAsync(CancellationToken.None);
        await console1.DisposeAsync();

        // Console 2 starts on the same store: first nothing is probed, then the outage is seen again, with a new
        // "since" (the new console's own first sight of it).
        var restartedAt = T0.AddMinutes(30);
        var status2 = new FakeEstateStatus(TestEstate.NotProbed(restartedAt));
        var (_, recorder2) = await store.StartRecorderAsync(status2);
        await IncidentStore.PublishAndWaitAsync(status2, recorder2,
            TestEstate.AllUp(restartedAt.AddSeconds(4)).WithInstance("dc2", "instance-2", ComponentState.Down, restartedAt.AddSeconds(4)));

        var still = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal((opened.Id, downAt, (DateTimeOffset?)null), (still.Id, still.StartedAt, still.EndedAt));
        Assert.Equal(rowsBefore, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync()));

        // Healed: closed once, and a later snapshot saying the same does not close it again.
        var healed = restartedAt.AddMinutes(2);
        var up = TestEstate.AllUp(healed).WithInstance("dc2", "instance-2", ComponentState.Up, healed);
        await IncidentStore.PublishAndWaitAsync(status2, recorder2, up);
        await IncidentStore.PublishAndWaitAsync(status2, recorder2, up.At(healed.AddMinutes(1)));

        var closed = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal((opened.Id, downAt, (DateTimeOffset?)healed), (closed.Id, closed.StartedAt, closed.EndedAt));
        var instanceRows = await store.QueryAsync(db => db.ComponentStateChanges
            .Where(c => c.DatacenterId == "dc2" && c.ComponentId == "instance-2").OrderBy(c => c.Id).Select(c => c.FromState + ">" + c.ToState).ToListAsync());
        Assert.Equal(["None>Up", "Up>Down", "Down>Up"], instanceRows);
    }

    [Fact]
    public async Task Restart_WithTheScenarioGone_ClosesItOnce_AndAThirdStartChangesNothing()
    {
        await using var store = new IncidentStore();
        var status1 = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console1, recorder1) = await store.StartRecorderAsync(status1);
        await IncidentStore.PublishAndWaitAsync(status1, recorder1, TestEstate.AllUp(T0.AddMinutes(1)).WithDatacenterDown("dc2", T0.AddMinutes(1)));
        await recorder1.StopAsync(CancellationToken.None);
        await console1.DisposeAsync();

        var back = T0.AddHours(1);
        var status2 = new FakeEstateStatus(TestEstate.NotProbed(back));
        var (console2, recorder2) = await store.StartRecorderAsync(status2);
        Assert.Null((await store.QueryAsync(db => db.Incidents.SingleAsync())).EndedAt);
        await IncidentStore.PublishAndWaitAsync(status2, recorder2, TestEstate.AllUp(back.AddSeconds(3)));
        await recorder2.StopAsync(CancellationToken.None);
        await console2.DisposeAsync();
        var rows = await store.QueryAsync(db => db.ComponentStateChanges.CountAsync());

        var status3 = new FakeEstateStatus(TestEstate.AllUp(back.AddHours(1)));
        await store.StartRecorderAsync(status3);

        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("DatacenterDown:dc2", (DateTimeOffset?)back.AddSeconds(3)), (incident.Key, incident.EndedAt));
        Assert.Equal(rows, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync()));
    }

    [Fact]
    public async Task PartlyProbedEstate_DoesNotCloseAnIncidentWhoseComponentIsNotJudgedYet()
    {
        await using var store = new IncidentStore();
        var status1 = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console1, recorder1) = await store.StartRecorderAsync(status1);
        await IncidentStore.PublishAndWaitAsync(status1, recorder1, TestEstate.AllUp(T0.AddMinutes(1)).WithInstance("dc2", "instance-2", ComponentState.Down, T0.AddMinutes(1)));
        await recorder1.StopAsync(CancellationToken.None);
        await console1.DisposeAsync();

        // After a restart every DC is assessed (not Unknown), but instance-2 has not been judged yet: the scenario is
        // not in force, and yet nothing proves it over.
        var restarted = T0.AddMinutes(10);
        var partly = TestEstate.AllUp(restarted).WithInstance("dc2", "instance-2", ComponentState.Unknown, restarted);
        Assert.Equal(DatacenterState.Degraded, partly.Find("dc2")!.State);
        var status2 = new FakeEstateStatus(partly);
        var (_, recorder2) = await store.StartRecorderAsync(status2);
        Assert.Null((await store.QueryAsync(db => db.Incidents.SingleAsync())).EndedAt);
        // Its Unknown is the new console's ignorance, not news.
        Assert.Equal(0, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.ToState == "Unknown")));

        await IncidentStore.PublishAndWaitAsync(status2, recorder2,
            TestEstate.AllUp(restarted.AddSeconds(3)).WithInstance("dc2", "instance-2", ComponentState.Down, restarted.AddSeconds(3)));
        var incident = await store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal((T0.AddMinutes(1), (DateTimeOffset?)null), (incident.StartedAt, incident.EndedAt));
    }

    [Fact]
    public async Task RecorderBehind_DiffsAgainstTheNewestSnapshot()
    {
        await using var store = new IncidentStore();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status);

        // A burst bigger than the recorder's queue: it may drop the oldest, but ends on the newest, complete picture.
        for (var i = 1; i <= 40; i++)
        {
            var state = i % 2 == 1 ? ComponentState.Down : ComponentState.Up;
            status.Publish(TestEstate.AllUp(T0.AddSeconds(i)).WithInstance("dc1", "instance-1", state, T0.AddSeconds(i)));
        }
        var last = TestEstate.AllUp(T0.AddSeconds(41)).WithInstance("dc1", "instance-1", ComponentState.Down, T0.AddSeconds(41));
        await IncidentStore.PublishAndWaitAsync(status, recorder, last);

        var open = await store.QueryAsync(db => db.Incidents.Where(i => i.EndedAt == null).ToListAsync());
        Assert.Equal("GatewayInstanceDown:dc1/instance-1", Assert.Single(open).Key);
        var lastRow = await store.QueryAsync(db => db.ComponentStateChanges.Where(c => c.ComponentId == "instance-1" && c.DatacenterId == "dc1")
            .OrderByDescending(c => c.Id).FirstAsync());
        Assert.Equal("Down", lastRow.ToState);
    }

    [Fact]
    public async Task StoreOutage_IsRetriedWithBackoff_AndTheNewestStateIsRecordedWhenItReturns()
    {
        await using var store = new IncidentStore();
        var flaky = store.Flaky();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (_, recorder) = await store.StartRecorderAsync(status, flaky);

        flaky.Failing = true;
        var downAt = T0.AddMinutes(1);
        status.Publish(TestEstate.AllUp(downAt).WithInstance("dc2", "instance-2", ComponentState.Down, downAt));
        await Eventually.Until(() => flaky.Failures >= 1, TimeSpan.FromSeconds(10), "a failed write");
        // The status engine is not held up: later snapshots are accepted while the store is away.
        var later = TestEstate.AllUp(downAt.AddSeconds(30)).WithInstance("dc2", "instance-2", ComponentState.Down, downAt)
            .WithInstance("dc1", "instance-1", ComponentState.Down, downAt.AddSeconds(30));
        status.Publish(later);
        Assert.Equal(later, status.Current);
        Assert.NotEqual(later.AsOf, recorder.LastRecorded);
        Assert.Equal(0, await store.QueryAsync(db => db.Incidents.CountAsync()));

        flaky.Failing = false;
        // The retry waits on the console's clock: move it on until the recorder has caught up.
        await Eventually.Until(() =>
        {
            store.Time.Advance(TimeSpan.FromSeconds(1));
            return recorder.LastRecorded == later.AsOf;
        }, TimeSpan.FromSeconds(10), "the recorder to catch up with the newest snapshot");

        var open = await store.QueryAsync(db => db.Incidents.Where(i => i.EndedAt == null).OrderBy(i => i.Key).Select(i => i.Key).ToListAsync());
        Assert.Equal(["GatewayInstanceDown:dc1/instance-1", "GatewayInstanceDown:dc2/instance-2"], open);
        Assert.Equal(1, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.DatacenterId == "dc2" && c.ComponentId == "instance-2" && c.ToState == "Down")));
    }
}
