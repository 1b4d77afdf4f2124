using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.Tests.Health;

/// <summary>A witness that fails is no witness: the verdict stays "DC down or link down", and says why there is none.</summary>
public sealed class NoWitnessReasonTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 2, 0, 0, TimeSpan.Zero);

    private static EstateSnapshot Dc2Silent(LoadBalancerView? lb) => EstateAssessor.Assess("lab", "dc1",
        [EstateAssessorTests.Dc("dc1", ComponentState.Up), EstateAssessorTests.Dc("dc2", ComponentState.Down)], lb, null, T0, TimeSpan.FromSeconds(1.8));

    [Theory]
    [InlineData("refused", "(the load balancer: load balancer refused the credentials (401): check Estate:LoadBalancer:Username/Password)")]
    [InlineData("unknown", "yet (the load balancer has not been read)")]
    [InlineData("no pool", "(the load balancer's status has no pool for dc2)")]
    [InlineData("none", "no witness can tell which.")]
    public void NoWitness_IsUnreachable_NeverDownOrLinkDown_AndSaysWhy(string witness, string because)
    {
        var lb = witness switch
        {
            "refused" => new LoadBalancerView(ComponentState.Down, T0, "load balancer refused the credentials (401): check Estate:LoadBalancer:Username/Password", []),
            "unknown" => new LoadBalancerView(ComponentState.Unknown, T0, "not probed yet", []),
            "no pool" => new LoadBalancerView(ComponentState.Up, T0, null, [new LoadBalancerPool("dc1", true, 2, 2)], T0),
            _ => null,
        };
        var snapshot = Dc2Silent(lb);
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Unreachable, dc2.State);
        Assert.Contains("no witness can tell which", dc2.Reason);
        Assert.Contains(because, dc2.Reason);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        var scenarios = FailoverScenarioClassifier.Classify(snapshot, T0);
        Assert.Contains(scenarios, s => s.Key == "DatacenterUnreachable:dc2");
        Assert.DoesNotContain(scenarios, s => s.Kind is FailoverScenarioKind.InterDatacenterLinkDown or FailoverScenarioKind.DatacenterDown);
    }
}
