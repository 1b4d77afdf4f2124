using System.Net;
using System.Net.Sockets;
using ApimConsole.Core.Configuration;

namespace ApimConsole.Monitoring.Cassandra;

/// <param name="Tls">Null: the node is spoken to in clear. Otherwise the probe opens TLS 1.2/1.3 before the first frame.</param>
public sealed record CassandraProbeRequest(HostPort Endpoint, string? Username, string? Password, CassandraTlsMaterial? Tls = null);

public sealed record CassandraLocalInfo(string? ClusterName, string? DataCenter, string? Rack, string? ReleaseVersion, Guid? SchemaVersion, Guid? HostId);

public sealed record CassandraPeerInfo(string? Address, string? DataCenter, string? Rack, string? ReleaseVersion, Guid? SchemaVersion, Guid? HostId, int? NativePort);

public sealed record CassandraProbeResult(bool Success, string? Failure, CassandraLocalInfo? Local, IReadOnlyList<CassandraPeerInfo> Peers)
{
    /// <summary>The probe failed because its deadline passed (not because the node refused or broke off).</summary>
    public bool TimedOut { get; init; }

    public static CassandraProbeResult Failed(string reason) => new(false, reason, null, []);
}

/// <summary>
/// One node's CQL connection kept open between probes by <see cref="CassandraProbe.ProbeLocalAsync"/>. Used by one
/// probe at a time; closed on any failure and on <see cref="Dispose"/>.
/// </summary>
public sealed class CassandraConnection : IDisposable
{
    private Socket? _socket;
    private Stream? _stream;

    internal CassandraProbe.Session? Session { get; private set; }

    /// <summary>Whether a connection is open from an earlier probe.</summary>
    public bool IsOpen => Session is not null;

    internal void Keep(Socket socket, Stream stream, CassandraProbe.Session session)
    {
        Close();
        (_socket, _stream, Session) = (socket, stream, session);
    }

    /// <summary>Closes the connection, if one is open; the next probe opens another.</summary>
    public void Close()
    {
        Session = null;
        _stream?.Dispose();
        _socket?.Dispose();
        (_socket, _stream) = (null, null);
    }

    public void Dispose() => Close();
}

/// <summary>
/// One look at a Cassandra node over CQL native protocol v4, on a fresh connection (or one kept from the last probe, see <see cref="ProbeLocalAsync"/>): OPTIONS, STARTUP (PLAIN
/// authentication when asked), then <c>system.local</c> and <c>system.peers_v2</c> (<c>system.peers</c> before 4.0).
/// Whatever the node does wrong becomes a failed result with a short reason; the whole probe is bounded by one deadline
/// and every frame by <c>maxFrameBytes</c>.
/// </summary>
public sealed class CassandraProbe
{
    internal const string LocalQuery =
        "SELECT cluster_name, data_center, rack, release_version, schema_version, host_id FROM system.local WHERE key='local'";
    internal const string PeersV2Query =
        "SELECT peer, native_address, native_port, data_center, rack, release_version, schema_version, host_id FROM system.peers_v2";
    internal const string PeersQuery =
        "SELECT peer, rpc_address, data_center, rack, release_version, schema_version, host_id FROM system.peers";

    // Events are never registered for, but a server may still push some; a bounded number is skipped.
    private const int MaxUnrelatedFrames = 16;

    private readonly int _maxFrameBytes;
    private readonly System.Net.IPAddress? _source;

    /// <param name="source">The local address connections leave from (<c>Estate:SourceAddress</c>); null: any.</param>
    public CassandraProbe(int maxFrameBytes = 1 << 20, System.Net.IPAddress? source = null)
    {
        _source = source;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 64);
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>
    /// Never throws, except <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="includePeers">False: only <c>system.local</c> is read and <see cref="CassandraProbeResult.Peers"/> is empty.</param>
    public Task<CassandraProbeResult> ProbeAsync(CassandraProbeRequest request, TimeSpan timeout, CancellationToken cancellationToken, bool includePeers = true) =>
        RunAsync(request, null, timeout, cancellationToken, includePeers);

    /// <summary>
    /// Reads the node's <c>system.local</c> on <paramref name="connection"/>, kept open from the last successful
    /// probe: one request and one answer instead of a connect and a handshake each time. A kept connection that
    /// fails (the node restarted, or dropped it) is closed and the probe tries once more on a fresh one; a timeout
    /// is not retried. Any failure leaves <paramref name="connection"/> closed. Never throws, except
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<CassandraProbeResult> ProbeLocalAsync(CassandraProbeRequest request, CassandraConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var reused = connection.IsOpen;
        var result = await RunAsync(request, connection, timeout, cancellationToken, includePeers: false).ConfigureAwait(false);
        if (!result.Success && reused && !result.TimedOut)
            result = await RunAsync(request, connection, timeout, cancellationToken, includePeers: false).ConfigureAwait(false);
        return result;
    }

