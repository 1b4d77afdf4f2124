using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using static ApimConsole.Core.Deployments.DeploymentTargetOutcome;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Deployments;

public class DeploymentSummaryTests
{
    private static readonly string[] Datacenters = ["dc1", "dc2"];

    private static InstanceOutcome I(string dc, string instance, DeploymentTargetOutcome outcome) => new(dc, instance, outcome);

    [Fact]
    public void OverrideThatReachedDc1Only_CountsPerDatacenter_Dc2NotReached()
    {
        // The post-mortem's summary said "2 instance(s) loaded it, 1 did not" though neither of dc2's instances was reached.
        InstanceOutcome[] instances = [I("dc1", "instance-1", Loaded), I("dc1", "instance-2", Loaded), I("dc2", "instance-1", NotPushed), I("dc2", "instance-2", NotPushed)];

        Assert.Equal("dc1: 2 of 2 loaded; dc2: not reached", DeploymentSummary.PerDatacenter(Datacenters, instances));
        Assert.Equal("dc1: 2 of 2 loaded; dc2: not reached", DeploymentSummary.PerDatacenter(Datacenters, instances.Take(2).ToList()));
    }

    [Fact]
    public void EachKindOfOutcome_IsNamed_LoadedNotLoadedUnknownNotReached()
    {
        InstanceOutcome[] instances =
        [
            I("dc1", "instance-1", Loaded), I("dc1", "instance-2", RolledBack), I("dc1", "instance-3", Unknown), I("dc1", "instance-4", NotPushed),
            I("dc2", "instance-1", NotApplied), I("dc2", "instance-2", Failed),
        ];

        Assert.Equal("dc1: 1 of 4 loaded, 1 not loaded, 1 unknown (still learning), 1 not reached; dc2: 0 of 2 loaded, 2 not loaded",
            DeploymentSummary.PerDatacenter(Datacenters, instances));
    }

    [Fact]
    public void Recount_KeepsTheHeadline_AndCountsAgain()
    {
        var first = DeploymentSummary.Compose("Stopped: the guardrail turned.", Datacenters, [I("dc1", "instance-1", Unknown), I("dc1", "instance-2", NotPushed)]);
        Assert.Equal("Stopped: the guardrail turned. Per datacenter: dc1: 0 of 2 loaded, 1 unknown (still learning), 1 not reached; dc2: not reached.", first);

        var learned = DeploymentSummary.Recount(first, Datacenters, [I("dc1", "instance-1", Loaded), I("dc1", "instance-2", NotPushed)]);

        Assert.Equal("Stopped: the guardrail turned. Per datacenter: dc1: 1 of 2 loaded, 1 not reached; dc2: not reached.", learned);
    }

    [Fact]
    public void Conclude_SuccessOnlyWhenEveryDatacenterLoadedEverywhere_UnknownIsNeverFailure()
    {
        Assert.Equal(DeploymentState.Succeeded, DeploymentSummary.Conclude(false, 2, [I("dc1", "a", Loaded), I("dc2", "a", Loaded)]));
        Assert.Equal(DeploymentState.PartiallyApplied, DeploymentSummary.Conclude(false, 2, [I("dc1", "a", Loaded)]));
        Assert.Equal(DeploymentState.PartiallyApplied, DeploymentSummary.Conclude(false, 2, [I("dc1", "a", Unknown), I("dc2", "a", RolledBack)]));
        Assert.Equal(DeploymentState.Failed, DeploymentSummary.Conclude(false, 2, [I("dc1", "a", RolledBack), I("dc2", "a", NotPushed)]));
        Assert.Equal(DeploymentState.Stopped, DeploymentSummary.Conclude(true, 2, [I("dc1", "a", Loaded), I("dc2", "a", Loaded)]));
    }
}

public class OverridePlanTests
{
    [Fact]
    public void SaysWhichInstancesWillLoad_AndWhichWillNot_AndWhy()
    {
        var assessed = Assess(Dc("dc1").WithInstance("instance-2", ComponentState.Down), Dc("dc2"));
        var snapshot = assessed with { Datacenters = assessed.Datacenters.Select(d => d.Id == "dc2" ? d with { State = DatacenterState.Unreachable } : d).ToList() };

        var plan = OverridePlan.For(snapshot, "group-3");

        var dc1 = plan.Single(p => p.DatacenterId == "dc1");
        Assert.Null(dc1.NotReachedBecause);
        Assert.Equal(["instance-1 (instance-1)"], dc1.WillLoad);
        Assert.Equal(["instance-2 (instance-2, Down)"], dc1.WillNotLoad);
        var dc2 = plan.Single(p => p.DatacenterId == "dc2");
        Assert.Equal("dc2 cannot be reached from this console", dc2.NotReachedBecause);
        Assert.Empty(dc2.WillLoad);
        Assert.Equal(2, dc2.WillNotLoad.Count);
    }

    [Fact]
    public void AnUnknownGroup_IsNotReachedAnywhere()
    {
        var plan = OverridePlan.For(Assess(Dc("dc1"), Dc("dc2")), "group-9");
        Assert.All(plan, p => Assert.Equal($"{p.DatacenterId} has no group group-9", p.NotReachedBecause));
    }
}
