using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// What one probe of a component said: the outcome, and what it learnt of the component when it learnt anything
/// (null keeps what the last probe learnt).
/// </summary>
internal readonly record struct ProbeResult<TDetails>(ProbeOutcome Outcome, TDetails? Details) where TDetails : class
{
    public static ProbeResult<TDetails> Failed(string reason) => new(ProbeOutcome.Failed(reason), null);
}

/// <summary>An Admin Node Manager's answer: the product version its topology carried.</summary>
internal sealed record AnmProbeDetails(string? ProductVersion);

/// <summary>A gateway instance: its group, the host its healthcheck was asked on, and the process state the ANM reported.</summary>
internal sealed record GatewayProbeDetails(string GroupId, string Host, string? ManagementStatus);

/// <summary>A Cassandra node's own row of <c>system.local</c>.</summary>
internal sealed record CassandraProbeDetails(string? DataCenter, string? Rack, string? ReleaseVersion, Guid? SchemaVersion, Guid? HostId);

/// <summary>
/// The global load balancer's pools as last read, and when. Two reads are equal when the pools say the same (the
/// time of reading aside): only a change in the pools is worth publishing, yet the snapshot shows the latest read.
/// </summary>
internal sealed record LoadBalancerProbeDetails(IReadOnlyList<LoadBalancerPool> Pools, DateTimeOffset ReadAt, IReadOnlyList<string>? Unread = null)
{
    private string Signature { get; } = string.Join(";", Pools.Select(p => $"{p.DatacenterId}:{p.Serving}:{p.HealthyDestinations}/{p.Destinations}"))
        + "|" + string.Join("\n", Unread ?? []);

    public bool Equals(LoadBalancerProbeDetails? other) => other is not null && Signature == other.Signature;

    public override int GetHashCode() => Signature.GetHashCode(StringComparison.Ordinal);
}
