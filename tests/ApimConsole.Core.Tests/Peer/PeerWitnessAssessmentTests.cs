using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Peer;
using ApimConsole.Core.Scenarios;
using ApimConsole.Core.Tests.Health;

namespace ApimConsole.Core.Tests.Peer;

/// <summary>The console in the other datacenter as the witness: link down at once, DC down, no witness never a verdict.</summary>
public class PeerWitnessAssessmentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(2);

    /// <summary>dc2 silent from dc1; previously assessed Unreachable since T0 (the console lost it then).</summary>
    private static EstateSnapshot LostAtT0(LoadBalancerView? lb = null) =>
        EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], lb, null, T0);

    [Fact]
    public void PeerSeesItsDatacenterServing_NoLoadBalancer_LinkDown_ComponentsAsThePeerSeesThem()
    {
        var previous = LostAtT0();
        Assert.Equal(DatacenterState.Unreachable, previous.Find("dc2")!.State);
        var at = T0 + TimeSpan.FromSeconds(3);
        var peer = Available(View("dc2", at, DatacenterState.Up));

        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, at, default, peer);

        Assert.Equal(LinkState.Down, snapshot.Link.State);
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Unreachable, dc2.State);
        Assert.Contains("the console in dc2 sees it serving", dc2.Reason);
        Assert.Equal(new PeerSighting("dc2", at), dc2.SeenBy);
        Assert.Equal("as seen by the console in dc2, 14:00:03", dc2.SeenBy!.Label);
        Assert.All(dc2.AllComponents(), c =>
        {
            Assert.Equal(ComponentState.Up, c.State);
            Assert.Contains("as seen by the console in dc2", c.Reason);
        });
        Assert.Contains(snapshot.Scenarios, s => s.Kind == FailoverScenarioKind.InterDatacenterLinkDown);
        Assert.Null(snapshot.Find("dc1")!.SeenBy);
    }

    [Fact]
    public void PeerSighting_DoesNotWaitForTheLoadBalancersLag()
    {
        // The load balancer's lag is a minute: its "serving" proves nothing yet; the peer's view does.
        var lb = new LoadBalancerView(ComponentState.Up, T0, null, [new("dc1", true, 2, 2), new("dc2", true, 2, 2)], T0 + TimeSpan.FromSeconds(3));
        var previous = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], lb, null, T0, TimeSpan.FromMinutes(1));
        Assert.Equal(LinkState.Unknown, previous.Link.State);
        var at = T0 + TimeSpan.FromSeconds(3);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], lb, previous, at, TimeSpan.FromMinutes(1), Available(View("dc2", at, DatacenterState.Up)));
        Assert.Equal(LinkState.Down, snapshot.Link.State);
    }

    [Fact]
    public void PeerViewTakenTooSoonAfterTheLoss_IsNoEvidenceYet()
    {
        var previous = LostAtT0();
        var at = T0 + TimeSpan.FromSeconds(1); // inside the peer's own evidence lag (2 s)
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, at, default, Available(View("dc2", at, DatacenterState.Up)));
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        Assert.Null(snapshot.Find("dc2")!.SeenBy);
        Assert.All(snapshot.Find("dc2")!.AllComponents(), c => Assert.Equal(ComponentState.Unknown, c.State));
    }

    [Fact]
    public void PeerWithFailingProbes_IsNoEvidenceOfServing()
    {
        var previous = LostAtT0();
        var at = T0 + TimeSpan.FromSeconds(3);
        var view = View("dc2", at, DatacenterState.Up) with { FailingComponents = 4 };
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, at, default, Available(view));
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
    }

    [Fact]
    public void PeerSeesItsDatacenterDown_DatacenterDown()
    {
        var previous = LostAtT0();
        var at = T0 + TimeSpan.FromSeconds(3);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, at, default, Available(View("dc2", at, DatacenterState.Down)));
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
    }

    [Theory]
    [InlineData("no answer within 1000 ms")]
    [InlineData("the peer refused the token (401): check Peer:Token")]
    [InlineData("the peer runs version 2.0.0, this console 1.0.0")]
    public void NoPeerWitness_IsNeverAVerdict_AndSaysWhy(string why)
    {
        var previous = LostAtT0();
        var at = T0 + TimeSpan.FromSeconds(3);
        // The last view (from before) said serving: an unavailable peer's view is not used.
        var peer = new PeerWitness("dc2", "http://127.0.0.1:5081", false, why, View("dc2", at, DatacenterState.Up), at, at);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, at, default, peer);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);
        Assert.Contains($"no peer witness ({why})", snapshot.Find("dc2")!.Reason);
        Assert.Null(snapshot.Find("dc2")!.SeenBy);
        Assert.Same(peer, snapshot.Peer);
    }

    [Fact]
    public void NoPeerWitness_LoadBalancerSeesNoServing_DatacenterDown()
    {
        var lb = new LoadBalancerView(ComponentState.Up, T0, null, [new("dc1", true, 2, 2), new("dc2", false, 0, 2)]);
        var peer = new PeerWitness("dc2", "http://127.0.0.1:5081", false, "connection refused", null, null, T0);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], lb, LostAtT0(lb), T0 + Lag, default, peer);
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);
        Assert.Contains(snapshot.Scenarios, s => s.Kind == FailoverScenarioKind.DatacenterDown);
    }

    [Fact]
    public void LinkUp_PeerChangesNothing()
    {
        var at = T0 + TimeSpan.FromSeconds(3);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Up("dc2")], null, null, at, default, Available(View("dc2", at, DatacenterState.Up)));
        Assert.Equal(LinkState.Up, snapshot.Link.State);
        Assert.All(snapshot.Datacenters, d => Assert.Null(d.SeenBy));
    }

    [Fact]
    public void ANewSighting_IsNews_ForSubscribers()
    {
        var previous = LostAtT0();
        var a = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, T0 + Lag, default, Available(View("dc2", T0 + Lag, DatacenterState.Up)));
        var b = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, a, T0 + Lag + Lag, default, Available(View("dc2", T0 + Lag + Lag, DatacenterState.Up)));
        Assert.False(EstateChanges.SameContent(a, b));
    }

    internal static PeerWitness Available(PeerView view) => new(view.Datacenter, "http://127.0.0.1:5081", true, null, view, view.At, T0);

    internal static PeerView View(string dc, DateTimeOffset at, DatacenterState state) => new(
        "1.0.0", dc, at, Lag, 0,
        EstateAssessorTests.Dc(dc, state == DatacenterState.Down ? ComponentState.Down : ComponentState.Up) with { State = state, Since = T0 },
        null, null, new PeerDeployment(false));

    private static DatacenterSnapshot Up(string id) => EstateAssessorTests.Dc(id, ComponentState.Up);

    private static DatacenterSnapshot Silent(string id) => EstateAssessorTests.Dc(id, ComponentState.Down);
}
