using ApimConsole.Core.Alerts;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Scenarios;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Alerts;

public sealed class AlertReconciliationTests
{
    private static AlertSignal Scenario(string key, AlertSeverity severity) => new(AlertKind.Scenario, key, severity, "dc2", key, "text " + key, T0);

    [Fact]
    public void NewCondition_Opens_SeverityChange_Updates_GoneCondition_Resolves_SameCondition_IsNoChange()
    {
        OpenAlert[] open = [new("a", AlertKind.Scenario, AlertSeverity.Warning, "text a"), new("b", AlertKind.Scenario, AlertSeverity.Warning, "text b"),
            new("c", AlertKind.Scenario, AlertSeverity.Critical, "text c"), new("g", AlertKind.Guardrail, AlertSeverity.Critical, "")];
        var plan = AlertReconciliation.Plan(AlertKind.Scenario, open,
            [Scenario("a", AlertSeverity.Warning), Scenario("b", AlertSeverity.Critical), Scenario("d", AlertSeverity.Warning)], T0);

        Assert.Equal(["Updated b", "Opened d", "Resolved c"], plan.Select(c => $"{c.Phase} {c.Signal.Key}"));
    }

    [Fact]
    public void ConditionAbsent_ButNotJudged_StaysOpen()
    {
        OpenAlert[] open = [new("a", AlertKind.Scenario, AlertSeverity.Critical, "", "dc2"), new("b", AlertKind.Scenario, AlertSeverity.Critical, "", "dc1")];
        var plan = AlertReconciliation.Plan(AlertKind.Scenario, open, [], T0, mayResolve: a => a.DatacenterId == "dc1");
        Assert.Equal(["Resolved b"], plan.Select(c => $"{c.Phase} {c.Signal.Key}"));
    }

    [Fact]
    public void TextThatMovesWithTheClock_IsNoNews()
    {
        var plan = AlertReconciliation.Plan(AlertKind.Scenario, [new("a", AlertKind.Scenario, AlertSeverity.Warning, "down 2 min")],
            [Scenario("a", AlertSeverity.Warning) with { Text = "down 3 min" }], T0);
        Assert.Empty(plan);
    }

    [Fact]
    public void DatacenterOutage_IsOneAlert_NotOnePerComponent()
    {
        var dcDown = Assess(Dc("dc1"), Dc("dc2", ComponentState.Down), witness: (true, false));
        var signals = EstateAlertConditions.Scenarios(dcDown);
        Assert.Equal(["scenario:DatacenterDown:dc2"], signals.Select(s => s.Key));
        Assert.Equal(AlertSeverity.Critical, signals[0].Severity);
    }

    [Fact]
    public void Guardrail_BlockIsCritical_WarnIsWarning_AllowIsNoCondition()
    {
        GuardrailVerdict[] verdicts =
        [
            new(ChangeKind.GatewayConfiguration, GuardrailDecision.Block, ["dc2 is down."], T0),
            new(ChangeKind.KpsTableStructure, GuardrailDecision.Allow, [], T0),
        ];
        var signals = EstateAlertConditions.Guardrail(verdicts, T0);
        var block = Assert.Single(signals);
        Assert.Equal(("guardrail:GatewayConfiguration", AlertSeverity.Critical, "dc2 is down."), (block.Key, block.Severity, block.Text));
        Assert.Equal(AlertSeverity.Warning, EstateAlertConditions.Guardrail([verdicts[0] with { Decision = GuardrailDecision.Warn }], T0).Single().Severity);
    }

    [Fact]
    public void RepairsDue_AtTwoHours_ThreeHours_AndTenDays()
    {
        var node = Assess(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down, T0), at: T0).Scenarios;
        Assert.Empty(EstateAlertConditions.RepairsDue(node, T0 + RepairAdvisor.RepairAfter));
        Assert.Equal(["2h"], Labels(EstateAlertConditions.RepairsDue(node, T0 + RepairAdvisor.RepairAfter + TimeSpan.FromSeconds(1))));
        Assert.Equal(["2h", "3h"], Labels(EstateAlertConditions.RepairsDue(node, T0 + TimeSpan.FromHours(4))));
        var tenDays = EstateAlertConditions.RepairsDue(node, T0 + TimeSpan.FromDays(11));
        Assert.Equal(["2h", "3h", "10d"], Labels(tenDays));
        Assert.Equal(AlertSeverity.Critical, tenDays[2].Severity);
        Assert.Contains("Replace", tenDays[2].Text, StringComparison.Ordinal);

        // A gateway instance has no repair to fall due.
        var gateway = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down, T0), at: T0).Scenarios;
        Assert.Empty(EstateAlertConditions.RepairsDue(gateway, T0 + TimeSpan.FromDays(11)));
    }

    private static IEnumerable<string> Labels(IEnumerable<AlertSignal> signals) => signals.Select(s => s.Key[(s.Key.LastIndexOf(':') + 1)..]);
}
