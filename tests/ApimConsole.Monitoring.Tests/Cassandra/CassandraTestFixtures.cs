using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

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
