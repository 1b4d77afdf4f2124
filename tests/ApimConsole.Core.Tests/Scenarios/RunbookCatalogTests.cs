using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Scenarios;

public class RunbookCatalogTests
{
    [Fact]
    public void EveryKind_ExactlyOnce_InTheOrderScenariosAreShown()
    {
        var kinds = RunbookCatalog.All.Select(e => e.Kind).ToList();
        Assert.Equal(Enum.GetValues<FailoverScenarioKind>().OrderBy(FailoverScenarioClassifier.Rank), kinds);
        Assert.All(RunbookCatalog.All, e =>
        {
            Assert.NotEmpty(e.Steps);
            Assert.Equal(Enumerable.Range(1, e.Steps.Count), e.Steps.Select(s => s.Order));
            Assert.False(string.IsNullOrWhiteSpace(e.WhatHappens));
        });
    }

    [Fact]
    public void DatacenterDown_CassandraFirst_ThenTheGateways()
    {
        var entry = RunbookCatalog.For(FailoverScenarioKind.DatacenterDown);
        Assert.Equal(ScenarioSeverity.Critical, entry.Severity);
        Assert.Contains("Cassandra node", entry.Steps[0].Text);
        Assert.Contains("Do not start any gateway instance before", entry.Steps[1].Text);
        Assert.Contains("gateway instances", entry.Steps[2].Text);
        Assert.NotEmpty(entry.WhenItLasts);
    }

    [Fact]
    public void GenericSteps_ReadLikeTheLiveRunbook_WithPlaceholdersForNames()
    {
        var live = FailoverScenarioClassifier.Classify(Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false)), T0)
            .Single(s => s.Kind == FailoverScenarioKind.DatacenterDown);
        var generic = RunbookCatalog.For(FailoverScenarioKind.DatacenterDown).Steps;
        Assert.Equal(live.Runbook.Count, generic.Count);
        // Steps without lists of names read the same once the datacenter's name is put in.
        Assert.Equal(live.Runbook[1].Text, generic[1].Text.Replace("<datacenter>", "DC2"));
        Assert.Equal(live.Runbook[3].Text, generic[3].Text.Replace("<datacenter>", "DC2"));
        Assert.Contains("<datacenter>", generic[0].Text);

        var instance = RunbookCatalog.For(FailoverScenarioKind.GatewayInstanceDown);
        Assert.Equal("POST /api/management/start/{groupId}/{instanceId}", instance.Steps[0].Command);
        Assert.Contains("<instance>", instance.Steps[0].Text);
        Assert.Empty(instance.WhenItLasts);
    }

    [Fact]
    public void LinkDown_IsWaitThenRepair()
    {
        var entry = RunbookCatalog.For(FailoverScenarioKind.InterDatacenterLinkDown);
        Assert.StartsWith("Wait for the inter-datacenter link", entry.Steps[0].Text);
        Assert.Equal("nodetool repair", entry.Steps[^1].Command);
    }
}
