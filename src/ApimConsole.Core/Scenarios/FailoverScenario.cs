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
    IReadOnlyList<string> Advisories);
