using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.Tests.Scenarios;

public class RepairAdvisorTests
{
    private static TimeSpan H(int hours, int minutes) => new(hours, minutes, 0);

    [Theory]
    [InlineData(FailoverScenarioKind.CassandraNodeDown)]
    [InlineData(FailoverScenarioKind.CassandraQuorumLost)]
    [InlineData(FailoverScenarioKind.DatacenterDown)]
    [InlineData(FailoverScenarioKind.InterDatacenterLinkDown)]
    [InlineData(FailoverScenarioKind.DatacenterUnreachable)]
    public void Boundaries(FailoverScenarioKind kind)
    {
        Assert.Empty(RepairAdvisor.Advise(kind, TimeSpan.Zero));
        Assert.Empty(RepairAdvisor.Advise(kind, H(1, 59)));
        Assert.Empty(RepairAdvisor.Advise(kind, TimeSpan.FromHours(2)));

        var justOver2 = RepairAdvisor.Advise(kind, TimeSpan.FromHours(2) + TimeSpan.FromTicks(1));
        Assert.Contains("nodetool repair", Assert.Single(justOver2));

        var at2h01 = Assert.Single(RepairAdvisor.Advise(kind, H(2, 1)));
        Assert.Contains("more than 2 h", at2h01);
        Assert.Contains("nodetool repair", at2h01);

        Assert.Single(RepairAdvisor.Advise(kind, TimeSpan.FromHours(3)));

        var at3h01 = RepairAdvisor.Advise(kind, H(3, 1));
        Assert.Equal(2, at3h01.Count);
        Assert.Contains("nodetool repair", at3h01[0]);
        Assert.Contains("hints", at3h01[1]);
        Assert.Contains("max_hint_window (3 h)", at3h01[1]);

        var at10d = RepairAdvisor.Advise(kind, TimeSpan.FromDays(10));
        Assert.DoesNotContain(at10d, a => a.Contains("gc_grace", StringComparison.Ordinal));
        Assert.Contains(at10d, a => a.Contains("nodetool repair", StringComparison.Ordinal));

        var past10d = RepairAdvisor.Advise(kind, TimeSpan.FromDays(10) + TimeSpan.FromMinutes(1));
        var replace = Assert.Single(past10d, a => a.Contains("gc_grace", StringComparison.Ordinal));
        Assert.Contains("do not run nodetool repair", replace);
        Assert.Contains("eplace", replace);
        Assert.Contains(past10d, a => a.Contains("max_hint_window", StringComparison.Ordinal));
        Assert.DoesNotContain(past10d, a => a.Contains("more than 2 h", StringComparison.Ordinal));
    }

    [Fact]
    public void DatacenterDown_RepairsEachNodeOfThatDc()
    {
        var advisory = Assert.Single(RepairAdvisor.Advise(FailoverScenarioKind.DatacenterDown, H(2, 1)));
        Assert.Contains("nodetool repair on each Cassandra node of that datacenter", advisory);
        Assert.Contains("Outage 2 h 01 min", advisory);
    }

    [Fact]
    public void LinkDown_RepairsAllSixNodes_ThenRestartsTheGateways()
    {
        var advisory = Assert.Single(RepairAdvisor.Advise(FailoverScenarioKind.InterDatacenterLinkDown, H(2, 1)));
        Assert.Contains("nodetool repair on all six Cassandra nodes", advisory);
        Assert.Contains("restart the gateway instances so they resync from Cassandra", advisory);
    }

    [Fact]
    public void CassandraNode_PastGcGrace_ReplaceTheNode()
    {
        var advisories = RepairAdvisor.Advise(FailoverScenarioKind.CassandraNodeDown, TimeSpan.FromDays(10) + TimeSpan.FromMinutes(1));
        Assert.Contains("Replace the node", advisories[0]);
        Assert.Contains("Outage 10 d 0 h", advisories[0]);
    }

    [Theory]
    [InlineData(FailoverScenarioKind.GatewayInstanceDown)]
    [InlineData(FailoverScenarioKind.AdminNodeManagerDown)]
    public void NoCassandra_NoAdvisory(FailoverScenarioKind kind)
    {
        Assert.Empty(RepairAdvisor.Advise(kind, H(3, 1)));
        Assert.Empty(RepairAdvisor.Advise(kind, TimeSpan.FromDays(11)));
    }
}
