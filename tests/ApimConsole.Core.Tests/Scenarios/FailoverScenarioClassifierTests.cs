using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Scenarios;

public class FailoverScenarioClassifierTests
{
    private readonly FakeTimeProvider _clock = new(T0.AddMinutes(10));

    private IReadOnlyList<FailoverScenario> Classify(EstateSnapshot snapshot) =>
        FailoverScenarioClassifier.Classify(snapshot, _clock.GetUtcNow());

    private static string[] Keys(IEnumerable<FailoverScenario> scenarios) => scenarios.Select(s => s.Key).ToArray();

    [Fact]
    public void AllUp_NoScenario()
    {
        Assert.Empty(Classify(Assess(Dc("dc1"), Dc("dc2"), (true, true))));
        Assert.Empty(Classify(Assess(Dc("dc1"), Dc("dc2"))));
    }

    [Fact]
    public void GatewayInstanceDown_Alone()
    {
        var since = T0.AddMinutes(3);
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down, since))));
        Assert.Equal(FailoverScenarioKind.GatewayInstanceDown, scenario.Kind);
        Assert.Equal("GatewayInstanceDown:dc2/instance-2", scenario.Key);
        Assert.Equal("dc2", scenario.DatacenterId);
        Assert.Equal("dc2/instance-2", scenario.ComponentKey);
        Assert.Equal(ScenarioSeverity.Warning, scenario.Severity);
        Assert.Equal(since, scenario.Since);
        Assert.Contains("instance-2", scenario.Title);
        Assert.Contains("other instance", scenario.WhatHappens);
        Assert.Contains("instance-1", scenario.WhatHappens);
        Assert.Contains("serves its requests", scenario.WhatHappens);
        Assert.Equal("POST /api/management/start/group-3/instance-2", scenario.Runbook[0].Command);
        Assert.Contains("Restart", scenario.Runbook[0].Text);
        Assert.Equal([1, 2], scenario.Runbook.Select(s => s.Order));
        Assert.Empty(scenario.Advisories);
    }

    [Fact]
    public void AdminNodeManagerDown_Alone()
    {
        var scenario = Assert.Single(Classify(Assess(Dc("dc1").WithAnm(ComponentState.Down), Dc("dc2"))));
        Assert.Equal(FailoverScenarioKind.AdminNodeManagerDown, scenario.Kind);
        Assert.Equal("AdminNodeManagerDown:dc1/anm", scenario.Key);
        Assert.Equal(ScenarioSeverity.Warning, scenario.Severity);
        Assert.Contains("Traffic is unaffected", scenario.WhatHappens);
        Assert.Contains("cannot be managed or deployed to", scenario.WhatHappens);
        Assert.NotEmpty(scenario.Runbook);
    }

    [Fact]
    public void AdminNodeManagerDown_NamedAsTheMonitorNamesIt_SaysTheKindOnce_AndTheReasonAsASentence()
    {
        var dc1 = Dc("dc1").WithAnm(ComponentState.Down);
        dc1 = dc1 with { AdminNodeManagers = [dc1.AdminNodeManagers[0] with { Name = "Admin Node Manager (anm.dc1:8090)" }] };
        var scenario = Assert.Single(Classify(Assess(dc1, Dc("dc2"))));
        Assert.Equal("Admin Node Manager (anm.dc1:8090) down in DC1", scenario.Title);
        Assert.Equal("Traffic is unaffected; DC1 cannot be managed or deployed to until it is back. Probe: connection refused.", scenario.WhatHappens);
        Assert.Equal("Restart Admin Node Manager (anm.dc1:8090) on its host in DC1; do not deploy to DC1 until it answers.", scenario.Runbook[0].Text);
    }

    [Fact]
    public void GatewayInstanceStopped_ReasonIsItsOwnSentence_WithoutNestedBrackets()
    {
        var dc2 = Dc("dc2").WithInstance("instance-2", ComponentState.Down);
        dc2 = dc2 with
        {
            Groups = [dc2.Groups[0] with
            {
                Instances = dc2.Groups[0].Instances.Select(i => i.Id == "instance-2" ? i with { Reason = "stopped according to the ANM; health check: connection reset" } : i).ToList(),
            }],
        };
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), dc2)));
        Assert.Equal("Gateway instance instance-2 down in DC2", scenario.Title);
        Assert.Equal("The other instance in DC2 (instance-1) serves its requests. Probe: stopped according to the ANM; health check: connection reset.",
            scenario.WhatHappens);
    }

    [Fact]
    public void OneCassandraNodeDown_IsTolerated_Warning()
    {
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), Dc("dc2").WithCassandra(2, ComponentState.Down))));
        Assert.Equal(FailoverScenarioKind.CassandraNodeDown, scenario.Kind);
        Assert.Equal("CassandraNodeDown:dc2/cassandra-2", scenario.Key);
        Assert.Equal("dc2/cassandra-2", scenario.ComponentKey);
        Assert.Equal(ScenarioSeverity.Warning, scenario.Severity);
        Assert.Contains("LOCAL_QUORUM", scenario.WhatHappens);
        Assert.Contains("Restart", scenario.Runbook[0].Text);
        Assert.Equal("nodetool repair", scenario.Runbook[^1].Command);
    }

    [Fact]
    public void TwoCassandraNodesDown_InOneDc_IsQuorumLost_NotTwoNodeScenarios()
    {
        var dc2 = Dc("dc2").WithCassandra(1, ComponentState.Down, T0.AddMinutes(1)).WithCassandra(3, ComponentState.Down, T0.AddMinutes(4));
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), dc2)));
        Assert.Equal(FailoverScenarioKind.CassandraQuorumLost, scenario.Kind);
        Assert.Equal("CassandraQuorumLost:dc2", scenario.Key);
        Assert.Equal("dc2", scenario.DatacenterId);
        Assert.Null(scenario.ComponentKey);
        Assert.Equal(ScenarioSeverity.Critical, scenario.Severity);
        Assert.Equal(T0.AddMinutes(4), scenario.Since); // lost when the second node went down
        Assert.Contains("cassandra-1", scenario.WhatHappens);
        Assert.Contains("cassandra-3", scenario.WhatHappens);
        Assert.Contains("LOCAL_QUORUM", scenario.WhatHappens);
    }

    [Fact]
    public void ThreeCassandraNodesDown_StillOneQuorumLost()
    {
        var dc2 = Dc("dc2").WithCassandra(1, ComponentState.Down).WithCassandra(2, ComponentState.Down).WithCassandra(3, ComponentState.Down);
        Assert.Equal(["CassandraQuorumLost:dc2"], Keys(Classify(Assess(Dc("dc1"), dc2))));
    }

    [Fact]
    public void OneCassandraNodeDown_InEachDc_IsTwoNodeScenarios_NotQuorumLoss()
    {
        var scenarios = Classify(Assess(Dc("dc1").WithCassandra(1, ComponentState.Down), Dc("dc2").WithCassandra(2, ComponentState.Down)));
        Assert.Equal(2, scenarios.Count);
        Assert.All(scenarios, s => Assert.Equal(FailoverScenarioKind.CassandraNodeDown, s.Kind));
    }

    [Fact]
    public void DatacenterDown_WitnessSeesItNotServing_OnlyTheDcScenario()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));
        var scenario = Assert.Single(Classify(snapshot));
        Assert.Equal(FailoverScenarioKind.DatacenterDown, scenario.Kind);
        Assert.Equal("DatacenterDown:dc2", scenario.Key);
        Assert.Equal("dc2", scenario.DatacenterId);
        Assert.Equal(ScenarioSeverity.Critical, scenario.Severity);
        Assert.Equal(snapshot.Find("dc2")!.Since, scenario.Since);
        Assert.Contains("load balancer sends all traffic to DC1", scenario.WhatHappens);
        Assert.Contains("fewer servers", scenario.WhatHappens);
        Assert.Contains("Ehcache", scenario.WhatHappens);
        Assert.Contains("start their sessions again", scenario.WhatHappens);
        Assert.Contains("deployments are blocked", scenario.WhatHappens);
    }

    [Fact]
    public void DatacenterDown_Runbook_CassandraFirst_GatewaysOnlyAfterSchemaAgreement()
    {
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false))));
        var cassandra = scenario.Runbook.Single(s => s.Text.StartsWith("Restart every Cassandra node", StringComparison.Ordinal));
        var agreement = scenario.Runbook.Single(s => s.Text.Contains("schema agreement", StringComparison.Ordinal));
        var gateways = scenario.Runbook.Single(s => s.Text.Contains("restart the gateway instances", StringComparison.Ordinal));
        Assert.True(cassandra.Order < agreement.Order && agreement.Order < gateways.Order);
        Assert.Contains("cassandra-1, cassandra-2, cassandra-3", cassandra.Text);
        Assert.Contains("instance-1, instance-2", gateways.Text);
        Assert.Equal(Enumerable.Range(1, scenario.Runbook.Count), scenario.Runbook.Select(s => s.Order));
    }

    [Fact]
    public void LinkDown_WitnessSeesBothServing_OnlyTheLinkScenario()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true));
        var scenario = Assert.Single(Classify(snapshot));
        Assert.Equal(FailoverScenarioKind.InterDatacenterLinkDown, scenario.Kind);
        Assert.Equal("InterDatacenterLinkDown", scenario.Key);
        Assert.Null(scenario.DatacenterId);
        Assert.Null(scenario.ComponentKey);
        Assert.Equal(ScenarioSeverity.Critical, scenario.Severity);
        Assert.Equal(snapshot.Link.Since, scenario.Since);
        Assert.Contains("Both datacenters keep serving", scenario.WhatHappens);
        Assert.Contains("Ehcache data in each datacenter is unaffected", scenario.WhatHappens);
        Assert.Contains("diverges until the link returns", scenario.WhatHappens);
        Assert.Contains("One console reaches each datacenter separately", scenario.WhatHappens);
        Assert.Contains("deployments are blocked", scenario.WhatHappens);
        Assert.StartsWith("Wait for the inter-datacenter link", scenario.Runbook[0].Text, StringComparison.Ordinal);
        Assert.Contains(scenario.Runbook, s => s.Command == "nodetool repair" && s.Text.Contains("more than 2 h", StringComparison.Ordinal));
    }

    [Fact]
    public void NoWitness_DatacenterUnreachable_SaysItCannotTell()
    {
        var scenario = Assert.Single(Classify(Assess(Dc("dc1"), Dc("dc2", ComponentState.Down))));
        Assert.Equal(FailoverScenarioKind.DatacenterUnreachable, scenario.Kind);
        Assert.Equal("DatacenterUnreachable:dc2", scenario.Key);
        Assert.Equal("DC2 unreachable (DC down or link down)", scenario.Title);
        Assert.Equal(ScenarioSeverity.Critical, scenario.Severity);
        Assert.Contains("deployments are blocked", scenario.WhatHappens);
    }

    [Fact]
    public void UnknownComponents_AreNotDown()
    {
        // Nothing probed yet.
        Assert.Empty(Classify(Assess(Dc("dc1", ComponentState.Unknown), Dc("dc2", ComponentState.Unknown))));

        // Some components Unknown in a degraded DC: only the one really Down is named.
        var dc2 = Dc("dc2").WithInstance("instance-1", ComponentState.Unknown).WithAnm(ComponentState.Unknown)
            .WithCassandra(1, ComponentState.Unknown).WithCassandra(2, ComponentState.Unknown).WithCassandra(3, ComponentState.Down);
        var snapshot = Assess(Dc("dc1"), dc2);
        Assert.Equal(DatacenterState.Degraded, snapshot.Find("dc2")!.State);
        Assert.Equal(["CassandraNodeDown:dc2/cassandra-3"], Keys(Classify(snapshot)));
    }

    [Fact]
    public void LinkDown_PlusInstanceDownInTheConsolesDc()
    {
        var snapshot = Assess(Dc("dc1").WithInstance("instance-2", ComponentState.Down), Dc("dc2", ComponentState.Down), (true, true));
        Assert.Equal(["InterDatacenterLinkDown", "GatewayInstanceDown:dc1/instance-2"], Keys(Classify(snapshot)));
    }

    [Fact]
    public void DatacenterDown_PlusCassandraNodeInTheOtherDc()
    {
        var snapshot = Assess(Dc("dc1").WithCassandra(2, ComponentState.Down), Dc("dc2", ComponentState.Down), (true, false));
        var scenarios = Classify(snapshot);
        Assert.Equal(["DatacenterDown:dc2", "CassandraNodeDown:dc1/cassandra-2"], Keys(scenarios));
        Assert.Equal([ScenarioSeverity.Critical, ScenarioSeverity.Warning], scenarios.Select(s => s.Severity));
    }

    [Fact]
    public void DatacenterDown_ComponentsInsideIt_AreCoveredByTheDcScenario()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));
        Assert.All(snapshot.Find("dc2")!.AllComponents(), c => Assert.Equal(ComponentState.Down, c.State));
        Assert.DoesNotContain(Classify(snapshot), s => s.Kind is FailoverScenarioKind.GatewayInstanceDown
            or FailoverScenarioKind.AdminNodeManagerDown or FailoverScenarioKind.CassandraNodeDown or FailoverScenarioKind.CassandraQuorumLost);
    }

    [Fact]
    public void ConsolesOwnDatacenterDown_IsDatacenterDown()
    {
        var snapshot = Assess(Dc("dc1", ComponentState.Down), Dc("dc2"), (false, true));
        Assert.Equal(["DatacenterDown:dc1"], Keys(Classify(snapshot)));
    }

    [Fact]
    public void Ordering_WorstFirst_CriticalBeforeWarning_DcAndLinkBeforeComponents()
    {
        var dc1 = Dc("dc1")
            .WithAnm(ComponentState.Down, T0)
            .WithInstance("instance-1", ComponentState.Down, T0.AddMinutes(1))
            .WithCassandra(1, ComponentState.Down, T0.AddMinutes(2))
            .WithCassandra(2, ComponentState.Down, T0.AddMinutes(3));
        var scenarios = Classify(Assess(dc1, Dc("dc2", ComponentState.Down), (true, false)));
        Assert.Equal(
            ["DatacenterDown:dc2", "CassandraQuorumLost:dc1", "GatewayInstanceDown:dc1/instance-1", "AdminNodeManagerDown:dc1/anm"],
            Keys(scenarios));
    }

    [Fact]
    public void Ordering_SameKind_OldestFirst_ThenKey()
    {
        var dc1 = Dc("dc1").WithInstance("instance-2", ComponentState.Down, T0.AddMinutes(1));
        var dc2 = Dc("dc2").WithInstance("instance-1", ComponentState.Down, T0.AddMinutes(1)).WithInstance("instance-2", ComponentState.Down, T0);
        Assert.Equal(
            ["GatewayInstanceDown:dc2/instance-2", "GatewayInstanceDown:dc1/instance-2", "GatewayInstanceDown:dc2/instance-1"],
            Keys(Classify(Assess(dc1, dc2))));
    }

    [Fact]
    public void BothInstancesOfAGroupDown_SaysNoOtherInstanceIsUp()
    {
        var dc2 = Dc("dc2").WithInstance("instance-1", ComponentState.Down).WithInstance("instance-2", ComponentState.Down);
        var scenarios = Classify(Assess(Dc("dc1"), dc2));
        Assert.Equal(2, scenarios.Count);
        Assert.All(scenarios, s => Assert.StartsWith("No other instance of DMZ is up in DC2", s.WhatHappens, StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_AndSince_AreStable_AcrossSnapshots()
    {
        var dc2 = Dc("dc2").WithInstance("instance-2", ComponentState.Down).WithCassandra(1, ComponentState.Down);
        var first = Assess(Dc("dc1"), dc2, (true, true), at: T0);
        var second = Assess(Dc("dc1"), dc2, (true, true), first, T0.AddMinutes(5));
        var a = FailoverScenarioClassifier.Classify(first, T0);
        var b = FailoverScenarioClassifier.Classify(second, T0.AddMinutes(5));
        Assert.Equal(Keys(a), Keys(b));
        Assert.Equal(a.Select(s => s.Since), b.Select(s => s.Since));

        var down1 = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true), second, T0.AddMinutes(6));
        var down2 = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true), down1, T0.AddMinutes(9));
        var link1 = Assert.Single(FailoverScenarioClassifier.Classify(down1, T0.AddMinutes(6)));
        var link2 = Assert.Single(FailoverScenarioClassifier.Classify(down2, T0.AddMinutes(9)));
        Assert.Equal(link1.Key, link2.Key);
        Assert.Equal(T0.AddMinutes(6), link2.Since);
    }

    [Fact]
    public void Since_ComesFromTheSnapshot_NotFromNow()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, T0.AddMinutes(2)));
        _clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal(T0.AddMinutes(2), Assert.Single(Classify(snapshot)).Since);
    }

    [Fact]
    public void Advisories_FollowTheOutage_ForADatacenterDown()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false), at: T0);
        Assert.Empty(Assert.Single(FailoverScenarioClassifier.Classify(snapshot, T0 + new TimeSpan(1, 59, 0))).Advisories);
        var late = Assert.Single(FailoverScenarioClassifier.Classify(snapshot, T0 + new TimeSpan(2, 1, 0)));
        var advisory = Assert.Single(late.Advisories);
        Assert.Contains("nodetool repair on each Cassandra node of that datacenter", advisory);
    }

    [Fact]
    public void Advisories_ForQuorumLoss_FollowTheNodeDownLongest()
    {
        var dc2 = Dc("dc2").WithCassandra(1, ComponentState.Down, T0).WithCassandra(2, ComponentState.Down, T0.AddHours(2));
        var scenario = Assert.Single(FailoverScenarioClassifier.Classify(Assess(Dc("dc1"), dc2), T0 + new TimeSpan(3, 1, 0)));
        Assert.Equal(T0.AddHours(2), scenario.Since);
        Assert.Equal(2, scenario.Advisories.Count);
        Assert.Contains(scenario.Advisories, a => a.Contains("max_hint_window", StringComparison.Ordinal));
    }

    [Fact]
    public void Advisories_NoneForGatewayOrAnm_EvenAfterDays()
    {
        var snapshot = Assess(Dc("dc1").WithAnm(ComponentState.Down), Dc("dc2").WithInstance("instance-1", ComponentState.Down));
        Assert.All(FailoverScenarioClassifier.Classify(snapshot, T0.AddDays(11)), s => Assert.Empty(s.Advisories));
    }

    [Fact]
    public void SinceInTheFuture_GivesNoAdvisory()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down, T0.AddHours(5)));
        Assert.Empty(Assert.Single(FailoverScenarioClassifier.Classify(snapshot, T0)).Advisories);
    }
}
