using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Lab.Faults;
using ApimConsole.Monitoring.Cassandra;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Cassandra;

internal sealed class TestFaults : IEndpointFaults
{
    private readonly ConcurrentDictionary<string, FaultMode> _modes = new();

    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromMilliseconds(150);

    public void Set(string componentId, FaultMode mode) => _modes[componentId] = mode;

    public FaultMode ModeFor(string datacenterId, string componentId, IPAddress? remote) =>
        _modes.GetValueOrDefault(componentId, FaultMode.None);
}

/// <summary>Three lab Cassandra nodes on <c>{subnet}.1..3</c> sharing one port.</summary>
internal sealed class LabRing : IAsyncDisposable
{
    public static readonly Guid SchemaVersion = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    private LabRing(List<CqlNodeServer> nodes, List<CqlNodeIdentity> identities)
    {
        Nodes = nodes;
        Identities = identities;
    }

    public IReadOnlyList<CqlNodeServer> Nodes { get; }

    public IReadOnlyList<CqlNodeIdentity> Identities { get; }

    public HostPort Endpoint(int node) => new(Identities[node].Address.ToString(), Identities[node].NativePort);

    public static async Task<LabRing> StartAsync(string subnet, IEndpointFaults faults, string releaseVersion = "4.0.11",
        string? username = null, string? password = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var nodes = new List<CqlNodeServer>();
            var identities = new List<CqlNodeIdentity>();
            var port = 0;
            try
            {
                for (var i = 0; i < 3; i++)
                {
                    var address = IPAddress.Parse($"{subnet}.{i + 1}");
                    var index = i;
                    var node = new CqlNodeServer(() => identities[index], () => identities, faults, NullLogger.Instance, username, password);
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

/// <summary>
/// A hostile CQL "server" on a raw TcpListener: for each request frame it reads, a script decides the bytes to send
/// back (null: close the connection).
/// </summary>
internal sealed class HostileCqlServer : IAsyncDisposable
{
    public delegate byte[]? Script(int requestIndex, short stream, CqlOpcode opcode);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="closeAfterRequest">Close the connection after replying to this request: how a truncated frame stays truncated.</param>
    public HostileCqlServer(Script script, int closeAfterRequest = int.MaxValue)
    {
        _listener.Start();
        _loop = ServeAsync(script, closeAfterRequest);
    }

    public HostPort Endpoint => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);

    private async Task ServeAsync(Script script, int closeAfterRequest)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var header = new byte[9];
                for (var index = 0; ; index++)
                {
                    if (await stream.ReadAtLeastAsync(header, 9, throwOnEndOfStream: false, _stop.Token) < 9)
                        break;
                    var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5))];
                    await stream.ReadExactlyAsync(body, _stop.Token);
                    var reply = script(index, BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2)), (CqlOpcode)header[4]);
                    if (reply is null)
                        break;
                    await stream.WriteAsync(reply, _stop.Token);
                    if (index >= closeAfterRequest)
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    // Well-formed responses, for scripts that go wrong only at one step.

    public static byte[] Response(short stream, CqlOpcode opcode, ReadOnlySpan<byte> body, byte version = 0x84) =>
        CqlFrameWriter.Frame(stream, opcode, body, version);

    public static byte[] Supported(short stream) => Response(stream, CqlOpcode.Supported,
        new CqlBodyWriter().Short(1).String("CQL_VERSION").Short(1).String("3.4.5").Written);

    public static byte[] Ready(short stream) => Response(stream, CqlOpcode.Ready, []);

    public static byte[] Error(short stream, int code, string message) =>
        Response(stream, CqlOpcode.Error, new CqlBodyWriter().Int(code).String(message).Written);

    /// <summary>A Rows result with text columns only.</summary>
    public static byte[] TextRows(short stream, string table, string[] columns, params string?[][] rows)
    {
        var body = new CqlBodyWriter().Int(2).Int(1).Int(columns.Length).String("system").String(table);
        foreach (var column in columns)
            body.String(column).Short(CqlColumnType.Varchar);
        body.Int(rows.Length);
        foreach (var row in rows)
        {
            foreach (var cell in row)
            {
                if (cell is null)
                    body.Int(-1);
                else
                    body.Bytes(System.Text.Encoding.UTF8.GetBytes(cell));
            }
        }
        return Response(stream, CqlOpcode.Result, body.Written);
    }

    /// <summary>A conversation that goes right up to the system.local query, where <paramref name="local"/> answers.</summary>
    public static Script UntilLocal(Func<short, byte[]?> local) => (index, stream, _) => index switch
    {
        0 => Supported(stream),
        1 => Ready(stream),
        2 => local(stream),
        _ => TextRows(stream, "peers", ["data_center"]),
    };
}
