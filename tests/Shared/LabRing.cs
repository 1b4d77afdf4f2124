using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Lab.Faults;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Testing;

/// <summary>A fault registry the test sets by hand.</summary>
internal sealed class TestFaults : IEndpointFaults
{
    private readonly ConcurrentDictionary<string, FaultMode> _modes = new();

    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromMilliseconds(150);

    public void Set(string componentId, FaultMode mode) => _modes[componentId] = mode;

    public FaultMode ModeFor(string datacenterId, string componentId, IPAddress? remote) =>
        _modes.GetValueOrDefault(componentId, FaultMode.None);
}

/// <summary>
/// Lab Cassandra nodes of one datacenter on <c>{subnet}.1..count</c>, all on one port, as a real ring listens. The one
/// fixture for the lab's own CQL tests and the monitoring probe's tests against a real lab node.
/// </summary>
internal sealed class LabRing : IAsyncDisposable
{
    private LabRing(List<CqlNodeServer> nodes, List<CqlNodeIdentity> identities)
    {
        Nodes = nodes;
        Identities = identities;
    }

    public IReadOnlyList<CqlNodeServer> Nodes { get; }

    public IReadOnlyList<CqlNodeIdentity> Identities { get; }

    public static Guid SchemaVersion { get; } = Guid.Parse("5b4c7a2e-1f0d-4c3b-9a8e-7d6c5b4a3f21");

    /// <summary>Where a client reaches node <paramref name="node"/> (0-based).</summary>
    public HostPort Endpoint(int node) => new(Identities[node].Address.ToString(), Identities[node].NativePort);

    public static async Task<LabRing> StartAsync(IEndpointFaults faults, int count = 3, string releaseVersion = "4.0.11",
        string? username = null, string? password = null, string subnet = "127.0.1")
    {
        // The first node picks a free port; the others reuse it on their own address. Another process could hold
        // that port on one of the other addresses, so try a few times.
        for (var attempt = 0; ; attempt++)
        {
            var nodes = new List<CqlNodeServer>();
            var identities = new List<CqlNodeIdentity>();
            var port = 0;
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var address = IPAddress.Parse($"{subnet}.{i + 1}");
                    var index = i;
                    var node = new CqlNodeServer(
                        () => identities[index],
                        () => identities,
                        faults,
                        NullLogger.Instance,
                        username,
                        password);
                    await node.StartAsync(new IPEndPoint(address, port), CancellationToken.None);
                    port = node.LocalEndPoint!.Port;
                    nodes.Add(node);
                    identities.Add(new CqlNodeIdentity("dc1", $"cassandra-{i + 1}", address, port, "DC1", $"rack{i + 1}",
                        releaseVersion, Guid.NewGuid(), SchemaVersion, "apim-lab"));
                }
                return new LabRing(nodes, identities);
            }
            catch (SocketException) when (attempt < 5)
            {
                foreach (var node in nodes)
                    await node.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            await node.DisposeAsync();
    }
}
