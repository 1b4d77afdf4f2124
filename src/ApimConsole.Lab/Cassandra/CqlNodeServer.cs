using System.Net;
using ApimConsole.Lab.Faults;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.Cassandra;

/// <summary>Who a lab Cassandra node says it is in system.local / system.peers.</summary>
public sealed record CqlNodeIdentity(
    string DatacenterId,
    string ComponentId,
    IPAddress Address,
    int NativePort,
    string DataCenter,
    string Rack,
    string ReleaseVersion,
    Guid HostId,
    Guid SchemaVersion,
    string ClusterName);

/// <summary>A TCP listener speaking CQL native protocol v4 (contract only; implemented by the Cassandra work).</summary>
public sealed class CqlNodeServer : IAsyncDisposable
{
    public CqlNodeServer(
        Func<CqlNodeIdentity> identity,
        Func<IReadOnlyList<CqlNodeIdentity>> peers,
        IEndpointFaults faults,
        ILogger logger,
        string? username = null,
        string? password = null)
    {
        Identity = identity;
        Peers = peers;
        Faults = faults;
        Logger = logger;
        Username = username;
        Password = password;
    }

    public Func<CqlNodeIdentity> Identity { get; }
    public Func<IReadOnlyList<CqlNodeIdentity>> Peers { get; }
    public IEndpointFaults Faults { get; }
    public ILogger Logger { get; }
    public string? Username { get; }
    public string? Password { get; }

    /// <summary>Binds to <paramref name="endpoint"/> and serves until disposed.</summary>
    public Task StartAsync(IPEndPoint endpoint, CancellationToken cancellationToken) => throw new NotImplementedException();

    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Closes every open connection (the node "stopped"); new connections are governed by the faults.</summary>
    public void DropConnections() => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
