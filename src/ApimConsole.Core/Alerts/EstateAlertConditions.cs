using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.Alerts;

/// <summary>The alert conditions the estate's live state holds at one moment, one list per kind.</summary>
public static class EstateAlertConditions
{
    /// <summary>One per failover scenario in force, keyed by the scenario's own key: a whole outage is one alert.</summary>
    public static IReadOnlyList<AlertSignal> Scenarios(EstateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.Scenarios.Select(s => new AlertSignal(AlertKind.Scenario, ScenarioKey(s.Key), Severity(s.Severity), s.DatacenterId,
            s.Title, s.WhatHappens, snapshot.AsOf)).ToList();
    }

    public static string ScenarioKey(string scenarioKey) => "scenario:" + scenarioKey;

    public static AlertSeverity Severity(ScenarioSeverity severity) =>
        severity == ScenarioSeverity.Critical ? AlertSeverity.Critical : AlertSeverity.Warning;

    /// <summary>
    /// The witnesses that tell "datacenter down" from "link down" and are lost: the load balancer's pool view, and the
    /// console in the other datacenter. Without them the console can no longer tell the two apart.
    /// </summary>
    public static IReadOnlyList<AlertSignal> Witnesses(EstateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var signals = new List<AlertSignal>();
        // Unknown is the load balancer not read yet (the console starting), not a lost witness.
        if (snapshot.LoadBalancer is { State: ComponentState.Down } balancer)
            signals.Add(new AlertSignal(AlertKind.Witness, "witness:load-balancer", AlertSeverity.Warning, null, "Load balancer witness lost",
                $"The load balancer's pool view is {balancer.State}: {balancer.Reason ?? "no reason given"}.", snapshot.AsOf));
        if (snapshot.Peer is { Available: false } peer)
            signals.Add(new AlertSignal(AlertKind.Witness, "witness:peer", AlertSeverity.Warning, peer.Datacenter,
                $"Peer console witness lost ({peer.Datacenter ?? peer.Url})", $"The console at {peer.Url} does not answer: {peer.Reason ?? "no reason given"}.",
                snapshot.AsOf));
        return signals;
    }

    /// <summary>
    /// One per kind of change the guardrail does not allow to every datacenter: Block is critical, Warn a warning, and
    /// the turn back to Allow resolves it.
    /// </summary>
    public static IReadOnlyList<AlertSignal> Guardrail(IReadOnlyList<GuardrailVerdict> verdicts, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        return verdicts.Where(v => v.Decision != GuardrailDecision.Allow)
            .Select(v => new AlertSignal(AlertKind.Guardrail, "guardrail:" + v.Kind, v.Decision == GuardrailDecision.Block ? AlertSeverity.Critical : AlertSeverity.Warning,
                null, $"Guardrail: {v.Decision} {v.Kind} deployments", v.Reasons.Count == 0 ? v.Decision.ToString() : string.Join(" ", v.Reasons), at))
            .ToList();
    }

    /// <summary>
    /// The Cassandra repairs that have fallen due for the scenarios in force at <paramref name="now"/>: past 2 h (repair),
    /// past 3 h (hints gone) and past 10 days (replace, do not repair). Each is a one-off: raised once per scenario and
    /// threshold, and it stays open until acknowledged, because the repair is owed after the outage ends.
    /// </summary>
    public static IReadOnlyList<AlertSignal> RepairsDue(IReadOnlyList<FailoverScenario> scenarios, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var signals = new List<AlertSignal>();
        foreach (var scenario in scenarios)
        {
            var down = now - (scenario.RepairClockFrom ?? scenario.Since);
            var advice = RepairAdvisor.Advise(scenario.Kind, down);
            if (advice.Count == 0)
                continue;
            foreach (var (threshold, label, severity) in Thresholds)
            {
                if (down > threshold)
                    signals.Add(new AlertSignal(AlertKind.Repair, $"repair:{scenario.Key}:{label}", severity, scenario.DatacenterId,
                        $"Repair due ({label}): {scenario.Title}", string.Join(" ", advice), now));
            }
        }
        return signals;
    }

    private static readonly (TimeSpan Threshold, string Label, AlertSeverity Severity)[] Thresholds =
    [
        (RepairAdvisor.RepairAfter, "2h", AlertSeverity.Warning),
        (RepairAdvisor.HintWindow, "3h", AlertSeverity.Warning),
        (RepairAdvisor.GcGrace, "10d", AlertSeverity.Critical),
    ];
}
