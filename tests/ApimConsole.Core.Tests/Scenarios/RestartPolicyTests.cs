using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Scenarios;

public class RestartPolicyTests
{
    private static RestartDecision Decision(EstateSnapshot snapshot, string key) =>
        RestartPolicy.Evaluate(snapshot).Single(d => d.Key == key);

    /// <summary>The instance is Down and the ANM says what it knows of its process.</summary>
    private static DatacenterSnapshot Stopped(DatacenterSnapshot dc, string instanceId, string? management = "Stopped")
    {
        var down = dc.WithInstance(instanceId, ComponentState.Down);
        return down with
        {
            Groups = down.Groups.Select(g => g with
            {
                Instances = g.Instances.Select(i => i.Id == instanceId ? i with { ManagementStatus = management } : i).ToList(),
            }).ToList(),
        };
    }

    [Fact]
    public void AllUp_EveryInstance_MayBeRestarted()
    {
        var decisions = RestartPolicy.Evaluate(Assess(Dc("dc1"), Dc("dc2"), (true, true)));
        Assert.Equal(4, decisions.Count);
        Assert.All(decisions, d => Assert.True(d.Allowed, d.Blocked));
        Assert.All(decisions, d => Assert.Equal(RestartAction.Restart, d.Action));
        Assert.Contains(decisions, d => d.Key == "dc2/instance-1" && d.GroupId == "group-3");
    }

    [Fact]
    public void InstanceStopped_IsStart_AndAllowed()
    {
        var decision = Decision(Assess(Dc("dc1"), Stopped(Dc("dc2"), "instance-1")), "dc2/instance-1");
        Assert.Equal(RestartAction.Start, decision.Action);
        Assert.True(decision.Allowed, decision.Blocked);
    }

    [Fact]
    public void InstanceDown_WhileTheAnmSaysItRuns_IsRestart()
    {
        var decision = Decision(Assess(Dc("dc1"), Stopped(Dc("dc2"), "instance-1", management: "Running")), "dc2/instance-1");
        Assert.Equal(RestartAction.Restart, decision.Action);
        Assert.True(decision.Allowed, decision.Blocked);
    }

    [Fact]
    public void CassandraNodeDown_BlocksTheInstancesOfThatDatacenter_NamingTheNode()
    {
        var snapshot = Assess(Dc("dc1"), Stopped(Dc("dc2"), "instance-1").WithCassandra(2, ComponentState.Down));
        var decision = Decision(snapshot, "dc2/instance-1");
        Assert.False(decision.Allowed);
        Assert.Equal(RestartAction.Start, decision.Action);
        Assert.StartsWith("Cassandra first: restart every Cassandra node of DC2 and wait until all are Up and in schema agreement", decision.Blocked);
        Assert.Contains("dc2/cassandra-2 is Down", decision.Blocked);
        Assert.DoesNotContain("cassandra-1", decision.Blocked);
        Assert.False(Decision(snapshot, "dc2/instance-2").Allowed);
        // The other datacenter's Cassandra is whole: its instances are not held back.
        Assert.True(Decision(snapshot, "dc1/instance-1").Allowed);
    }

    [Fact]
    public void CassandraNodeOutOfSchemaAgreement_Blocks()
    {
        var dc2 = Dc("dc2");
        dc2 = dc2 with { CassandraNodes = dc2.CassandraNodes.Select(n => n.Id == "cassandra-3" ? n with { SchemaVersion = Guid.NewGuid() } : n).ToList() };
        var decision = Decision(Assess(Dc("dc1"), dc2), "dc2/instance-2");
        Assert.False(decision.Allowed);
        Assert.Contains("dc2/cassandra-3 is not in schema agreement", decision.Blocked);
    }

    [Fact]
    public void CassandraNodeNotProbedYet_Blocks()
    {
        var decision = Decision(Assess(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Unknown)), "dc2/instance-1");
        Assert.False(decision.Allowed);
        Assert.Contains("dc2/cassandra-1 is Unknown", decision.Blocked);
    }

    [Fact]
    public void AdminNodeManagerDown_Blocks_WithItsReason()
    {
        var decision = Decision(Assess(Dc("dc1"), Stopped(Dc("dc2"), "instance-1").WithAnm(ComponentState.Down)), "dc2/instance-1");
        Assert.False(decision.Allowed);
        Assert.Contains("Admin Node Manager of DC2 does not answer", decision.Blocked);
        Assert.Contains("connection refused", decision.Blocked);
    }

    [Fact]
    public void DatacenterDown_Blocks_CassandraFirst()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);
        var decision = Decision(snapshot, "dc2/instance-2");
        Assert.False(decision.Allowed);
        Assert.Contains("DC2 is down", decision.Blocked);
        Assert.Contains("Cassandra first", decision.Blocked);
        Assert.True(Decision(snapshot, "dc1/instance-2").Allowed);
    }

    [Fact]
    public void LinkDown_BlocksTheOtherDatacenter_NotTheConsolesOwn()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true));
        Assert.Equal(LinkState.Down, snapshot.Link.State);
        var remote = Decision(snapshot, "dc2/instance-1");
        Assert.False(remote.Allowed);
        Assert.Contains("inter-datacenter link is down", remote.Blocked);
        Assert.Contains("console in DC2", remote.Blocked);
        Assert.True(Decision(snapshot, "dc1/instance-1").Allowed);
    }

    [Fact]
    public void Unreachable_WithoutWitness_Blocks()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down));
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);
        var decision = Decision(snapshot, "dc2/instance-1");
        Assert.False(decision.Allowed);
        Assert.Contains("unreachable from DC1 (DC down or link down)", decision.Blocked);
    }

    [Fact]
    public void InstanceNotProbedYet_Blocks()
    {
        var decision = Decision(Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Unknown)), "dc2/instance-2");
        Assert.False(decision.Allowed);
        Assert.Contains("not known yet", decision.Blocked);
    }

    [Fact]
    public void Permit_StartOfARunningInstance_IsRefused_RestartOfAStoppedOne_IsAllowed()
    {
        var snapshot = Assess(Dc("dc1"), Stopped(Dc("dc2"), "instance-1"));
        var start = RestartPolicy.Permit(snapshot, "dc2", "instance-2", RestartAction.Start)!;
        Assert.False(start.Allowed);
        Assert.Contains("already runs", start.Blocked);
        var restart = RestartPolicy.Permit(snapshot, "dc2", "instance-1", RestartAction.Restart)!;
        Assert.True(restart.Allowed, restart.Blocked);
        Assert.Equal(RestartAction.Restart, restart.Action);
    }

    [Fact]
    public void Permit_UnknownInstanceOrDatacenter_IsNull()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2"));
        Assert.Null(RestartPolicy.Permit(snapshot, "dc9", "instance-1", RestartAction.Start));
        Assert.Null(RestartPolicy.Permit(snapshot, "dc2", "instance-9", null));
        Assert.NotNull(RestartPolicy.For(snapshot, "DC2", "INSTANCE-1"));
    }

    [Fact]
    public void DeclineOrder_LinkBeforeCassandra()
    {
        // With the link down the console cannot act on dc2 at all: that is the reason given, not Cassandra.
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true));
        Assert.DoesNotContain("Cassandra first", Decision(snapshot, "dc2/instance-1").Blocked);
    }
}
