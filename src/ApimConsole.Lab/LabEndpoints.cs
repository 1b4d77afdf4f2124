namespace ApimConsole.Lab;

/// <summary>Where a console finds the lab estate: endpoints and credentials only, as it would for a real estate.</summary>
public sealed record LabEndpoints(
    string ConsoleDatacenter,
    IReadOnlyList<LabDatacenterEndpoints> Datacenters,
    string LoadBalancerUrl,
    string LoadBalancerStatusUrl)
{
    public LabDatacenterEndpoints this[string datacenterId] =>
        Datacenters.FirstOrDefault(d => d.Id == datacenterId) ?? throw new KeyNotFoundException($"No datacenter '{datacenterId}' in the lab.");
}

public sealed record LabDatacenterEndpoints(
    string Id,
    string Name,
    /// <summary>Base URL of the Admin Node Manager; the REST API is under <c>/api</c>.</summary>
    string AnmUrl,
    string AnmUsername,
    string AnmPassword,
    int GatewayTrafficPort,
    string GatewayTrafficScheme,
    /// <summary><c>host:port</c> of each Cassandra node.</summary>
    IReadOnlyList<string> CassandraContactPoints,
    string? CassandraUsername,
    string? CassandraPassword,
    /// <summary>Each gateway instance's traffic address (the host name its topology entry gives, with the traffic port).</summary>
    IReadOnlyList<LabGatewayEndpoint> Gateways,
    /// <summary>Base URL serving the datacenter's trace folders (<c>groups/...</c>) as an nginx-style JSON autoindex.</summary>
    string LogsUrl = "",
    /// <summary>Null: the Cassandra nodes speak in clear.</summary>
    LabCassandraTlsEndpoint? CassandraTls = null);

/// <summary>What a console needs to speak TLS to the lab's Cassandra nodes: the CA to trust and, when asked, its own certificate.</summary>
public sealed record LabCassandraTlsEndpoint(string CaFile, string? ClientCertificateFile, string? ClientCertificatePassword);

public sealed record LabGatewayEndpoint(string InstanceId, string GroupId, string Host, string TrafficUrl);
