using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ApimConsole.Core.Configuration;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// A TCP peer on 127.0.0.1 that misbehaves on purpose: it never answers, drips its answer a byte at a time, hangs up
/// half-way, or sends what a script says (broken JSON, broken CQL frames). It counts the connections it holds open, so
/// a test can check how many probes are in flight at once.
/// </summary>
/// <remarks>
/// A connection counts as open from accept until the peer sees the client's FIN or RST. Before each accept is counted,
/// every held connection is checked for an end of stream the kernel already has: a client that closed one connection
/// before opening the next is never counted twice, whichever completion the runtime delivers first.
/// </remarks>
public sealed class HostilePeer : IAsyncDisposable
{
    /// <summary>What the peer does with one accepted connection.</summary>
    public delegate Task Behaviour(HostileConnection connection, CancellationToken cancellationToken);

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Behaviour _behaviour;
    private readonly Lock _gate = new();
    private readonly List<HostileConnection> _open = [];
    private readonly List<Task> _handlers = [];
    private readonly Task _accepting;
    private int _peak;
    private int _accepted;

    public HostilePeer(Behaviour behaviour)
    {
        _behaviour = behaviour;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public HostPort Endpoint => new("127.0.0.1", Port);

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>The most connections that were open at once.</summary>
    public int PeakOpen
    {
        get
        {
            lock (_gate)
                return _peak;
        }
    }

    /// <summary>Connections open now (the client has not closed them).</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                Sweep();
                return _open.Count;
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var connection = new HostileConnection(socket);
            lock (_gate)
            {
                Sweep();
                _open.Add(connection);
                _peak = Math.Max(_peak, _open.Count);
                _accepted++;
                _handlers.Add(RunAsync(connection));
            }
        }
    }

    private async Task RunAsync(HostileConnection connection)
    {
        await Task.Yield();
        try
        {
            await _behaviour(connection, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client hung up or the peer is stopping: either way this connection is over.
        }
        finally
        {
            lock (_gate)
                _open.Remove(connection);
            connection.Dispose();
        }
    }

    /// <summary>Drops the connections whose client has closed (under the lock).</summary>
    private void Sweep() => _open.RemoveAll(c => c.ClosedByClient());

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting;
        Task[] handlers;
        lock (_gate)
        {
            handlers = [.. _handlers];
            foreach (var connection in _open)
                connection.Dispose();
        }
        await Task.WhenAll(handlers);
        _stop.Dispose();
    }

    // The behaviours the hostile suite uses.

    /// <summary>Accepts, reads whatever comes, answers nothing, holds the connection until the client gives up.</summary>
    public static HostilePeer NeverAnswering() => new((c, ct) => c.DiscardUntilClosedAsync(ct));

    /// <summary>Reads one HTTP request, then sends <paramref name="response"/> one byte every <paramref name="interval"/>.</summary>
    public static HostilePeer HttpDripping(byte[] response, TimeSpan interval) => new(async (c, ct) =>
    {
        if (await c.ReadHttpRequestAsync(ct) is null)
            return;
        await c.DripAsync(response, interval, ct);
        await c.DiscardUntilClosedAsync(ct);
    });

    /// <summary>Reads one HTTP request, sends the first half of <paramref name="response"/>, then closes (FIN) or resets (RST).</summary>
    public static HostilePeer HttpHalfAnswering(byte[] response, bool reset) => new(async (c, ct) =>
    {
        if (await c.ReadHttpRequestAsync(ct) is null)
            return;
        await c.WriteAsync(response.AsMemory(0, response.Length / 2), ct);
        c.Hangup(reset);
    });

    /// <summary>Answers every HTTP request with what <paramref name="answer"/> returns for its path (keep-alive).</summary>
    public static HostilePeer HttpAnswering(Func<string, byte[]> answer) => new(async (c, ct) =>
    {
        while (await c.ReadHttpRequestAsync(ct) is { } path)
            await c.WriteAsync(answer(path), ct);
    });

    /// <summary>
    /// Reads one HTTP request, then claims a body of <paramref name="contentLength"/> bytes and streams filler until the
    /// client hangs up (so the body costs the peer nothing, and the client only what it chooses to read).
    /// </summary>
    public static HostilePeer HttpHuge(long contentLength, byte filler = (byte)' ') => new(async (c, ct) =>
    {
        if (await c.ReadHttpRequestAsync(ct) is null)
            return;
        await c.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n["), ct);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, filler);
        for (long sent = 1; sent < contentLength; sent += chunk.Length)
            await c.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, contentLength - sent)), ct);
        await c.DiscardUntilClosedAsync(ct);
    });

    /// <summary>
    /// Reads CQL request frames; for each, <paramref name="script"/> gives the bytes to send (null: hang up at once).
    /// After <paramref name="closeAfterRequest"/> the connection is closed, so a short answer stays short.
    /// </summary>
    public static HostilePeer Cql(Func<int, short, byte[]?> script, int closeAfterRequest = int.MaxValue) => new(async (c, ct) =>
    {
        for (var index = 0; ; index++)
        {
            if (await c.ReadCqlRequestAsync(ct) is not { } stream)
                return;
            if (script(index, stream) is not { } reply)
                return;
            await c.WriteAsync(reply, ct);
            if (index >= closeAfterRequest)
                return;
        }
    });

    /// <summary>Reads the first CQL request, then drips <paramref name="reply"/> (given the request's stream) a byte at a time.</summary>
    public static HostilePeer CqlDripping(Func<short, byte[]> reply, TimeSpan interval) => new(async (c, ct) =>
    {
        if (await c.ReadCqlRequestAsync(ct) is not { } stream)
            return;
        await c.DripAsync(reply(stream), interval, ct);
        await c.DiscardUntilClosedAsync(ct);
    });

    /// <summary>Reads the first CQL request, sends half of the reply, then closes (FIN) or resets (RST).</summary>
    public static HostilePeer CqlHalfAnswering(Func<short, byte[]> reply, bool reset) => new(async (c, ct) =>
    {
        if (await c.ReadCqlRequestAsync(ct) is not { } stream)
            return;
        var bytes = reply(stream);
        await c.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), ct);
        c.Hangup(reset);
    });

    /// <summary>An HTTP/1.1 response with a Content-Length.</summary>
    public static byte[] HttpResponse(int status, string body, string contentType = "application/json") =>
        HttpResponse(status, Encoding.UTF8.GetBytes(body), contentType);

    public static byte[] HttpResponse(int status, byte[] body, string contentType = "application/json") =>
        [.. Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {(status == 200 ? "OK" : "Status")}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];

    /// <summary>A 9-byte CQL frame header with any values, honest or not.</summary>
    public static byte[] CqlHeader(byte version, short stream, byte opcode, int length, byte flags = 0)
    {
        var header = new byte[9];
        header[0] = version;
        header[1] = flags;
        BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(2), stream);
        header[4] = opcode;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), length);
        return header;
    }
}

