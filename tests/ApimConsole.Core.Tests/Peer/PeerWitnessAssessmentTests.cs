using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Peer;
using ApimConsole.Core.Scenarios;
using ApimConsole.Core.Tests.Health;

namespace ApimConsole.Core.Tests.Peer;

/// <summary>
/// The console in the other datacenter as the witness: link down as soon as it shows answers its probes got after this
/// console's silence began, DC down, never a verdict from stale evidence, no witness never a verdict.
/// </summary>
public class PeerWitnessAssessmentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(2);

    /// <summary>dc2 silent from dc1 (every component failing since T0); previously assessed Unreachable since T0.</summary>
    private static EstateSnapshot LostAtT0(LoadBalancerView? lb = null) =>
        EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], lb, null, T0);

    private static EstateSnapshot WithPeer(PeerView view, DateTimeOffset at, DatacenterSnapshot? dc2 = null) =>
        EstateAssessor.Assess("lab", "dc1", [Up("dc1"), dc2 ?? Silent("dc2")], null, LostAtT0(), at, default, Available(view));

    [Fact]
    public void PeerSeesItsDatacenterServing_WithAnswersAfterTheSilence_LinkDown_ComponentsAsThePeerSeesThem()
    {
        var previous = LostAtT0();
        Assert.Equal(DatacenterState.Unreachable, previous.Find("dc2")!.State);
        Assert.Equal(T0, previous.Find("dc2")!.SilentSince);
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
        Assert.Null(snapshot.Find("dc1")!.SilentSince);
    }

    [Fact]
    public void FreshAnswers_CountAtOnce_NoLagAfterTheSilence()
    {
        // Every probe of dc2 answered the peer 50 ms after dc1 had seen the last of them fail, and the view is read
        // 100 ms after: the answers are later than the silence, whatever the peer's probe interval.
        var at = T0 + TimeSpan.FromMilliseconds(100);
        var snapshot = WithPeer(View("dc2", at, DatacenterState.Up, answered: T0 + TimeSpan.FromMilliseconds(50)), at);
        Assert.Equal(LinkState.Down, snapshot.Link.State);
    }

    [Fact]
    public void StaleAnswers_AreNoEvidence_HoweverRecentTheView()
    {
        // The peer's view is taken long after the silence began, but its probes last answered before it: they prove
        // nothing about what happened since (the datacenter may have died with the link still up).
        var at = T0 + TimeSpan.FromMinutes(1);
        var snapshot = WithPeer(View("dc2", at, DatacenterState.Up, answered: T0 - TimeSpan.FromMilliseconds(1)), at);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);
        Assert.Null(snapshot.Find("dc2")!.SeenBy);
        Assert.All(snapshot.Find("dc2")!.AllComponents(), c => Assert.Equal(ComponentState.Unknown, c.State));
    }

    [Fact]
    public void OneComponentReportedUp_WithoutAFreshAnswer_IsNoEvidenceYet()
    {
        var at = T0 + TimeSpan.FromSeconds(1);
        var view = View("dc2", at, DatacenterState.Up);
        var answered = new Dictionary<string, DateTimeOffset>(view.Answered!) { ["dc2/cassandra-2"] = T0 - TimeSpan.FromSeconds(1) };
        Assert.Equal(LinkState.Unknown, WithPeer(view with { Answered = answered }, at).Link.State);
        answered.Remove("dc2/cassandra-2");
        Assert.Equal(LinkState.Unknown, WithPeer(view with { Answered = answered }, at).Link.State);
    }

    [Fact]
    public void TheSilenceBegins_WhenTheLastComponentStartedFailing_NotWhenTheFirstDid()
    {
        // dc2's components started failing from T0 to T0 + 300 ms: an answer the peer got at T0 + 200 ms is from before
        // dc1 had lost all of dc2, so it proves nothing; one at T0 + 300 ms does.
        var dc2 = Silent("dc2", T0 + TimeSpan.FromMilliseconds(300));
        var at = T0 + TimeSpan.FromSeconds(1);
        var early = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), dc2], null, LostAtT0(), at, default,
            Available(View("dc2", at, DatacenterState.Up, answered: T0 + TimeSpan.FromMilliseconds(200))));
        Assert.Equal(LinkState.Unknown, early.Link.State);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(300), early.Find("dc2")!.SilentSince);
        var late = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), dc2], null, LostAtT0(), at, default,
            Available(View("dc2", at, DatacenterState.Up, answered: T0 + TimeSpan.FromMilliseconds(300))));
        Assert.Equal(LinkState.Down, late.Link.State);
    }

    [Fact]
    public void AComponentDownButAnsweringAgain_RestartsTheSilence_AtNow()
    {
        // instance-1 is Down from here but its latest probe succeeded (rising): it answered this console lately, so only
        // what the peer sees from now on counts.
        var dc2 = Silent("dc2");
        dc2 = dc2 with { Groups = dc2.Groups.Select(g => g with { Instances = g.Instances.Select(i => i.Id == "instance-1" ? i with { Failing = false, FailingSince = null } : i).ToList() }).ToList() };
        var at = T0 + TimeSpan.FromSeconds(2);
        var snapshot = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), dc2], null, LostAtT0(), at, default,
            Available(View("dc2", at, DatacenterState.Up, answered: at - TimeSpan.FromMilliseconds(1))));
        Assert.Equal(at, snapshot.Find("dc2")!.SilentSince);
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
    }

    [Fact]
    public void PeerWithFallingComponents_IsNoEvidenceOfServing()
    {
        var at = T0 + TimeSpan.FromSeconds(3);
        var view = View("dc2", at, DatacenterState.Up) with { FailingComponents = 4 };
        Assert.NotEqual(LinkState.Down, WithPeer(view, at).Link.State);
    }

    [Fact]
    public void PeerDegraded_AComponentLongDownOverThere_OthersAnsweringFresh_LinkDown()
    {
        // instance-2 has been down in dc2 for an hour: not evidence either way; the rest answered after the silence.
        var at = T0 + TimeSpan.FromSeconds(1);
        var view = View("dc2", at, DatacenterState.Degraded);
        var own = view.Own with
        {
            Groups = view.Own.Groups.Select(g => g with { Instances = g.Instances.Select(i => i.Id == "instance-2" ? i with { State = ComponentState.Down } : i).ToList() }).ToList(),
        };
        var answered = view.Answered!.Where(a => a.Key != "dc2/instance-2").ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(LinkState.Down, WithPeer(view with { Own = own, Answered = answered }, at).Link.State);
    }

    [Fact]
    public void NoDmzGatewayUpOverThere_IsNoEvidenceOfServing()
    {
        var at = T0 + TimeSpan.FromSeconds(1);
        var view = View("dc2", at, DatacenterState.Degraded);
        var own = view.Own with
        {
            Groups = view.Own.Groups.Select(g => g with { Instances = g.Instances.Select(i => i with { State = ComponentState.Down }).ToList() }).ToList(),
        };
        Assert.Equal(LinkState.Unknown, WithPeer(view with { Own = own }, at).Link.State);
    }

    [Fact]
    public void AViewWithoutAnswerTimes_IsNoEvidenceOfServing()
    {
        var at = T0 + TimeSpan.FromMinutes(1);
        Assert.Equal(LinkState.Unknown, WithPeer(View("dc2", at, DatacenterState.Up) with { Answered = null }, at).Link.State);
    }

    [Fact]
    public void PeerSeesItsDatacenterDown_DatacenterDown()
    {
        var at = T0 + TimeSpan.FromSeconds(3);
        var snapshot = WithPeer(View("dc2", at, DatacenterState.Down), at);
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
        Assert.Contains(snapshot.Scenarios, s => s.Kind == FailoverScenarioKind.DatacenterDown);
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
        Assert.All(snapshot.Datacenters, d => Assert.Null(d.SilentSince));
    }

    [Fact]
    public void ANewSighting_IsNews_ForSubscribers()
    {
        var previous = LostAtT0();
        var a = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, previous, T0 + Lag, default, Available(View("dc2", T0 + Lag, DatacenterState.Up)));
        var b = EstateAssessor.Assess("lab", "dc1", [Up("dc1"), Silent("dc2")], null, a, T0 + Lag + Lag, default, Available(View("dc2", T0 + Lag + Lag, DatacenterState.Up)));
        Assert.False(EstateChanges.SameContent(a, b));
    }

    [Fact]
    public void OneMoreSuccessfulProbe_IsNoNews()
    {
        var (dc1, dc2) = (Up("dc1"), Up("dc2"));
        var a = EstateAssessor.Assess("lab", "dc1", [dc1, dc2], null, null, T0);
        dc2 = dc2 with { CassandraNodes = dc2.CassandraNodes.Select(n => n with { LastSuccessStarted = T0 + Lag }).ToList() };
        var b = EstateAssessor.Assess("lab", "dc1", [dc1, dc2], null, a, T0 + Lag);
        Assert.True(EstateChanges.SameContent(a, b));
    }

    internal static PeerWitness Available(PeerView view) => new(view.Datacenter, "http://127.0.0.1:5081", true, null, view, view.At, T0);

    /// <summary>The peer's view at <paramref name="at"/>; every component answered a probe that started at <paramref name="answered"/> (default: <paramref name="at"/>).</summary>
    internal static PeerView View(string dc, DateTimeOffset at, DatacenterState state, DateTimeOffset? answered = null)
    {
        var own = EstateAssessorTests.Dc(dc, state == DatacenterState.Down ? ComponentState.Down : ComponentState.Up) with { State = state, Since = T0 };
        return new("1.0.0", dc, at, 0, own, own.AllComponents().ToDictionary(c => c.Key, _ => answered ?? at), null, null, new PeerDeployment(false));
    }

    private static DatacenterSnapshot Up(string id) => EstateAssessorTests.Dc(id, ComponentState.Up);

    /// <summary>Every component Down from here and failing: the first failure of the run ended at T0 (the last at <paramref name="lastFailingSince"/>).</summary>
    private static DatacenterSnapshot Silent(string id, DateTimeOffset? lastFailingSince = null)
    {
        var dc = EstateAssessorTests.Dc(id, ComponentState.Down);
        T Fail<T>(T c) where T : ComponentStatus => c with { Failing = true, FailingSince = c.Id == "cassandra-3" ? lastFailingSince ?? T0 : T0 };
        return dc with
        {
            AdminNodeManagers = dc.AdminNodeManagers.Select(Fail).ToList(),
            Groups = dc.Groups.Select(g => g with { Instances = g.Instances.Select(Fail).ToList() }).ToList(),
            CassandraNodes = dc.CassandraNodes.Select(Fail).ToList(),
        };
    }
}
