using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Recovery;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Guardrails;

public class GuardrailPolicyTests
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);

    /// <summary>The moment of decision: ten minutes after the estate's components changed state, with a fresh snapshot.</summary>
    private static readonly DateTimeOffset Now = T0.AddMinutes(10);

    private static EstateSnapshot Fresh(EstateSnapshot snapshot) => snapshot with { AsOf = Now.AddMilliseconds(-500) };

    private static IReadOnlyList<GuardrailVerdict> Decide(EstateSnapshot snapshot, IReadOnlyCollection<string>? targets = null,
        IReadOnlyList<IncompleteRecovery>? recoveries = null, bool keepAsOf = false) =>
        GuardrailPolicy.Decide(keepAsOf ? snapshot : Fresh(snapshot), Now, recoveries ?? [], targets ?? [], StaleAfter);

    private static GuardrailVerdict Gateway(IReadOnlyList<GuardrailVerdict> verdicts) => verdicts.Single(v => v.Kind == ChangeKind.GatewayConfiguration);
    private static GuardrailVerdict Kps(IReadOnlyList<GuardrailVerdict> verdicts) => verdicts.Single(v => v.Kind == ChangeKind.KpsTableStructure);

    private static void AssertBoth(GuardrailDecision expected, IReadOnlyList<GuardrailVerdict> verdicts)
    {
        Assert.Equal(expected, Gateway(verdicts).Decision);
        Assert.Equal(expected, Kps(verdicts).Decision);
    }

    private static EstateSnapshot AllUp() => Assess(Dc("dc1"), Dc("dc2"), (true, true));

    [Fact]
    public void AllUp_AllowsBoth_WithNoReasons_OneVerdictPerKind_AsOfNow()
    {
        var verdicts = Decide(AllUp());

        Assert.Equal([ChangeKind.GatewayConfiguration, ChangeKind.KpsTableStructure], verdicts.Select(v => v.Kind));
        Assert.All(verdicts, v =>
        {
            Assert.Equal(GuardrailDecision.Allow, v.Decision);
            Assert.Empty(v.Reasons);
            Assert.Equal(Now, v.AsOf);
        });
    }

    [Fact]
    public void LinkDown_BlocksGatewayConfiguration_AndKpsTableStructure_NamingTheLinkAndSince()
    {
        // The witness sees dc2 serving while nothing of it answers dc1: the link is down, since T0.
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, true));
        Assert.Equal(LinkState.Down, snapshot.Link.State);

        var verdicts = Decide(snapshot);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Gateway(verdicts).Reasons);
        Assert.Contains("Inter-DC link down since 14:00:00 UTC (10 min)", reason);
        Assert.Contains(": dc2 still serving but unreachable from dc1. ", reason);
        Assert.Equal(Gateway(verdicts).Reasons, Kps(verdicts).Reasons);
    }

    [Fact]
    public void DatacenterDown_BlocksBoth_SayingWhereTrafficGoes_AndWhenToDeploy()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));
        Assert.Equal(DatacenterState.Down, snapshot.Find("dc2")!.State);

        var verdicts = Decide(snapshot, targets: ["dc1"]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Kps(verdicts).Reasons);
        Assert.StartsWith("dc2 down since 14:00:00 UTC (10 min): the load balancer sends everything to dc1", reason);
        Assert.Contains("Cassandra nodes are Up and in schema agreement", reason);
    }

    [Fact]
    public void DatacenterUnreachable_WithoutWitness_BlocksBoth()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down));
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);

        var verdicts = Decide(snapshot);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.Contains(Gateway(verdicts).Reasons, r => r.StartsWith("dc2 unreachable since 14:00:00 UTC", StringComparison.Ordinal)
            && r.Contains("datacenter down or inter-DC link down"));
    }

    [Fact]
    public void AdminNodeManagerDown_InATargetDatacenter_BlocksBoth()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithAnm(ComponentState.Down, T0.AddMinutes(2)), (true, true));

        var verdicts = Decide(snapshot, targets: ["dc2"]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Gateway(verdicts).Reasons);
        Assert.StartsWith("Admin Node Manager dc2/anm down since 14:02:00 UTC (8 min): connection refused. ", reason);
        Assert.Contains("Deployments to dc2 go through it", reason);
    }

    [Fact]
    public void AdminNodeManagerDown_OutsideTheTargets_Allows()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithAnm(ComponentState.Down), (true, true));

        AssertBoth(GuardrailDecision.Allow, Decide(snapshot, targets: ["dc1"]));
        AssertBoth(GuardrailDecision.Block, Decide(snapshot, targets: []));
    }

    [Fact]
    public void StaleEstateState_BlocksBoth_EvenWhenAllUp()
    {
        var snapshot = AllUp() with { AsOf = Now - TimeSpan.FromSeconds(5) };

        var verdicts = Decide(snapshot, keepAsOf: true);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Kps(verdicts).Reasons);
        Assert.Contains("older than 3 s (last assessed 14:09:55 UTC)", reason);
    }

    [Fact]
    public void EstateStateExactlyAsOldAsStaleAfter_IsStillTrusted()
    {
        var snapshot = AllUp() with { AsOf = Now - StaleAfter };

        AssertBoth(GuardrailDecision.Allow, Decide(snapshot, keepAsOf: true));
        AssertBoth(GuardrailDecision.Block, Decide(snapshot with { AsOf = Now - StaleAfter - TimeSpan.FromMilliseconds(1) }, keepAsOf: true));
    }

    [Fact]
    public void IncompleteRecovery_BlocksBoth_WithWhatIsStillMissing()
    {
        var recovery = new IncompleteRecovery("DatacenterDown:dc2", "dc2 down", T0.AddMinutes(5),
            ["nodetool repair not yet marked done on dc2/cassandra-2", "dc2/cassandra-3 not in schema agreement"]);

        var verdicts = Decide(AllUp(), recoveries: [recovery]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Gateway(verdicts).Reasons);
        Assert.Contains("Recovery from \"dc2 down\" (over since 14:05:00 UTC (5 min)) is not complete", reason);
        Assert.Contains("nodetool repair not yet marked done on dc2/cassandra-2; dc2/cassandra-3 not in schema agreement", reason);
    }

    [Fact]
    public void IncompleteRecovery_IsOneCleanSentence_WithoutDoubledFullStops()
    {
        // The waiting items are sentences of their own ("... (Unknown)."): joined, they lose their full stops.
        var recovery = new IncompleteRecovery("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(5),
            ["dc2/cassandra-1 is not Up yet (Unknown).", "dc2/cassandra-2 is not Up yet (Unknown)."]);

        var reason = Assert.Single(Gateway(Decide(AllUp(), recoveries: [recovery])).Reasons);

        Assert.Equal("Recovery from \"Inter-DC link down\" (over since 14:05:00 UTC (5 min)) is not complete: "
            + "dc2/cassandra-1 is not Up yet (Unknown); dc2/cassandra-2 is not Up yet (Unknown). Deploy when it is.", reason);
    }

    [Fact]
    public void EveryLinkOutage_WaitingForTheSameNodes_IsOneReason_NamingHowMany()
    {
        string[] waiting = ["dc2/cassandra-1 is not Up yet (Unknown).", "dc2/cassandra-2 is not Up yet (Unknown)."];
        IncompleteRecovery[] recoveries =
        [
            new("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(2), waiting),
            new("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(7), waiting),
            new("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(4), waiting),
        ];

        var verdicts = Decide(AllUp(), recoveries: recoveries);

        Assert.All(verdicts, v => Assert.Equal(
            "Recovery from \"Inter-DC link down\" (3 outages, the last over since 14:07:00 UTC (3 min)) is not complete: "
            + "dc2/cassandra-1 is not Up yet (Unknown); dc2/cassandra-2 is not Up yet (Unknown). Deploy when it is.",
            Assert.Single(v.Reasons)));
    }

    [Fact]
    public void RecoveriesWaitingForDifferentThings_AreOneReasonEach()
    {
        IncompleteRecovery[] recoveries =
        [
            new("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(2), ["nodetool repair not yet marked done on dc2/cassandra-1."]),
            new("DatacenterDown:dc1", "dc1 down.", T0.AddMinutes(3), ["dc1/cassandra-3 is not in schema agreement yet."]),
        ];

        var reasons = Gateway(Decide(AllUp(), recoveries: recoveries)).Reasons;

        Assert.Equal(
        [
            "Recovery from \"Inter-DC link down\" (over since 14:02:00 UTC (8 min)) is not complete: nodetool repair not yet marked done on dc2/cassandra-1. Deploy when it is.",
            "Recovery from \"dc1 down\" (over since 14:03:00 UTC (7 min)) is not complete: dc1/cassandra-3 is not in schema agreement yet. Deploy when it is.",
        ], reasons);
        Assert.DoesNotContain(reasons, r => r.Contains("..", StringComparison.Ordinal) || r.Contains(".;", StringComparison.Ordinal));
    }

    [Fact]
    public void OneGatewayInstanceDown_WarnsBoth_AskingForConfirmation()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down, T0.AddMinutes(4)), (true, true));

        var verdicts = Decide(snapshot);

        AssertBoth(GuardrailDecision.Warn, verdicts);
        var reason = Assert.Single(Gateway(verdicts).Reasons);
        Assert.StartsWith("Gateway instance dc2/instance-2 in DMZ down since 14:04:00 UTC (6 min): connection refused. ", reason);
        Assert.Contains("confirm, and deploy to it again", reason);
    }

    [Fact]
    public void GatewayInstanceDown_OutsideTheTargets_Allows()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down), (true, true));

        AssertBoth(GuardrailDecision.Allow, Decide(snapshot, targets: ["dc1"]));
    }

    [Fact]
    public void EveryInstanceOfAGroupDown_InATarget_BlocksBoth()
    {
        var dc2 = Dc("dc2").WithInstance("instance-1", ComponentState.Down).WithInstance("instance-2", ComponentState.Down);

        var verdicts = Decide(Assess(Dc("dc1"), dc2, (true, true)), targets: ["dc2"]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.StartsWith("No instance of DMZ is up in dc2", Assert.Single(Gateway(verdicts).Reasons));
    }

    [Fact]
    public void OneCassandraNodeDown_InATarget_WarnsBoth()
    {
        var snapshot = Assess(Dc("dc1").WithCassandra(2, ComponentState.Down), Dc("dc2"), (true, true));

        var verdicts = Decide(snapshot, targets: ["dc1"]);

        AssertBoth(GuardrailDecision.Warn, verdicts);
        Assert.StartsWith("Cassandra node dc1/cassandra-2 down since 14:00:00 UTC", Assert.Single(Gateway(verdicts).Reasons));
        Assert.Contains("KPS table-structure change reaches it only when it rejoins", Assert.Single(Kps(verdicts).Reasons));
    }

    [Fact]
    public void OneCassandraNodeDown_OutsideTheTargets_WarnsOnlyKpsTableStructure()
    {
        // The schema is the cluster's, across both datacenters; gateway files only go to the targets.
        var snapshot = Assess(Dc("dc1").WithCassandra(2, ComponentState.Down), Dc("dc2"), (true, true));

        var verdicts = Decide(snapshot, targets: ["dc2"]);

        Assert.Equal(GuardrailDecision.Allow, Gateway(verdicts).Decision);
        Assert.Empty(Gateway(verdicts).Reasons);
        Assert.Equal(GuardrailDecision.Warn, Kps(verdicts).Decision);
    }

    [Fact]
    public void TwoCassandraNodesDown_InOneDatacenter_BlocksBoth_AsQuorumLost_WhateverTheTargets()
    {
        var dc2 = Dc("dc2").WithCassandra(1, ComponentState.Down).WithCassandra(3, ComponentState.Down);

        var verdicts = Decide(Assess(Dc("dc1"), dc2, (true, true)), targets: ["dc1"]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        var reason = Assert.Single(Kps(verdicts).Reasons);
        Assert.StartsWith("Cassandra quorum lost in dc2: dc2/cassandra-1 down since", reason);
        Assert.Contains("dc2/cassandra-3", reason);
    }

    [Fact]
    public void SchemaDisagreement_BlocksKpsTableStructure_ButOnlyWarnsGatewayConfiguration()
    {
        var other = Guid.NewGuid();
        var dc2 = Dc("dc2");
        dc2 = dc2 with { CassandraNodes = dc2.CassandraNodes.Select(n => n.Id == "cassandra-3" ? n with { SchemaVersion = other } : n).ToList() };
        var snapshot = Assess(Dc("dc1"), dc2, (true, true));
        Assert.All(snapshot.Datacenters.SelectMany(d => d.CassandraNodes), n => Assert.False(n.InSchemaAgreement));

        var verdicts = Decide(snapshot);

        Assert.Equal(GuardrailDecision.Warn, Gateway(verdicts).Decision);
        Assert.Equal(GuardrailDecision.Block, Kps(verdicts).Decision);
        var reason = Assert.Single(Kps(verdicts).Reasons);
        Assert.Contains("2 versions; dc2/cassandra-3 differs from the rest", reason);
        Assert.Contains("KPS table-structure change", reason);
        Assert.Contains("does not change the schema", Assert.Single(Gateway(verdicts).Reasons));
    }

    [Fact]
    public void CassandraNodeUp_WithoutASchemaVersion_BlocksKpsTableStructure_Only()
    {
        var dc1 = Dc("dc1");
        dc1 = dc1 with { CassandraNodes = dc1.CassandraNodes.Select(n => n.Id == "cassandra-1" ? n with { SchemaVersion = null } : n).ToList() };

        var verdicts = Decide(Assess(dc1, Dc("dc2"), (true, true)));

        Assert.Equal(GuardrailDecision.Allow, Gateway(verdicts).Decision);
        Assert.Equal(GuardrailDecision.Block, Kps(verdicts).Decision);
        Assert.Contains("dc1/cassandra-1 did not report a schema version", Assert.Single(Kps(verdicts).Reasons));
    }

    [Fact]
    public void UnknownComponent_InATarget_BlocksBoth()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Unknown), (true, true));

        var verdicts = Decide(snapshot, targets: ["dc2"]);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.StartsWith("Gateway instance dc2/instance-1 state unknown", Assert.Single(Gateway(verdicts).Reasons));
    }

    [Fact]
    public void UnknownComponent_OutsideTheTargets_BlocksKpsOnly_WhenItIsACassandraNode()
    {
        var instanceUnknown = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Unknown), (true, true));
        AssertBoth(GuardrailDecision.Allow, Decide(instanceUnknown, targets: ["dc1"]));

        var nodeUnknown = Assess(Dc("dc1"), Dc("dc2").WithCassandra(2, ComponentState.Unknown), (true, true));
        var verdicts = Decide(nodeUnknown, targets: ["dc1"]);
        Assert.Equal(GuardrailDecision.Allow, Gateway(verdicts).Decision);
        Assert.Equal(GuardrailDecision.Block, Kps(verdicts).Decision);
        Assert.StartsWith("Cassandra node dc2/cassandra-2 state unknown", Assert.Single(Kps(verdicts).Reasons));
    }

    [Fact]
    public void SingleDatacenterEstate_HasNoLinkToWaitFor()
    {
        var snapshot = ApimConsole.Core.Health.EstateAssessor.Assess("lab", "dc1", [Dc("dc1")], null, null, T0);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);

        AssertBoth(GuardrailDecision.Allow, Decide(snapshot));
    }

    [Fact]
    public void EstateNotProbedYet_BlocksBoth()
    {
        var snapshot = Assess(Dc("dc1", ComponentState.Unknown), Dc("dc2", ComponentState.Unknown));

        var verdicts = Decide(snapshot);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.Contains(Gateway(verdicts).Reasons, r => r.StartsWith("dc1 state unknown (Not probed yet)", StringComparison.Ordinal));
        Assert.Contains(Gateway(verdicts).Reasons, r => r.StartsWith("dc2 state unknown", StringComparison.Ordinal));
        Assert.Contains(Gateway(verdicts).Reasons, r => r.StartsWith("Inter-DC link state unknown", StringComparison.Ordinal));
    }

    [Fact]
    public void DenyBeatsAllow_AWarningAndABlock_Block_WithTheBlockingReasonFirst()
    {
        var dc1 = Dc("dc1").WithInstance("instance-2", ComponentState.Down);
        var snapshot = Assess(dc1, Dc("dc2", ComponentState.Down), (true, true));

        var verdicts = Decide(snapshot);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.Collection(Gateway(verdicts).Reasons,
            r => Assert.StartsWith("Inter-DC link down", r),
            r => Assert.StartsWith("Gateway instance dc1/instance-2", r));
    }

    [Fact]
    public void DenyBeatsAllow_EveryBlockingRuleIsListed()
    {
        var recovery = new IncompleteRecovery("InterDatacenterLinkDown", "Inter-DC link down", T0, ["repair not marked done"]);
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false)) with { AsOf = Now.AddMinutes(-1) };

        var verdicts = Decide(snapshot, recoveries: [recovery], keepAsOf: true);

        AssertBoth(GuardrailDecision.Block, verdicts);
        Assert.Equal(3, Kps(verdicts).Reasons.Count);
        Assert.Contains(Kps(verdicts).Reasons, r => r.Contains("last assessed 14:09:00 UTC"));
        Assert.Contains(Kps(verdicts).Reasons, r => r.StartsWith("dc2 down", StringComparison.Ordinal));
        Assert.Contains(Kps(verdicts).Reasons, r => r.StartsWith("Recovery from", StringComparison.Ordinal));
    }

    [Fact]
    public void SchemaDisagreementAndAnInstanceDown_KpsBlocks_GatewayWarns_WithBothReasons()
    {
        var dc1 = Dc("dc1").WithInstance("instance-1", ComponentState.Down);
        dc1 = dc1 with { CassandraNodes = dc1.CassandraNodes.Select(n => n.Id == "cassandra-1" ? n with { SchemaVersion = Guid.NewGuid() } : n).ToList() };

        var verdicts = Decide(Assess(dc1, Dc("dc2"), (true, true)));

        Assert.Equal(GuardrailDecision.Warn, Gateway(verdicts).Decision);
        Assert.Equal(2, Gateway(verdicts).Reasons.Count);
        Assert.Equal(GuardrailDecision.Block, Kps(verdicts).Decision);
        Assert.StartsWith("Cassandra schema versions disagree", Kps(verdicts).Reasons[0]);
        Assert.StartsWith("Gateway instance dc1/instance-1", Kps(verdicts).Reasons[1]);
    }

    [Fact]
    public void TargetDatacenters_AreCaseInsensitive_AndEmptyMeansAll()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithAnm(ComponentState.Down), (true, true));

        AssertBoth(GuardrailDecision.Block, Decide(snapshot, targets: ["DC2"]));
        AssertBoth(GuardrailDecision.Block, Decide(snapshot, targets: []));
    }

    [Fact]
    public void UnknownTargetDatacenter_IsRejected_NamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => Decide(AllUp(), targets: ["dc1", "dc9"]));

        Assert.Contains("'dc9'", error.Message);
        Assert.Contains("the estate has dc1, dc2", error.Message);
    }

    [Fact]
    public void NonPositiveStaleAfter_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuardrailPolicy.Decide(AllUp(), Now, [], [], TimeSpan.Zero));
    }

    [Fact]
    public void SingleKindOverload_GivesThatKindsVerdict()
    {
        var snapshot = Fresh(Assess(Dc("dc1").WithCassandra(1, ComponentState.Down), Dc("dc2"), (true, true)));

        var verdict = GuardrailPolicy.Decide(ChangeKind.KpsTableStructure, snapshot, Now, [], ["dc2"], StaleAfter);

        Assert.Equal(ChangeKind.KpsTableStructure, verdict.Kind);
        Assert.Equal(GuardrailDecision.Warn, verdict.Decision);
    }

    [Theory]
    [InlineData(750, 3000)]
    [InlineData(1000, 4000)]
    [InlineData(50, 3000)]
    [InlineData(5000, 20000)]
    public void StaleAfter_IsFourProbeIntervals_ButAtLeastThreeSeconds(int intervalMs, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), GuardrailPolicy.StaleAfter(TimeSpan.FromMilliseconds(intervalMs)));
    }

    [Fact]
    public void StaleAfter_RejectsANonPositiveInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuardrailPolicy.StaleAfter(TimeSpan.Zero));
    }

    [Fact]
    public void OutageUnderAMinute_SaysSo_WithoutCountingSeconds()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, Now.AddSeconds(-42)), (true, true));

        var verdict = GuardrailPolicy.Decide(ChangeKind.GatewayConfiguration, Fresh(snapshot), Now, [], [], StaleAfter);

        Assert.StartsWith("Gateway instance dc2/instance-1 in DMZ down since 14:09:18 UTC (under a minute)", Assert.Single(verdict.Reasons));
    }

    [Fact]
    public void OutageOfHours_SaysSoInTheReason()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), (true, false));
        var later = T0.AddHours(2).AddMinutes(5);

        var verdict = GuardrailPolicy.Decide(ChangeKind.GatewayConfiguration, snapshot with { AsOf = later }, later, [], [], StaleAfter);

        Assert.StartsWith("dc2 down since 14:00:00 UTC (2 h 05 min)", Assert.Single(verdict.Reasons));
    }
}
