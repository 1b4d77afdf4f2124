using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>A raw CQL client for looking at exactly what the node sends.</summary>
internal sealed class RawCqlClient : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;

    public static async Task<RawCqlClient> ConnectAsync(IPEndPoint endpoint)
    {
        var client = new RawCqlClient();
        await client._client.ConnectAsync(endpoint);
        client._stream = client._client.GetStream();
        return client;
    }

    public Task SendAsync(byte version, short stream, byte opcode, byte[] body)
    {
        var frame = new byte[9 + body.Length];
        frame[0] = version;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, 9);
        return _stream.WriteAsync(frame).AsTask();
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Reads one 9-byte-header frame, or null at end of stream.</summary>
    public async Task<(byte Version, short Stream, byte Opcode, byte[] Body)?> ReadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[9];
        var read = await _stream.ReadAtLeastAsync(header, 9, throwOnEndOfStream: false, cts.Token);
        if (read < 9)
            return null;
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5))];
        await _stream.ReadExactlyAsync(body, cts.Token);
        return (header[0], BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2)), header[4], body);
    }

    public async Task<byte[]> ReadExactAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var bytes = new byte[count];
        await _stream.ReadExactlyAsync(bytes, cts.Token);
        return bytes;
    }

    /// <summary>True when the node closes (or resets) the connection within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(buffer, cts.Token) == 0)
                    return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static byte[] StringMap(params (string Key, string Value)[] entries)
    {
        var body = new List<byte>();
        AddShort(body, entries.Length);
        foreach (var (key, value) in entries)
        {
            AddString(body, key);
            AddString(body, value);
        }
        return body.ToArray();
    }

    public static byte[] Startup() => StringMap(("CQL_VERSION", "3.0.0"));

    public static byte[] Query(string statement, byte flags = 0)
    {
        var body = new List<byte>();
        var bytes = Encoding.UTF8.GetBytes(statement);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        body.AddRange(length);
        body.AddRange(bytes);
        AddShort(body, 1);
        body.Add(flags);
        return body.ToArray();
    }

    public static byte[] PlainToken(string user, string password)
    {
        var token = Encoding.UTF8.GetBytes($"\0{user}\0{password}");
        var body = new byte[4 + token.Length];
        BinaryPrimitives.WriteInt32BigEndian(body, token.Length);
        token.CopyTo(body, 4);
        return body;
    }

    public static (int Code, string Message) Error(byte[] body)
    {
        var code = BinaryPrimitives.ReadInt32BigEndian(body);
        var length = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(4));
        return (code, Encoding.UTF8.GetString(body, 6, length));
    }

    private static void AddShort(List<byte> body, int value)
    {
        body.Add((byte)(value >> 8));
        body.Add((byte)value);
    }

    private static void AddString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        AddShort(body, bytes.Length);
        body.AddRange(bytes);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
