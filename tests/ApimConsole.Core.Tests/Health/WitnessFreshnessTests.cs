using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Scenarios;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Core.Tests.Health;

/// <summary>
/// The race the soak found: the console's probes see dc2 fall before the load balancer's health checks do, so for a
/// moment the load balancer still says dc2's pool is serving. That must not be read as "the link is down".
/// </summary>
public class WitnessFreshnessTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    /// <summary>The lab's load balancer: health checks every 1 s, 0.8 s timeout.</summary>
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(1.8);

    private readonly FakeTimeProvider _clock = new(T0);
    private EstateSnapshot? _previous;

    [Fact]
    public void DcDown_LoadBalancerStillServingFromAnOldCheck_NoLinkDown_ThenDatacenterDown()
    {
        Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(500));

        // dc2's probes all fail; the pools were read 0.3 s ago and still show dc2 serving.
        var lost = Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.FromMilliseconds(300)));
        AssertDeciding(lost);

        // 0.75 s later (what the soak saw), with a newer read that still shows dc2 serving: still deciding.
        _clock.Advance(TimeSpan.FromMilliseconds(750));
        AssertDeciding(Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.FromMilliseconds(50))));

        // The load balancer's check catches up: dc2 is named down, and the link never was.
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        var down = Step(ComponentState.Down, Pool(serving: false, readAgo: TimeSpan.Zero));
        Assert.Equal(DatacenterState.Down, down.Find("dc2")!.State);
        var scenarios = FailoverScenarioClassifier.Classify(down, _clock.GetUtcNow());
        Assert.Contains(scenarios, s => s.Key == "DatacenterDown:dc2");
        Assert.DoesNotContain(scenarios, s => s.Kind == FailoverScenarioKind.InterDatacenterLinkDown);
    }

    [Fact]
    public void LinkCut_NamedOncePoolsAreReadALagAfterTheLoss()
    {
        Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        var lostAt = _clock.GetUtcNow();
        AssertDeciding(Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.FromMilliseconds(100))));

        // A read just short of the lag after the loss is not yet evidence.
        _clock.Advance(Lag);
        AssertDeciding(Step(ComponentState.Down, Pool(serving: true, at: lostAt + Lag - TimeSpan.FromMilliseconds(1))));

        // The first read at lostAt + lag that still shows dc2 serving names the link.
        var cut = Step(ComponentState.Down, Pool(serving: true, at: lostAt + Lag));
        Assert.Equal(LinkState.Down, cut.Link.State);
        Assert.Equal(DatacenterState.Unreachable, cut.Find("dc2")!.State);
        var scenarios = FailoverScenarioClassifier.Classify(cut, _clock.GetUtcNow());
        Assert.Contains(scenarios, s => s.Kind == FailoverScenarioKind.InterDatacenterLinkDown);
        Assert.DoesNotContain(scenarios, s => s.DatacenterId == "dc2");
    }

    [Fact]
    public void DcComingBack_LoadBalancerSeesItServingBeforeTheProbesRise_NoLinkDown_ThenUp()
    {
        // The soak's second race (23:59:15): dc2 was down for 9 s, the lab healed it, the load balancer's check saw
        // it serving again 0.6 s later while the console's probes still had every dc2 component Down.
        Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(DatacenterState.Down, Step(ComponentState.Down, Pool(serving: false, readAgo: TimeSpan.Zero)).Find("dc2")!.State);
        _clock.Advance(TimeSpan.FromSeconds(9));
        Step(ComponentState.Down, Pool(serving: false, readAgo: TimeSpan.Zero));

        _clock.Advance(TimeSpan.FromMilliseconds(600));
        var back = Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.Zero));
        AssertDeciding(back);
        Assert.Contains("coming back", back.Find("dc2")!.Reason);

        // Still within the lag, with fresh reads: still deciding.
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        AssertDeciding(Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.Zero)));

        // The console's probes rise: dc2 is up and the link never was down.
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        var up = Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        Assert.Equal(DatacenterState.Up, up.Find("dc2")!.State);
        Assert.Equal(LinkState.Up, up.Link.State);
    }

    [Fact]
    public void DcComingBack_ButStillSilentAfterTheLag_TheLinkIsNamed()
    {
        // dc2 comes back behind a cut link: the load balancer sees it serving, the console never does.
        Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Step(ComponentState.Down, Pool(serving: false, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromSeconds(5));
        var backAt = _clock.GetUtcNow();
        AssertDeciding(Step(ComponentState.Down, Pool(serving: true, readAgo: TimeSpan.Zero)));

        _clock.Advance(Lag);
        var cut = Step(ComponentState.Down, Pool(serving: true, at: backAt + Lag));
        Assert.Equal(LinkState.Down, cut.Link.State);
        Assert.Contains(FailoverScenarioClassifier.Classify(cut, _clock.GetUtcNow()), s => s.Kind == FailoverScenarioKind.InterDatacenterLinkDown);
    }

    [Fact]
    public void DcDown_LoadBalancerAlreadySeesItOut_NamedAtOnce()
    {
        Step(ComponentState.Up, Pool(serving: true, readAgo: TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        var down = Step(ComponentState.Down, Pool(serving: false, readAgo: TimeSpan.FromMilliseconds(10)));
        Assert.Equal(DatacenterState.Down, down.Find("dc2")!.State);
        Assert.Contains(FailoverScenarioClassifier.Classify(down, _clock.GetUtcNow()), s => s.Key == "DatacenterDown:dc2");
    }

    [Fact]
    public void WithoutALag_AFreshReadIsEvidenceAtOnce()
    {
        // A witness whose pools were read at the moment of assessment, with no lag configured (as before).
        var dc2 = EstateAssessorTests.Dc("dc2", ComponentState.Down);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [EstateAssessorTests.Dc("dc1", ComponentState.Up), dc2],
            new LoadBalancerView(ComponentState.Up, T0, null, [new LoadBalancerPool("dc2", true, 2, 2)], T0), null, T0);
        Assert.Equal(LinkState.Down, snapshot.Link.State);
    }

    private void AssertDeciding(EstateSnapshot snapshot)
    {
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Unreachable, dc2.State);
        Assert.Contains("deciding", dc2.Reason);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        var scenarios = FailoverScenarioClassifier.Classify(snapshot, _clock.GetUtcNow());
        Assert.DoesNotContain(scenarios, s => s.Kind is FailoverScenarioKind.InterDatacenterLinkDown or FailoverScenarioKind.DatacenterDown);
        Assert.Contains(scenarios, s => s.Key == "DatacenterUnreachable:dc2");
    }

    private EstateSnapshot Step(ComponentState dc2State, LoadBalancerView lb)
    {
        var now = _clock.GetUtcNow();
        var snapshot = EstateAssessor.Assess("lab", "dc1",
            [EstateAssessorTests.Dc("dc1", ComponentState.Up), EstateAssessorTests.Dc("dc2", dc2State)], lb, _previous, now, Lag);
        _previous = snapshot;
        return snapshot;
    }

    private LoadBalancerView Pool(bool serving, TimeSpan readAgo) => Pool(serving, _clock.GetUtcNow() - readAgo);

    private static LoadBalancerView Pool(bool serving, DateTimeOffset at) => new(
        ComponentState.Up, T0, null,
        [new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", serving, serving ? 2 : 0, 2)], at);
}
