using ApimConsole.Core.Configuration;

namespace ApimConsole.Monitoring.Cassandra;

// Placeholder with the agreed contract; replaced by the CQL v4 implementation.
public sealed record CassandraProbeRequest(HostPort Endpoint, string? Username, string? Password);
public sealed record CassandraLocalInfo(string? ClusterName, string? DataCenter, string? Rack, string? ReleaseVersion, Guid? SchemaVersion, Guid? HostId);
public sealed record CassandraPeerInfo(string? Address, string? DataCenter, string? Rack, string? ReleaseVersion, Guid? SchemaVersion, Guid? HostId, int? NativePort);
public sealed record CassandraProbeResult(bool Success, string? Failure, CassandraLocalInfo? Local, IReadOnlyList<CassandraPeerInfo> Peers);

public sealed class CassandraProbe
{
    public CassandraProbe(int maxFrameBytes = 1 << 20) => _ = maxFrameBytes;

    public Task<CassandraProbeResult> ProbeAsync(CassandraProbeRequest request, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(new CassandraProbeResult(false, "CQL probe not built yet", null, []));
}
