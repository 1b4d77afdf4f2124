using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// Where <see cref="EstateMetrics"/> reads on each scrape: the live feeds' current values and the in-memory state of
/// the background readers. None of these calls the estate or waits on it; a source that is absent (a feature not
/// registered) leaves its series absent.
/// </summary>
public sealed record MetricSources
{
    public required IEstateStatus Estate { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>The guardrail's published decision per kind and target datacenter.</summary>
    public Func<IReadOnlyList<(ChangeKind Kind, string DatacenterId, GuardrailDecision Decision)>>? Guardrail { get; init; }

    /// <summary>Each datacenter's traffic over the last ten minutes, and whether its last poll read it.</summary>
    public Func<IReadOnlyList<DatacenterTrafficNow>>? Traffic { get; init; }

    /// <summary>Each datacenter's log tail.</summary>
    public Func<IReadOnlyList<TraceTailStatus>>? LogTails { get; init; }

    /// <summary>Stored deployments per state; null while they could not be counted.</summary>
    public Func<IReadOnlyDictionary<DeploymentState, long>?>? Deployments { get; init; }

    public IOutboxDepth? Outbox { get; init; }
}

/// <summary>One datacenter's traffic as the console has it now.</summary>
/// <param name="Polled">Whether the collector has polled it yet.</param>
/// <param name="Collected">Whether its last poll read it.</param>
/// <param name="Latest">The most recent minute bucket the console covered (null: none of the last two minutes was).</param>
public sealed record DatacenterTrafficNow(string DatacenterId, bool Polled, bool Collected, TrafficPoint? Latest);
