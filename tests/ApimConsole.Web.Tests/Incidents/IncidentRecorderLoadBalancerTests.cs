using ApimConsole.Core.Estate;
using ApimConsole.Web.Tests.Components;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>The global load balancer (the witness) is recorded like any component: its outages are history.</summary>
public sealed class IncidentRecorderLoadBalancerTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    private static EstateSnapshot WithLoadBalancer(EstateSnapshot s, ComponentState state, DateTimeOffset since, string? reason = null) =>
        s with { LoadBalancer = new LoadBalancerView(state, since, reason, state == ComponentState.Up
            ? [new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", true, 2, 2)] : [], since) };

    [Fact]
    public async Task LoadBalancerUpThenDown_IsRecordedAsStateChanges_WithTheReason_AndItsUnknownBeforeAnyProbeIsNot()
    {
        await using var store = new IncidentStore();
        // Started: not probed yet (Unknown), which is the console's ignorance, not a change.
        var status = new FakeEstateStatus(WithLoadBalancer(TestEstate.AllUp(T0), ComponentState.Unknown, T0, "not probed yet"));
        var (_, recorder) = await store.StartRecorderAsync(status);
        Assert.Equal(0, await store.QueryAsync(db => db.ComponentStateChanges.CountAsync(c => c.ComponentId == "load-balancer")));

        var upAt = T0.AddSeconds(2);
        await IncidentStore.PublishAndWaitAsync(status, recorder, WithLoadBalancer(TestEstate.AllUp(upAt), ComponentState.Up, upAt));
        var downAt = T0.AddMinutes(3);
        await IncidentStore.PublishAndWaitAsync(status, recorder,
            WithLoadBalancer(TestEstate.AllUp(downAt.AddSeconds(1)), ComponentState.Down, downAt, "load balancer refused the credentials (401)"));

        var rows = await store.QueryAsync(db => db.ComponentStateChanges
            .Where(c => c.DatacenterId == "estate" && c.ComponentId == "load-balancer").OrderBy(c => c.Id).ToListAsync());
        Assert.Equal([("None", "Up", upAt), ("Up", "Down", downAt)], rows.Select(r => (r.FromState, r.ToState, r.At)));
        Assert.All(rows, r => Assert.Equal("LoadBalancer", r.ComponentKind));
        Assert.Equal("load balancer refused the credentials (401)", rows[^1].Reason);
        // A witness down is not an outage of the estate: no incident.
        Assert.Equal(0, await store.QueryAsync(db => db.Incidents.CountAsync()));
    }
}