/// <summary>One accepted connection of a <see cref="HostilePeer"/>.</summary>
public sealed class HostileConnection(Socket socket) : IDisposable
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _buffered;

    /// <summary>True when the client's FIN or RST has arrived and no unread byte is left before it.</summary>
    internal bool ClosedByClient()
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Reads until the client closes, keeping nothing.</summary>
    public async Task DiscardUntilClosedAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[4096];
        while (await socket.ReceiveAsync(scratch, SocketFlags.None, cancellationToken) > 0)
        {
        }
    }

    /// <summary>Reads one HTTP request's head (and a Content-Length body); its path, or null when the client closed.</summary>
    public async Task<string?> ReadHttpRequestAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffer.AsSpan(0, _buffered).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(_buffer, 0, end);
                var length = 0;
                foreach (var line in head.Split("\r\n"))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        length = int.Parse(line["Content-Length:".Length..].Trim());
                }
                await Consume(end + 4, cancellationToken);
                await Consume(length, cancellationToken);
                var requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
                return requestLine.Length > 1 ? requestLine[1] : "/";
            }
            if (!await FillAsync(cancellationToken))
                return null;
        }
    }

    /// <summary>Reads one CQL request frame; its stream id, or null when the client closed.</summary>
    public async Task<short?> ReadCqlRequestAsync(CancellationToken cancellationToken)
    {
        while (_buffered < 9)
        {
            if (!await FillAsync(cancellationToken))
                return null;
        }
        var stream = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(2));
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(5));
        await Consume(9, cancellationToken);
        await Consume(length, cancellationToken);
        return stream;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Sends one byte per <paramref name="interval"/>: a peer that is alive but never quite finishes.</summary>
    public async Task DripAsync(byte[] bytes, TimeSpan interval, CancellationToken cancellationToken)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await WriteAsync(bytes.AsMemory(i, 1), cancellationToken);
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>Closes the connection: an orderly FIN, or an RST (linger 0) as a crashed peer does.</summary>
    public void Hangup(bool reset)
    {
        if (reset)
            socket.LingerState = new LingerOption(true, 0);
        else
            socket.Shutdown(SocketShutdown.Send);
        socket.Close();
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_buffered == _buffer.Length)
            throw new IOException("request larger than the hostile peer's buffer");
        var read = await socket.ReceiveAsync(_buffer.AsMemory(_buffered), SocketFlags.None, cancellationToken);
        _buffered += read;
        return read > 0;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front, reading more as needed.</summary>
    private async Task Consume(int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_buffered == 0 && !await FillAsync(cancellationToken))
                return;
            var take = Math.Min(count, _buffered);
            Buffer.BlockCopy(_buffer, take, _buffer, 0, _buffered - take);
            _buffered -= take;
            count -= take;
        }
    }

    public void Dispose() => socket.Dispose();
}
