namespace ApimConsole.Core.Scenarios;

/// <summary>The failover situations the product documentation describes, plus the two the console adds (quorum loss, cannot tell).</summary>
public enum FailoverScenarioKind
{
    GatewayInstanceDown,
    AdminNodeManagerDown,
    CassandraNodeDown,
    CassandraQuorumLost,
    DatacenterDown,
    InterDatacenterLinkDown,
    DatacenterUnreachable,
}

public enum ScenarioSeverity
{
    Warning,
    Critical,
}

/// <summary>One step of a runbook. <see cref="Command"/> is what to run or call, when there is one.</summary>
public sealed record RunbookStep(int Order, string Text, string? Command);

/// <summary>
/// A failover scenario in force. <see cref="Key"/> is its stable identity across snapshots and restarts
/// (<c>GatewayInstanceDown:dc2/instance-2</c>, <c>InterDatacenterLinkDown</c>, <c>DatacenterDown:dc2</c>);
/// <see cref="Since"/> is when it started, taken from the estate snapshot, never from the clock.
/// </summary>
public sealed record FailoverScenario(
    FailoverScenarioKind Kind,
    string Key,
    string? DatacenterId,
    string? ComponentKey,
    ScenarioSeverity Severity,
    DateTimeOffset Since,
    string Title,
    string WhatHappens,
    IReadOnlyList<RunbookStep> Runbook,
    IReadOnlyList<string> Advisories)
{
    /// <summary>
    /// Where the repair rules count the outage from (<see cref="Since"/>, except for a lost quorum: the node down
    /// longest); null means <see cref="Since"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? RepairClockFrom { get; init; }
}

/// <summary>Scenarios classified once (<see cref="Estate.EstateSnapshot.Scenarios"/>), read at a later moment.</summary>
public static class FailoverScenarios
{
    /// <summary>
    /// The same scenarios with their repair advice as of <paramref name="now"/> (what classifying the snapshot at
    /// <paramref name="now"/> gives): a screen whose "since" durations move with the clock shows the advice that goes with them.
    /// </summary>
    public static IReadOnlyList<FailoverScenario> At(this IReadOnlyList<FailoverScenario> scenarios, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        if (scenarios.Count == 0)
            return scenarios;
        return scenarios.Select(s =>
        {
            var down = now - (s.RepairClockFrom ?? s.Since);
            return s with { Advisories = RepairAdvisor.Advise(s.Kind, down < TimeSpan.Zero ? TimeSpan.Zero : down) };
        }).ToList();
    }
}
