using ApimConsole.Core.Deployments;

namespace ApimConsole.Core.Tests.Deployments;

public sealed class DeploymentDriftTests
{
    private static DeployedInstance I(string dc, string group, string instance, string? archive) => new(dc, group, group == "group-2" ? "Internal Zone" : "DMZ", instance, instance, archive);

    [Fact]
    public void SameArchiveEverywhere_IsNoDrift()
    {
        var groups = DeploymentDrift.Assess([I("dc1", "group-3", "instance-3", "aaa"), I("dc2", "group-3", "instance-3", "aaa")], []);
        var dmz = Assert.Single(groups);
        Assert.False(dmz.Drift);
        Assert.Equal("All 2 instances run aaa.", dmz.Summary);
    }

    [Fact]
    public void DatacentersRunningDifferentArchives_IsDrift_NamingEach()
    {
        var groups = DeploymentDrift.Assess(
            [I("dc2", "group-2", "instance-1", "bbb"), I("dc1", "group-2", "instance-1", "aaa"), I("dc1", "group-2", "instance-2", "aaa"), I("dc2", "group-2", "instance-2", "bbb"),
             I("dc1", "group-3", "instance-3", "ccc")], []);
        Assert.Equal(["group-2", "group-3"], groups.Select(g => g.GroupId));
        Assert.True(groups[0].Drift);
        Assert.Equal("Instances run different archives: dc1: 2 × aaa; dc2: 2 × bbb.", groups[0].Summary);
        Assert.False(groups[1].Drift);
    }

    [Fact]
    public void InstancesOfOneDatacenterDisagreeing_IsDrift() =>
        Assert.True(DeploymentDrift.Assess([I("dc1", "group-2", "instance-1", "aaa"), I("dc1", "group-2", "instance-2", null)], []).Single().Drift);

    [Fact]
    public void UnreadDatacenter_IsSaid_NotCountedAsAgreement()
    {
        var group = DeploymentDrift.Assess([I("dc1", "group-2", "instance-1", "aaa")], ["dc2"]).Single();
        Assert.False(group.Drift);
        Assert.Equal(["dc2"], group.UnreadDatacenters);
        Assert.Contains("Not compared with dc2", group.Summary);
    }

    [Theory]
    [InlineData(false, 2, 0, DeploymentState.Succeeded)]
    [InlineData(false, 0, 2, DeploymentState.Failed)]
    [InlineData(false, 1, 1, DeploymentState.PartiallyApplied)]
    [InlineData(true, 2, 0, DeploymentState.Stopped)]
    [InlineData(false, 0, 0, DeploymentState.Failed)]
    public void Conclude_FollowsWhatTheInstancesDid(bool stopped, int loaded, int notLoaded, DeploymentState expected) =>
        Assert.Equal(expected, DeploymentStateRules.Conclude(stopped, loaded, notLoaded));
}