    private async Task<CassandraProbeResult> RunAsync(CassandraProbeRequest request, CassandraConnection? kept, TimeSpan timeout, CancellationToken cancellationToken, bool includePeers)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var step = "connecting";
        Socket? socket = null;
        Stream? stream = null;
        Session? session = null;
        CassandraTlsHandshake? tls = null;
        var reused = false;
        var succeeded = false;
        try
        {
            if (kept?.Session is { } open)
            {
                session = open;
                session.Token = deadline.Token;
                reused = true;
            }
            else
            {
                socket = EstateSourceAddress.NewSocket(_source);
                await socket.ConnectAsync(request.Endpoint.Host, request.Endpoint.Port, deadline.Token).ConfigureAwait(false);
                stream = new NetworkStream(socket, ownsSocket: false);
                if (request.Tls is { } tlsMaterial)
                {
                    step = "TLS handshake";
                    tls = new CassandraTlsHandshake(request.Endpoint.Host, tlsMaterial);
                    stream = await tls.AuthenticateAsync(stream, deadline.Token).ConfigureAwait(false);
                }
                session = new Session(stream, _maxFrameBytes) { Token = deadline.Token };

                step = "waiting for SUPPORTED";
                var supported = await session.RequestAsync(CqlFrameWriter.Options(session.NextStream())).ConfigureAwait(false);
                Expect(supported, CqlOpcode.Supported, "OPTIONS");
                _ = new CqlBodyReader(supported.Body.Span).StringMultimap();

                step = "waiting for READY";
                var started = await session.RequestAsync(CqlFrameWriter.Startup(session.NextStream())).ConfigureAwait(false);
                if (started.Header.Opcode == CqlOpcode.Authenticate)
                {
                    var authenticator = new CqlBodyReader(started.Body.Span).String();
                    if (request.Username is null || request.Password is null)
                        return CassandraProbeResult.Failed($"authentication failed: the node requires credentials ({authenticator}) and none are configured");
                    step = "waiting for AUTH_SUCCESS";
                    var auth = await session.RequestAsync(CqlFrameWriter.PlainAuthResponse(session.NextStream(), request.Username, request.Password)).ConfigureAwait(false);
                    if (auth.Header.Opcode == CqlOpcode.Error)
                        return CassandraProbeResult.Failed($"authentication failed: {ErrorOf(auth)}");
                    if (auth.Header.Opcode == CqlOpcode.AuthChallenge)
                        return CassandraProbeResult.Failed($"authentication failed: {authenticator} sent a challenge PLAIN cannot answer");
                    Expect(auth, CqlOpcode.AuthSuccess, "AUTH_RESPONSE");
                }
                else
                {
                    Expect(started, CqlOpcode.Ready, "STARTUP");
                }
            }

            step = "querying system.local";
            var localFrame = await session.RequestAsync(CqlFrameWriter.Query(session.NextStream(), LocalQuery)).ConfigureAwait(false);
            Expect(localFrame, CqlOpcode.Result, "system.local query");
            var local = ReadLocal(CqlRows.Parse(localFrame.Body.Span));
            if (local is null)
                return CassandraProbeResult.Failed("system.local returned no row");
            if (!includePeers)
            {
                succeeded = true;
                return new CassandraProbeResult(true, null, local, []);
            }

            step = "querying system.peers_v2";
            var peersFrame = await session.RequestAsync(CqlFrameWriter.Query(session.NextStream(), PeersV2Query)).ConfigureAwait(false);
            var peersV2 = true;
            if (peersFrame.Header.Opcode == CqlOpcode.Error)
            {
                // Before Cassandra 4.0 there is no peers_v2: ask the old table.
                step = "querying system.peers";
                peersV2 = false;
                peersFrame = await session.RequestAsync(CqlFrameWriter.Query(session.NextStream(), PeersQuery)).ConfigureAwait(false);
            }
            Expect(peersFrame, CqlOpcode.Result, peersV2 ? "system.peers_v2 query" : "system.peers query");
            var peers = ReadPeers(CqlRows.Parse(peersFrame.Body.Span), peersV2);
            succeeded = true;
            return new CassandraProbeResult(true, null, local, peers);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return CassandraProbeResult.Failed($"timed out after {(long)timeout.TotalMilliseconds} ms ({step})") with { TimedOut = true };
        }
        catch (CassandraTlsException e)
        {
            return CassandraProbeResult.Failed(e.Message);
        }
        catch (Exception e) when (tls?.RefusedForWantOfAClientCertificate(e) is { } reason)
        {
            // TLS 1.3: the client's handshake ends before the server has judged its certificate; the refusal comes
            // as an alert on the first read.
            return CassandraProbeResult.Failed(reason);
        }
        catch (CqlProtocolException e)
        {
            return CassandraProbeResult.Failed(e.Message);
        }
        catch (SocketException e)
        {
            return CassandraProbeResult.Failed(Describe(e, step));
        }
        catch (IOException e) when (e.InnerException is SocketException inner)
        {
            return CassandraProbeResult.Failed(Describe(inner, step));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return CassandraProbeResult.Failed($"connection lost ({step}): {e.Message}");
        }
        catch (Exception e)
        {
            // A probe must not take the status engine down with it, whatever the peer sent.
            return CassandraProbeResult.Failed($"probe failed ({step}): {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (kept is not null && succeeded)
            {
                if (!reused)
                    kept.Keep(socket!, stream!, session!);
            }
            else
            {
                // A kept connection that failed may hold half a frame: never use it again.
                if (reused)
                    kept!.Close();
                if (stream is not null)
                    await stream.DisposeAsync().ConfigureAwait(false);
                socket?.Dispose();
            }
        }
    }

