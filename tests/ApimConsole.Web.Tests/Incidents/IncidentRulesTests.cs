using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Incidents;

namespace ApimConsole.Web.Tests.Incidents;

public sealed class IncidentRulesTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    [Fact]
    public void NothingIsJudged_OnAConsoleThatHasJustStarted()
    {
        var snapshot = TestEstate.NotProbed(T0);
        Assert.False(IncidentRules.IsJudged("GatewayInstanceDown", "dc2", "dc2/instance-2", snapshot));
        Assert.False(IncidentRules.IsJudged("DatacenterDown", "dc2", null, snapshot));
        Assert.False(IncidentRules.IsJudged("InterDatacenterLinkDown", null, null, snapshot));
        Assert.False(IncidentRules.IsJudged("CassandraQuorumLost", "dc2", null, snapshot));
    }

    [Fact]
    public void QuorumLoss_IsJudgedOnlyWhenEveryNodeOfTheDatacenterIs()
    {
        var partly = TestEstate.AllUp(T0).WithCassandra("dc2", "cassandra-3", ComponentState.Unknown, T0);
        Assert.False(IncidentRules.IsJudged("CassandraQuorumLost", "dc2", null, partly));
        Assert.True(IncidentRules.IsJudged("CassandraQuorumLost", "dc2", null, TestEstate.AllUp(T0)));
    }

    [Fact]
    public void Unreachable_IsNotJudged_WhileTheWitnessHasNotAnswered()
    {
        var unreachable = TestEstate.AllUp(T0).MapDatacenter("dc2", d => d with { State = DatacenterState.Unreachable });
        var waiting = unreachable with { LoadBalancer = new LoadBalancerView(ComponentState.Unknown, T0, "not probed yet", []) };
        var answered = unreachable with { LoadBalancer = new LoadBalancerView(ComponentState.Down, T0, "no answer", []) };

        Assert.False(IncidentRules.IsJudged("DatacenterDown", "dc2", null, waiting));
        Assert.True(IncidentRules.IsJudged("DatacenterDown", "dc2", null, answered));
        Assert.True(IncidentRules.IsJudged("DatacenterDown", "dc2", null, unreachable));
    }

    [Fact]
    public void Unreachable_OpensNothing_WhileTheWitnessHasNotAnswered()
    {
        var unreachable = TestEstate.AllUp(T0).MapDatacenter("dc2", d => d with { State = DatacenterState.Unreachable });
        var scenario = new FailoverScenario(FailoverScenarioKind.DatacenterUnreachable, "DatacenterUnreachable:dc2", "dc2", null,
            ScenarioSeverity.Critical, T0, "t", "w", [], []);

        Assert.False(IncidentRules.IsSettled(scenario, unreachable with { LoadBalancer = new LoadBalancerView(ComponentState.Unknown, T0, null, []) }));
        Assert.True(IncidentRules.IsSettled(scenario, unreachable with { LoadBalancer = new LoadBalancerView(ComponentState.Down, T0, null, []) }));
        Assert.True(IncidentRules.IsSettled(scenario, unreachable));
    }

    [Fact]
    public void AnInstanceMissingFromTheTopology_IsJudgedGoneOnlyWhenTheAnmAnswers()
    {
        var withoutInstances = TestEstate.AllUp(T0).MapDatacenter("dc2", d => d with { Groups = [] });
        Assert.True(IncidentRules.IsJudged("GatewayInstanceDown", "dc2", "dc2/instance-2", withoutInstances));
        var anmUnknown = withoutInstances.MapDatacenter("dc2", d => d with
        {
            AdminNodeManagers = d.AdminNodeManagers.Select(a => a with { State = ComponentState.Unknown }).ToList(),
        });
        Assert.False(IncidentRules.IsJudged("GatewayInstanceDown", "dc2", "dc2/instance-2", anmUnknown));
    }

    [Theory]
    [InlineData(120, null)]
    [InlineData(121, "repair")]
    [InlineData(10 * 24 * 60, "repair")]
    [InlineData(10 * 24 * 60 + 1, "replace")]
    public void RequiredAction_FollowsTheStrictThresholds(int minutes, string? action) =>
        Assert.Equal(action, IncidentRules.RequiredAction(TimeSpan.FromMinutes(minutes)));

    [Fact]
    public void AffectedNodes_AreTheNode_TheDatacenter_OrEverything()
    {
        var snapshot = TestEstate.AllUp(T0);
        FailoverScenario Scenario(FailoverScenarioKind kind, string? dc, string? component) =>
            new(kind, kind.ToString(), dc, component, ScenarioSeverity.Critical, T0, "t", "w", [], []);

        Assert.Equal(["dc1/cassandra-2"], IncidentRules.AffectedCassandraNodes(Scenario(FailoverScenarioKind.CassandraNodeDown, "dc1", "dc1/cassandra-2"), snapshot));
        Assert.Equal(["dc2/cassandra-1", "dc2/cassandra-2", "dc2/cassandra-3"],
            IncidentRules.AffectedCassandraNodes(Scenario(FailoverScenarioKind.DatacenterDown, "dc2", null), snapshot));
        Assert.Equal(6, IncidentRules.AffectedCassandraNodes(Scenario(FailoverScenarioKind.DatacenterUnreachable, "dc2", null), snapshot).Count);
        Assert.Empty(IncidentRules.AffectedCassandraNodes(Scenario(FailoverScenarioKind.GatewayInstanceDown, "dc2", "dc2/instance-1"), snapshot));
    }
}
