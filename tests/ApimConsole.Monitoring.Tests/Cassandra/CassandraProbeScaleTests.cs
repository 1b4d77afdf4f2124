using System.Collections.Concurrent;
using System.Net;
using ApimConsole.Core.Configuration;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Monitoring.Cassandra;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>
/// What one status-engine probe asks of a node, counted at the node: the same whatever the size of the ring, so
/// probing a ring of n nodes is n statements per interval, not n².
/// </summary>
public sealed class CassandraProbeScaleTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(60)]
    public async Task WithoutPeers_TheProbeRunsOneStatement_WhateverTheRingSize(int ringSize)
    {
        var statements = new ConcurrentQueue<string>();
        var address = IPAddress.Parse("127.0.5.1");
        var peers = Enumerable.Range(2, ringSize - 1)
            .Select(i => new CqlNodeIdentity("dc1", $"cassandra-{i}", IPAddress.Parse($"127.0.5.{i}"), 9042, "DC1", "RAC1", "4.0.13", Guid.NewGuid(), Guid.Empty, "apim-lab"))
            .ToList();
        CqlNodeIdentity? self = null;
        await using var node = new CqlNodeServer(() => self!, () => peers, new TestFaults(), NullLogger.Instance)
        {
            StatementObserved = statements.Enqueue,
        };
        await node.StartAsync(new IPEndPoint(address, 0), CancellationToken.None);
        self = new CqlNodeIdentity("dc1", "cassandra-1", address, node.LocalEndPoint!.Port, "DC1", "RAC1", "4.0.13", Guid.NewGuid(), Guid.Empty, "apim-lab");
        var request = new CassandraProbeRequest(new HostPort(address.ToString(), node.LocalEndPoint.Port), null, null);
        var probe = new CassandraProbe();

        var engineProbe = await probe.ProbeAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None, includePeers: false);

        Assert.True(engineProbe.Success, engineProbe.Failure);
        Assert.Equal(self.HostId, engineProbe.Local!.HostId);
        Assert.Empty(engineProbe.Peers);
        Assert.Contains("FROM system.local", Assert.Single(statements));

        // The full look (for the pages that show the ring) still reads the peers: one more statement, n-1 rows.
        statements.Clear();
        var full = await probe.ProbeAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(full.Success, full.Failure);
        Assert.Equal(ringSize - 1, full.Peers.Count);
        Assert.Collection(statements,
            s => Assert.Contains("FROM system.local", s),
            s => Assert.Contains("FROM system.peers_v2", s));
    }

    [Fact]
    public async Task KeptConnection_OneStatementPerProbe_ReconnectsAfterADrop_ClosesOnFailure()
    {
        var statements = new ConcurrentQueue<string>();
        var faults = new TestFaults();
        var address = IPAddress.Parse("127.0.5.101");
        CqlNodeIdentity? self = null;
        await using var node = new CqlNodeServer(() => self!, () => [], faults, NullLogger.Instance, "cassandra", "cassandra")
        {
            StatementObserved = statements.Enqueue,
        };
        await node.StartAsync(new IPEndPoint(address, 0), CancellationToken.None);
        self = new CqlNodeIdentity("dc1", "cassandra-1", address, node.LocalEndPoint!.Port, "DC1", "RAC1", "4.0.13", Guid.NewGuid(), Guid.Empty, "apim-lab");
        var request = new CassandraProbeRequest(new HostPort(address.ToString(), node.LocalEndPoint.Port), "cassandra", "cassandra");
        var probe = new CassandraProbe();
        using var connection = new CassandraConnection();

        for (var i = 0; i < 3; i++)
        {
            var result = await probe.ProbeLocalAsync(request, connection, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.True(result.Success, result.Failure);
            Assert.True(connection.IsOpen);
            Assert.Equal(1, node.OpenConnections);
        }
        Assert.Equal(3, statements.Count);

        // The node drops its connections (it restarted): the next probe notices and succeeds on a new one.
        node.DropConnections();
        var afterDrop = await probe.ProbeLocalAsync(request, connection, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(afterDrop.Success, afterDrop.Failure);
        Assert.True(connection.IsOpen);

        // The node goes down: the probe fails and keeps nothing.
        faults.Set("cassandra-1", Lab.Faults.FaultMode.Down);
        var down = await probe.ProbeLocalAsync(request, connection, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(down.Success);
        Assert.False(connection.IsOpen);
    }
}
