using System.Net;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Lab.Gateways;

namespace ApimConsole.Lab;

/// <summary>A host entry of an ANM topology.</summary>
internal sealed record LabHost(string Id, string Name);

/// <summary>What one simulated datacenter is made of (the servers that serve it live in <see cref="LabEstate"/>).</summary>
internal sealed class LabDatacenter
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>The Cassandra data center name, as in <c>NetworkTopologyStrategy DC1:3, DC2:3</c>.</summary>
    public required string CassandraDataCenter { get; init; }
    public required IReadOnlyList<LabHost> Hosts { get; init; }
    public required IReadOnlyList<GatewayGroup> Groups { get; init; }
    public required IReadOnlyList<GatewayInstance> Instances { get; init; }
    public required IReadOnlyList<IPAddress> CassandraAddresses { get; init; }

    public IEnumerable<GatewayInstance> DmzInstances => Instances.Where(i => i.Group.Zone == "dmz");

    public static string CassandraComponentId(int index) => $"cassandra-{index + 1}";

    public IReadOnlySet<string> ComponentIds =>
        new HashSet<string>(
            Instances.Select(i => i.Id)
                .Append(AdminNodeManager.AdminNodeManagerServer.ComponentId)
                .Append(Gateways.TraceLogServer.ComponentId)
                .Concat(CassandraAddresses.Select((_, i) => CassandraComponentId(i))),
            StringComparer.Ordinal);
}