    private static string Describe(SocketException e, string step) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => $"connection reset by the node ({step})",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host not found: {e.Message}",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"unreachable: {e.Message}",
        SocketError.TimedOut => $"timed out ({step})",
        _ => $"network error ({step}): {e.Message}",
    };

    private static void Expect(CqlFrame frame, CqlOpcode expected, string request)
    {
        if (frame.Header.Opcode == expected)
            return;
        if (frame.Header.Opcode == CqlOpcode.Error)
            throw new CqlProtocolException($"{request} failed: {ErrorOf(frame)}");
        throw new CqlProtocolException($"unexpected response: {frame.Header.Opcode} to {request}, expected {expected}");
    }

    private static string ErrorOf(CqlFrame frame) => new CqlBodyReader(frame.Body.Span).Error().ToString();

    private static CassandraLocalInfo? ReadLocal(CqlRows rows)
    {
        if (rows.Rows.Count == 0)
            return null;
        var row = rows.Rows[0];
        return new CassandraLocalInfo(
            rows.Get<string>(row, "cluster_name"),
            rows.Get<string>(row, "data_center"),
            rows.Get<string>(row, "rack"),
            rows.Get<string>(row, "release_version"),
            rows.GetValue<Guid>(row, "schema_version"),
            rows.GetValue<Guid>(row, "host_id"));
    }

    private static List<CassandraPeerInfo> ReadPeers(CqlRows rows, bool peersV2)
    {
        var peers = new List<CassandraPeerInfo>(rows.Rows.Count);
        foreach (var row in rows.Rows)
        {
            // The client-facing address; a node bound to 0.0.0.0 reports that, and then only the gossip address helps.
            var address = rows.Get<IPAddress>(row, peersV2 ? "native_address" : "rpc_address");
            if (address is null || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
                address = rows.Get<IPAddress>(row, "peer");
            peers.Add(new CassandraPeerInfo(
                address?.ToString(),
                rows.Get<string>(row, "data_center"),
                rows.Get<string>(row, "rack"),
                rows.Get<string>(row, "release_version"),
                rows.GetValue<Guid>(row, "schema_version"),
                rows.GetValue<Guid>(row, "host_id"),
                peersV2 ? rows.GetValue<int>(row, "native_port") : null));
        }
        return peers;
    }

    /// <summary>One connection used synchronously: a request, then frames until the one on its stream.</summary>
    internal sealed class Session(Stream stream, int maxFrameBytes)
    {
        private readonly CqlFrameReader _reader = new(stream, maxFrameBytes);
        private short _stream;

        /// <summary>The deadline of the probe using the session now.</summary>
        public CancellationToken Token { get; set; }

        /// <summary>Stream ids 1 to 32767, round and round: a kept connection outlives any number of probes.</summary>
        public short NextStream() => _stream = _stream == short.MaxValue ? (short)1 : (short)(_stream + 1);

        public async Task<CqlFrame> RequestAsync(byte[] request)
        {
            var cancellationToken = Token;
            var streamId = System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(request.AsSpan(2));
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            for (var skipped = 0; ; skipped++)
            {
                var frame = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (frame.Header.Stream == streamId)
                    return WithoutPrefixes(frame);
                if (frame.Header.Stream >= 0)
                    throw new CqlProtocolException($"malformed frame: response on stream {frame.Header.Stream}, expected {streamId}");
                if (skipped == MaxUnrelatedFrames)
                    throw new CqlProtocolException("malformed frame: too many unrequested events");
            }
        }

        /// <summary>Strips what flags put before the message: a tracing id, warnings, a custom payload.</summary>
        private static CqlFrame WithoutPrefixes(CqlFrame frame)
        {
            var flags = frame.Header.Flags;
            if ((flags & CqlFrameHeader.FlagCompression) != 0)
                throw new CqlProtocolException("malformed frame: compressed body although no compression was negotiated");
            if ((flags & (CqlFrameHeader.FlagTracing | CqlFrameHeader.FlagWarning | CqlFrameHeader.FlagCustomPayload)) == 0)
                return frame;
            var reader = new CqlBodyReader(frame.Body.Span);
            if ((flags & CqlFrameHeader.FlagTracing) != 0)
                _ = reader.Uuid();
            if ((flags & CqlFrameHeader.FlagWarning) != 0)
                _ = reader.StringList();
            if ((flags & CqlFrameHeader.FlagCustomPayload) != 0)
                reader.SkipBytesMap();
            return frame with { Body = frame.Body[^reader.Remaining..] };
        }
    }
}
