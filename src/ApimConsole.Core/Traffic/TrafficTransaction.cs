namespace ApimConsole.Core.Traffic;

/// <summary>
/// One transaction as the gateway's traffic monitor reports it (<c>ops/search</c>, leg 0), tagged with where it ran.
/// <see cref="Timestamp"/> is when it started.
/// </summary>
public sealed record TrafficTransaction(
    string DatacenterId,
    string InstanceId,
    string CorrelationId,
    DateTimeOffset Timestamp,
    double DurationMs,
    int Status,
    string Method,
    string Uri,
    string? ServiceName,
    string FinalStatus,
    string? RemoteAddr = null)
{
    /// <summary>The traffic monitor's verdict: <c>Pass</c> is a success; <c>Fail</c> and <c>Exception</c> are failures.</summary>
    public bool Succeeded => string.Equals(FinalStatus, "Pass", StringComparison.OrdinalIgnoreCase);

    /// <summary>The API path the roll-ups group by: the URI without its query string or fragment.</summary>
    public string ApiPath => TrafficRollup.PathOf(Uri);
}
