using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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

/// <summary>
/// Client-to-node encryption of a lab node, as <c>client_encryption_options</c> in cassandra.yaml: TLS 1.2/1.3 with
/// <paramref name="Certificate"/> (with its key); with <paramref name="RequireClientCertificate"/>
/// (<c>require_client_auth</c>) a client must present a certificate signed by one of
/// <paramref name="ClientAuthorities"/> (any certificate when null).
/// </summary>
public sealed record CqlNodeTls(X509Certificate2 Certificate, bool RequireClientCertificate = false, X509Certificate2Collection? ClientAuthorities = null);

/// <summary>
/// A TCP listener speaking CQL native protocol v3, v4, v5 (and v6-beta with USE_BETA) well enough for real drivers: OPTIONS, STARTUP (with LZ4
/// or Snappy frame compression; v5's checksummed segments, LZ4 only), the PasswordAuthenticator (SASL PLAIN), QUERY/PREPARE/EXECUTE on the system tables,
/// REGISTER. Any other protocol version gets ERROR 0x000A framed in a version the client can read, so drivers retry lower.
/// Each node is meant to listen on its own loopback address with the same port as its peers, as a real ring does,
/// so a driver that discovers peers from <c>system.peers</c> reaches them on the port it already knows.
/// </summary>
public sealed class CqlNodeServer : IAsyncDisposable
{
    /// <summary>The version the lab answers a version it does not speak in (one every driver reads).</summary>
    public const int ProtocolVersion = 4;

    /// <summary>
    /// The highest protocol version the lab speaks: v6-beta, as Cassandra 4.0, which speaks it as v5 (4.0 has no
    /// v6-only message) to a client that sets USE_BETA.
    /// </summary>
    public const int MaxProtocolVersion = 6;

    /// <summary>Frame flag a client must set to speak a beta version (spec v5 section 2.4.1.2).</summary>
    public const byte UseBetaFlag = 0x10;

    /// <summary>The lowest protocol version the lab speaks, as Cassandra 4.0 (v1 and v2 are refused).</summary>
    public const int MinProtocolVersion = 3;

    /// <summary>PROTOCOL_VERSIONS of SUPPORTED, in Cassandra's "num/description" form; see <c>Supported()</c>.</summary>
    public static readonly string[] SupportedProtocolVersions = ["3/v3", "4/v4", "5/v5", "6/v6-beta"];

    /// <summary>COMPRESSION of SUPPORTED: what Cassandra 4.0 lists (OptionsMessage / InitialConnectionHandler), in its order.</summary>
    public static readonly string[] SupportedCompressions = ["snappy", "lz4"];

    public const string Authenticator = "org.apache.cassandra.auth.PasswordAuthenticator";

    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly ConcurrentDictionary<string, string> _prepared = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private DateTimeOffset _startedAt;
    private long _nextConnectionId;

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

    /// <summary>Largest request body accepted; the spec allows 256 MB, the lab needs far less. Bigger frames close the connection.</summary>
    public int MaxRequestBodyBytes { get; init; } = 1 << 20;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Null: clear text. Otherwise every connection starts with a TLS handshake, as on a node with client encryption.</summary>
    public CqlNodeTls? Tls { get; init; }

    /// <summary>Longest a client may take over its TLS handshake before the node hangs up.</summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Hears every statement the node runs (QUERY, PREPARE, EXECUTE), before it runs.</summary>
    public Action<string>? StatementObserved { get; init; }

    /// <summary>Connections currently open (for tests and the lab panel).</summary>
    public int OpenConnections => _connections.Count;

    private long _compressedFramesReceived;
    private long _compressedFramesSent;

    /// <summary>Request frames that arrived with the compression flag and were decompressed (for tests: compression really happened).</summary>
    public long CompressedFramesReceived => Interlocked.Read(ref _compressedFramesReceived);

    /// <summary>Response frames sent compressed.</summary>
    public long CompressedFramesSent => Interlocked.Read(ref _compressedFramesSent);

    private bool RequiresAuthentication => Username is not null || Password is not null;

    /// <summary>Binds to <paramref name="endpoint"/> and serves until disposed.</summary>
    public Task StartAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_listener is not null)
            throw new InvalidOperationException("The node is already started.");
        var listener = new TcpListener(endpoint);
        listener.Start(backlog: 128);
        _listener = listener;
        _startedAt = Time.GetUtcNow();
        LocalEndPoint = (IPEndPoint)listener.LocalEndpoint;
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        Logger.LogDebug("CQL node listening on {Endpoint}", LocalEndPoint);
        return Task.CompletedTask;
    }

    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Closes every open connection (the node "stopped"); new connections are governed by the faults.</summary>
    public void DropConnections()
    {
        foreach (var connection in _connections.Values)
            connection.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        _stopping.Cancel();
        _listener?.Stop();
        DropConnections();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stopping.IsCancellationRequested)
                    return;
                Logger.LogDebug(e, "CQL accept failed");
                continue;
            }
            _ = ServeAsync(socket, stopping);
        }
    }

    private FaultMode CurrentMode(IPAddress? remote)
    {
        var self = Identity();
        return Faults.ModeFor(self.DatacenterId, self.ComponentId, remote);
    }

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        if (CurrentMode(remote) == FaultMode.Down || Faults.DropProbe(remote))
        {
            Connection.AbortSocket(socket);
            return;
        }

        socket.NoDelay = true;
        var connection = new Connection(this, socket, remote, stopping);
        var id = Interlocked.Increment(ref _nextConnectionId);
        _connections[id] = connection;
        try
        {
            // Registered after the stop check so DisposeAsync/DropConnections cannot miss it.
            if (stopping.IsCancellationRequested)
                return;
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or EndOfStreamException)
        {
            // The client went away, or the node dropped the connection.
        }
        catch (Exception e)
        {
            Logger.LogWarning(e, "CQL connection from {Remote} failed", remote);
        }
        finally
        {
            _connections.TryRemove(id, out _);
            connection.Abort();
            // Probes open a connection every few hundred milliseconds: what each one registered must go with it.
            connection.Dispose();
        }
    }

    /// <summary>One client connection: reads frames in order, answers each on its stream, possibly out of order.</summary>
    private sealed class Connection : IDisposable
    {
        private enum Phase { New, Authenticating, Ready }

        private readonly CqlNodeServer _server;
        private readonly Socket _socket;
        private Stream _stream;
        private readonly IPAddress? _remote;
        private readonly CancellationTokenSource _closed;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private Phase _phase = Phase.New;
        private string? _keyspace;
        // The connection's protocol version (3 or 4): that of its last frame until STARTUP, then fixed.
        private int _version;
        // Set by STARTUP's COMPRESSION; from then on request bodies flagged 0x01 are decompressed and responses compressed.
        private CqlFrameCompressor? _compressor;
        // v5: after the answer to STARTUP, envelopes travel in segments both ways (LZ4 at the segment level, if chosen).
        private bool _segmented;
        private Stream? _input;
        private int _aborted;

        public Connection(CqlNodeServer server, Socket socket, IPAddress? remote, CancellationToken stopping)
        {
            _server = server;
            _socket = socket;
            _remote = remote;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _closed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        }

        public static void AbortSocket(Socket socket)
        {
            try
            {
                // Linger 0: the peer sees a reset at once, as from a process that died.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) != 0)
                return;
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            AbortSocket(_socket);
        }

        /// <summary>After <see cref="Abort"/>: replies still pending see a cancelled token and give up.</summary>
        public void Dispose()
        {
            _closed.Dispose();
            _stream.Dispose();
        }

        public async Task RunAsync()
        {
            var token = _closed.Token;
            if (_server.Tls is { } tls)
                await StartTlsAsync(tls, token).ConfigureAwait(false);
            var header = new byte[9];
            _input = _stream;
            while (!token.IsCancellationRequested)
            {
                var input = _input;
                // A clean end of stream between frames is the client hanging up.
                if (await input.ReadAtLeastAsync(header.AsMemory(0, 1), 1, throwOnEndOfStream: false, token).ConfigureAwait(false) == 0)
                    return;
                var version = header[0] & 0x7F;
                // Protocol v1 and v2 have an 8-byte header with a one-byte stream id.
                var headerLength = version is 1 or 2 ? 8 : 9;
                await input.ReadExactlyAsync(header.AsMemory(1, headerLength - 1), token).ConfigureAwait(false);
                var flags = header[1];
                short streamId = headerLength == 8 ? (sbyte)header[2] : BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2));
                var opcode = header[headerLength - 5];
                var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(headerLength - 4));

                if ((header[0] & 0x80) != 0 || version is < MinProtocolVersion or > MaxProtocolVersion)
                {
                    var message = (header[0] & 0x80) != 0
                        ? "Invalid frame: a response frame was sent to the server"
                        : $"Invalid or unsupported protocol version ({version}); supported versions are ({string.Join(", ", SupportedProtocolVersions)})";
                    await SendErrorAndCloseAsync(ReplyVersionFor(version), streamId, CqlErrorCode.ProtocolError, message).ConfigureAwait(false);
                    return;
                }
                if (version == 6 && (flags & UseBetaFlag) == 0)
                {
                    // Cassandra's envelope decoder, word for word: drivers recognise "USE_BETA flag is unset" and retry lower.
                    await SendErrorAndCloseAsync(version, streamId, CqlErrorCode.ProtocolError,
                        "Beta version of the protocol used (6/v6-beta), but USE_BETA flag is unset").ConfigureAwait(false);
                    return;
                }
                if (_phase != Phase.New && version != _version)
                {
                    // Cassandra: a connection's version is the one its STARTUP came in (OPTIONS before it may be in any).
                    await SendErrorAndCloseAsync(_version, streamId, CqlErrorCode.ProtocolError,
                        $"Invalid message version. Got {version}/v{version} but previous messages on this connection had version {_version}/v{_version}").ConfigureAwait(false);
                    return;
                }
                _version = version;
                if (length < 0 || length > _server.MaxRequestBodyBytes)
                {
                    await SendErrorAndCloseAsync(_version, streamId, CqlErrorCode.ProtocolError,
                        $"Request is too big: length {length} exceeds maximum allowed length {_server.MaxRequestBodyBytes}").ConfigureAwait(false);
                    return;
                }
                var body = new byte[length];
                await input.ReadExactlyAsync(body, token).ConfigureAwait(false);

                // Faults can change while the connection is open: look again for every request.
                var mode = _server.CurrentMode(_remote);
                if (mode == FaultMode.Down)
                    return;
                if (mode == FaultMode.Hang)
                    continue;

                var compressor = _compressor;
                var (responseOpcode, responseBody, close) = Handle(flags, (CqlOpcode)opcode, body);
                // Once STARTUP has been received the node may compress every response, the STARTUP's own included
                // (spec section 5; drivers set their decompressor before sending STARTUP); an empty body is left as it is (a server "may only compress
                // frames above a certain size"). A refused STARTUP leaves no compressor, so its ERROR is in clear.
                compressor ??= (CqlOpcode)opcode == CqlOpcode.Startup ? _compressor : null;
                byte[] frame;
                if (_version >= 5)
                {
                    // v5: no envelope compression; the answer to STARTUP is the last envelope in the open, then segments.
                    frame = Frame(_version, streamId, responseOpcode, responseBody);
                    if (_segmented)
                    {
                        // A payload LZ4 cannot shrink goes as it is (uncompressed length 0), as the drivers do too.
                        frame = CqlSegments.Wrap(frame, _compressor is not null, out var compressedSegment);
                        if (compressedSegment)
                            Interlocked.Increment(ref _server._compressedFramesSent);
                    }
                    else if ((CqlOpcode)opcode == CqlOpcode.Startup && responseOpcode is CqlOpcode.Ready or CqlOpcode.Authenticate)
                    {
                        _segmented = true;
                        _input = new SegmentInput(this, _stream, _compressor is not null);
                    }
                }
                else
                {
                    frame = Frame(_version, streamId, responseOpcode, responseBody, compressor);
                    if ((frame[1] & 0x01) != 0)
                        Interlocked.Increment(ref _server._compressedFramesSent);
                }
                if (close)
                {
                    await WriteAsync(frame, token).ConfigureAwait(false);
                    return;
                }
                _ = ReplyAsync(frame, mode == FaultMode.Slow ? _server.Faults.SlowDelay : TimeSpan.Zero, token);
            }
        }

        private async Task StartTlsAsync(CqlNodeTls tls, CancellationToken token)
        {
            var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
            _stream = ssl;
            using var timeout = new CancellationTokenSource(_server.TlsHandshakeTimeout, _server.Time);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = tls.Certificate,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateRequired = tls.RequireClientCertificate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => AcceptClient(tls, certificate as X509Certificate2),
                }, handshake.Token).ConfigureAwait(false);
            }
            catch (AuthenticationException e)
            {
                // A client that does not speak TLS, or is refused: the node hangs up, as Cassandra does.
                _server.Logger.LogDebug(e, "CQL TLS handshake from {Remote} failed", _remote);
                throw new IOException("TLS handshake failed", e);
            }
        }

        private static bool AcceptClient(CqlNodeTls tls, X509Certificate2? certificate)
        {
            if (!tls.RequireClientCertificate)
                return true;
            if (certificate is null)
                return false;
            if (tls.ClientAuthorities is null)
                return true;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(tls.ClientAuthorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }

        /// <summary>The v5 segment reader, counting compressed segments as compressed frames received.</summary>
        private sealed class SegmentInput(Connection connection, Stream inner, bool lz4) : Stream
        {
            private readonly CqlSegments.ReadStream _segments = new(inner, lz4, () => Interlocked.Increment(ref connection._server._compressedFramesReceived));

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => _segments.Read(buffer, offset, count);
            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _segments.ReadAsync(buffer, cancellationToken);
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }

        private static int ReplyVersionFor(int requested) => requested is >= 1 and <= MaxProtocolVersion ? requested : ProtocolVersion;

        private async Task SendErrorAndCloseAsync(int version, short streamId, int code, string message)
        {
            var body = new CqlBodyWriter().Int(code).String(message);
            var frame = Frame(version, streamId, CqlOpcode.Error, body);
            // Once a v5 connection has switched to segments, even its last word goes in one.
            if (_segmented)
                frame = CqlSegments.Wrap(frame, _compressor is not null);
            await WriteAsync(frame, _closed.Token).ConfigureAwait(false);
        }

        private async Task ReplyAsync(byte[] frame, TimeSpan delay, CancellationToken token)
        {
            try
            {
                if (delay > TimeSpan.Zero)
                    await Task.Delay(delay, _server.Time, token).ConfigureAwait(false);
                await WriteAsync(frame, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Abort();
            }
        }

        private async Task WriteAsync(byte[] frame, CancellationToken token)
        {
            await _writeLock.WaitAsync(token).ConfigureAwait(false);
            try
            {
                await _stream.WriteAsync(frame, token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        private static byte[] Frame(int version, short streamId, CqlOpcode opcode, CqlBodyWriter body, CqlFrameCompressor? compressor = null)
        {
            var payload = body.Written.Span;
            var compressed = compressor is not null && payload.Length > 0;
            if (compressed)
                payload = compressor!.Compress(payload);
            var headerLength = version is 1 or 2 ? 8 : 9;
            var frame = new byte[headerLength + payload.Length];
            frame[0] = (byte)(0x80 | version);
            frame[1] = compressed ? (byte)0x01 : (byte)0;
            if (headerLength == 8)
                frame[2] = (byte)streamId;
            else
                BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), streamId);
            frame[headerLength - 5] = (byte)opcode;
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(headerLength - 4), payload.Length);
            payload.CopyTo(frame.AsSpan(headerLength));
            return frame;
        }

        private (CqlOpcode Opcode, CqlBodyWriter Body, bool Close) Handle(byte flags, CqlOpcode opcode, byte[] body)
        {
            try
            {
                if ((flags & 0x01) != 0)
                {
                    // STARTUP itself is never compressed: compression starts with the frames after it.
                    if (_version >= 5)
                        throw new CqlRequestException(CqlErrorCode.ProtocolError, "The compression flag is not used in protocol v5: segments are compressed, not envelopes");
                    if (_compressor is null)
                        throw new CqlRequestException(CqlErrorCode.ProtocolError, "Compression was not negotiated: the frame has the compression flag but STARTUP chose no COMPRESSION");
                    try
                    {
                        body = _compressor.Decompress(body, _server.MaxRequestBodyBytes);
                    }
                    catch (CqlCompressionException e)
                    {
                        throw new CqlRequestException(CqlErrorCode.ProtocolError, $"Cannot decompress the {_compressor.Name} frame body: {e.Message}");
                    }
                    Interlocked.Increment(ref _server._compressedFramesReceived);
                }
                var reader = new CqlBodyReader(body);
                // A custom payload ([bytes map]) comes before the message body (v4 only); the lab ignores it.
                if ((flags & 0x04) != 0 && _version >= 4)
                    reader.SkipBytesMap();
                return opcode switch
                {
                    CqlOpcode.Options => (CqlOpcode.Supported, Supported(), false),
                    CqlOpcode.Startup => Startup(ref reader),
                    CqlOpcode.AuthResponse => AuthResponse(ref reader),
                    CqlOpcode.Register => Register(ref reader),
                    CqlOpcode.Query => Query(ref reader),
                    CqlOpcode.Prepare => Prepare(ref reader),
                    CqlOpcode.Execute => Execute(ref reader),
                    CqlOpcode.Batch => throw Ready(opcode, new CqlRequestException(CqlErrorCode.Unauthorized, "The lab node accepts no writes")),
                    _ => throw new CqlRequestException(CqlErrorCode.ProtocolError, $"Unknown request opcode 0x{(byte)opcode:X2}"),
                };
            }
            catch (CqlRequestException e)
            {
                var error = new CqlBodyWriter().Int(e.Code).String(e.Message);
                if (e is CqlUnpreparedException unprepared)
                    error.ShortBytes(unprepared.Id);
                // A protocol error leaves the stream in an unknown state; a real node closes the connection too.
                return (CqlOpcode.Error, error, e.Code == CqlErrorCode.ProtocolError && _phase == Phase.New);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
            {
                // A lab bug must not look like a network fault: answer as a node would, with a server error.
                _server.Logger.LogWarning(e, "CQL node failed to answer {Opcode}", opcode);
                return (CqlOpcode.Error, new CqlBodyWriter().Int(CqlErrorCode.ServerError).String($"Server error: {e.Message}"), false);
            }
        }

        private CqlRequestException Ready(CqlOpcode opcode, CqlRequestException otherwise) => _phase switch
        {
            Phase.New => new CqlRequestException(CqlErrorCode.ProtocolError, $"Unexpected message {opcode.ToString().ToUpperInvariant()}, expecting STARTUP or OPTIONS"),
            Phase.Authenticating => new CqlRequestException(CqlErrorCode.ProtocolError, $"Unexpected message {opcode.ToString().ToUpperInvariant()}, expecting SASL response"),
            _ => otherwise,
        };

        private void EnsureReady(CqlOpcode opcode)
        {
            if (_phase != Phase.Ready)
                throw Ready(opcode, new CqlRequestException(CqlErrorCode.ServerError, "unreachable"));
        }

        /// <summary>
        /// What the node offers, truthfully. Cassandra 4.0 answers OPTIONS (transport/InitialConnectionHandler.java and
        /// messages/OptionsMessage.java) with CQL_VERSION [QueryProcessor.CQL_VERSION] = ["3.4.5"], COMPRESSION
        /// ["snappy", "lz4"] (snappy when its library loads; "LZ4 is always available") and PROTOCOL_VERSIONS
        /// ProtocolVersion.supportedVersions() = ["3/v3", "4/v4", "5/v5", "6/v6-beta"]: v5 left beta in 4.0-beta5 and
        /// v6 came in as the beta (ProtocolVersion.java: V5(5, "v5", false), V6(6, "v6-beta", true); a 4.0.0 node logs
        /// "Native protocol supported versions: 3/v3, 4/v4, 5/v5, 6/v6-beta (default: 5/v5)"; "5/v5-beta" is what
        /// 3.10-3.11 listed). The lab implements all of it: CQL 3.4.5's system tables, both compressions, v3, v4, v5,
        /// and v6-beta for clients that set USE_BETA (spoken as v5, as 4.0 does), so it lists exactly what 4.0 lists.
        /// </summary>
        private static CqlBodyWriter Supported() => new CqlBodyWriter().StringMultimap(new Dictionary<string, string[]>
        {
            ["CQL_VERSION"] = [CqlSystemTables.CqlVersion],
            ["COMPRESSION"] = SupportedCompressions,
            ["PROTOCOL_VERSIONS"] = SupportedProtocolVersions,
        });

        private (CqlOpcode, CqlBodyWriter, bool) Startup(ref CqlBodyReader reader)
        {
            if (_phase != Phase.New)
                throw new CqlRequestException(CqlErrorCode.ProtocolError, "Unexpected message STARTUP, the connection is already initialized");
            var options = reader.StringMap();
            if (!options.ContainsKey("CQL_VERSION"))
                throw new CqlRequestException(CqlErrorCode.ProtocolError, "CQL_VERSION is mandatory");
            // Keys are upper-cased and the value lower-cased, as Cassandra's StartupMessage does.
            var compression = options.FirstOrDefault(o => string.Equals(o.Key, "COMPRESSION", StringComparison.OrdinalIgnoreCase)).Value;
            if (compression is not null)
            {
                var chosen = CqlFrameCompressor.ForName(compression)
                    ?? throw new CqlRequestException(CqlErrorCode.ProtocolError, $"Unknown compression algorithm: {compression.ToLowerInvariant()}");
                // v5 segments are compressed with LZ4 only (spec v5 section 2.2).
                if (_version >= 5 && chosen != CqlFrameCompressor.Lz4)
                    throw new CqlRequestException(CqlErrorCode.ProtocolError, $"Compression {chosen.Name} is not supported with protocol v5 (segments are compressed with lz4 only)");
                _compressor = chosen;
            }
            if (_server.RequiresAuthentication)
            {
                _phase = Phase.Authenticating;
                return (CqlOpcode.Authenticate, new CqlBodyWriter().String(Authenticator), false);
            }
            _phase = Phase.Ready;
            return (CqlOpcode.Ready, new CqlBodyWriter(), false);
        }

        private (CqlOpcode, CqlBodyWriter, bool) AuthResponse(ref CqlBodyReader reader)
        {
            if (_phase != Phase.Authenticating)
                throw new CqlRequestException(CqlErrorCode.ProtocolError, "Unexpected message AUTH_RESPONSE, no authentication in progress");
            // SASL PLAIN: [authzid] NUL authcid NUL password.
            var parts = Encoding.UTF8.GetString(reader.Bytes()).Split('\0');
            var (user, password) = parts.Length switch
            {
                3 => (parts[1], parts[2]),
                2 => (parts[0], parts[1]),
                _ => throw new CqlRequestException(CqlErrorCode.BadCredentials, "Authentication failed: the SASL PLAIN token is malformed"),
            };
            if (!FixedTimeEquals(user, _server.Username) || !FixedTimeEquals(password, _server.Password))
                throw new CqlRequestException(CqlErrorCode.BadCredentials, $"Provided username {user} and/or password are incorrect");
            _phase = Phase.Ready;
            return (CqlOpcode.AuthSuccess, new CqlBodyWriter().Bytes([], isNull: true), false);
        }

        private static bool FixedTimeEquals(string given, string? expected) =>
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected ?? ""));

        private (CqlOpcode, CqlBodyWriter, bool) Register(ref CqlBodyReader reader)
        {
            EnsureReady(CqlOpcode.Register);
            foreach (var eventType in reader.StringList())
            {
                if (eventType is not ("TOPOLOGY_CHANGE" or "STATUS_CHANGE" or "SCHEMA_CHANGE"))
                    throw new CqlRequestException(CqlErrorCode.ProtocolError, $"Invalid value '{eventType}' for Event.Type");
            }
            // The lab never pushes events: its topology only changes by faults, which drivers see as lost connections.
            return (CqlOpcode.Ready, new CqlBodyWriter(), false);
        }

        private (CqlOpcode, CqlBodyWriter, bool) Query(ref CqlBodyReader reader)
        {
            EnsureReady(CqlOpcode.Query);
            var statement = reader.LongString();
            var parameters = ReadQueryParameters(ref reader, _version);
            return (CqlOpcode.Result, Run(statement, parameters), false);
        }

        private (CqlOpcode, CqlBodyWriter, bool) Prepare(ref CqlBodyReader reader)
        {
            EnsureReady(CqlOpcode.Prepare);
            var statement = reader.LongString();
            // Run it once, markers unbound: a statement that cannot run cannot be prepared.
            _server.StatementObserved?.Invoke(statement);
            var result = CqlSystemTables.Execute(statement, _keyspace, _server.Identity(), _server.Peers(), _server._startedAt);
            var id = MD5.HashData(Encoding.UTF8.GetBytes((_keyspace ?? "") + "\n" + statement));
            _server._prepared[Convert.ToHexString(id)] = statement;

            // Prepared: <id><metadata><result_metadata>; the metadata describes the bind markers and, from v4 on,
            // gives the indexes of those that bind the partition key (what token-aware drivers route by).
            var body = new CqlBodyWriter().Int(0x0004).ShortBytes(id);
            // v5: <result_metadata_id> follows the id; the lab's result metadata never changes, so it is fixed per statement.
            if (_version >= 5)
                body.ShortBytes(ResultMetadataId(statement));
            if (result is CqlRowsResult rows)
            {
                var markers = rows.Markers;
                body.Int(markers.Count > 0 ? 0x0001 : 0).Int(markers.Count);
                if (_version >= 4)
                {
                    body.Int(rows.PartitionKeyMarkers.Count);
                    foreach (var index in rows.PartitionKeyMarkers)
                        body.Short((ushort)index);
                }
                if (markers.Count > 0)
                {
                    body.String(rows.Table.Keyspace).String(rows.Table.Name);
                    foreach (var marker in markers)
                    {
                        body.String(marker.Name);
                        marker.Type.WriteOption(body);
                    }
                }
                WriteRowsMetadata(body, rows, skipMetadata: false, pagingState: null);
            }
            else
            {
                body.Int(0).Int(0);
                if (_version >= 4)
                    body.Int(0);
                body.Int(0x0004).Int(0);
            }
            return (CqlOpcode.Result, body, false);
        }

        private (CqlOpcode, CqlBodyWriter, bool) Execute(ref CqlBodyReader reader)
        {
            EnsureReady(CqlOpcode.Execute);
            var id = reader.ShortBytes().ToArray();
            if (_version >= 5)
                _ = reader.ShortBytes(); // result_metadata_id: the metadata never changes, so METADATA_CHANGED is never set
            var parameters = ReadQueryParameters(ref reader, _version);
            if (!_server._prepared.TryGetValue(Convert.ToHexString(id), out var statement))
                throw new CqlUnpreparedException(id);
            return (CqlOpcode.Result, Run(statement, parameters), false);
        }

        private static byte[] ResultMetadataId(string statement) => MD5.HashData(Encoding.UTF8.GetBytes("result metadata\n" + statement));

        /// <summary>What a QUERY or EXECUTE asks beside its statement (spec section 4.1.4).</summary>
        private sealed record QueryParameters(IReadOnlyList<byte[]?> Values, bool SkipMetadata, int PageSize, byte[]? PagingState);

        /// <summary>
        /// Reads &lt;consistency&gt;&lt;flags&gt;[values][result_page_size][paging_state][serial_consistency][timestamp].
        /// Named values (flag 0x40) are taken in the order sent; a not-set value (-2, v4) is refused, as for a
        /// restriction; in v3, which has no not-set value, every negative length is null.
        /// </summary>
        private static QueryParameters ReadQueryParameters(ref CqlBodyReader reader, int version)
        {
            _ = reader.Short();
            // v5 widened the flags to an [int] (keyspace 0x80 and now_in_seconds 0x100 come after the paging state).
            var flags = version >= 5 ? reader.Int() : reader.Byte();
            var values = new List<byte[]?>();
            if ((flags & 0x01) != 0)
            {
                var count = reader.Short();
                for (var i = 0; i < count; i++)
                {
                    if ((flags & 0x40) != 0)
                        _ = reader.String();
                    var length = reader.Int();
                    if (length == -2 && version >= 4)
                        throw new CqlRequestException(CqlErrorCode.Invalid, $"Invalid unset value for bind variable {i}");
                    values.Add(length < 0 ? null : reader.Raw(length).ToArray());
                }
            }
            var pageSize = 0;
            if ((flags & 0x04) != 0)
                pageSize = reader.Int();
            byte[]? pagingState = null;
            if ((flags & 0x08) != 0)
            {
                var length = reader.Int();
                pagingState = length < 0 ? null : reader.Raw(length).ToArray();
            }
            return new QueryParameters(values, (flags & 0x02) != 0, pageSize, pagingState);
        }

        private CqlBodyWriter Run(string statement, QueryParameters parameters)
        {
            _server.StatementObserved?.Invoke(statement);
            var result = CqlSystemTables.Execute(statement, _keyspace, _server.Identity(), _server.Peers(), _server._startedAt, parameters.Values);
            switch (result)
            {
                case CqlSetKeyspaceResult use:
                    _keyspace = use.Keyspace;
                    return new CqlBodyWriter().Int(0x0003).String(use.Keyspace);
                case CqlRowsResult rows:
                    var (first, count, next) = Page(statement, parameters, rows.Rows.Count);
                    var body = new CqlBodyWriter().Int(0x0002);
                    WriteRowsMetadata(body, rows, parameters.SkipMetadata, next);
                    body.Int(count);
                    for (var r = first; r < first + count; r++)
                    {
                        var row = rows.Rows[r];
                        for (var i = 0; i < rows.Columns.Count; i++)
                            rows.Columns[i].Type.WriteCell(body, row[i]);
                    }
                    return body;
                default:
                    return new CqlBodyWriter().Int(0x0001);
            }
        }

        /// <summary>
        /// The rows of this page and the paging state of the next (null on the last page). The state is the offset
        /// of the next row and a hash of the statement and its values, so a state is only honoured for the query
        /// that made it. The lab's tables do not change between pages, so an offset walks every row exactly once.
        /// </summary>
        private static (int First, int Count, byte[]? Next) Page(string statement, QueryParameters parameters, int total)
        {
            if (parameters.PageSize <= 0)
                return (0, total, null);
            var fingerprint = QueryFingerprint(statement, parameters.Values);
            var first = 0;
            if (parameters.PagingState is { } state)
            {
                if (state.Length != 8 || !state.AsSpan(4).SequenceEqual(fingerprint) || (first = BinaryPrimitives.ReadInt32BigEndian(state)) < 0 || first > total)
                    throw new CqlRequestException(CqlErrorCode.ProtocolError, "Invalid value for the paging state");
            }
            var count = Math.Min(parameters.PageSize, total - first);
            if (first + count >= total)
                return (first, count, null);
            var next = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(next, first + count);
            fingerprint.CopyTo(next, 4);
            return (first, count, next);
        }

        private static byte[] QueryFingerprint(string statement, IReadOnlyList<byte[]?> values)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(Encoding.UTF8.GetBytes(statement));
            foreach (var value in values)
            {
                hash.AppendData(BitConverter.GetBytes(value?.Length ?? -1));
                if (value is not null)
                    hash.AppendData(value);
            }
            return hash.GetHashAndReset()[..4];
        }

        /// <summary>Rows metadata: &lt;flags&gt;&lt;columns_count&gt;[&lt;paging_state&gt;][&lt;global_table_spec&gt;&lt;col_spec&gt;...].</summary>
        private static void WriteRowsMetadata(CqlBodyWriter body, CqlRowsResult rows, bool skipMetadata, byte[]? pagingState)
        {
            const int globalTablesSpec = 0x0001, hasMorePages = 0x0002, noMetadata = 0x0004;
            var flags = (skipMetadata ? noMetadata : globalTablesSpec) | (pagingState is null ? 0 : hasMorePages);
            body.Int(flags).Int(rows.Columns.Count);
            if (pagingState is not null)
                body.Bytes(pagingState);
            if (skipMetadata)
                return;
            body.String(rows.Table.Keyspace).String(rows.Table.Name);
            foreach (var column in rows.Columns)
            {
                body.String(column.Name);
                column.Type.WriteOption(body);
            }
        }
    }
}

/// <summary>EXECUTE of an id the node does not know: ERROR 0x2500 carries the id so the driver re-prepares.</summary>
internal sealed class CqlUnpreparedException(byte[] id)
    : CqlRequestException(CqlErrorCode.Unprepared, $"Prepared query with ID {Convert.ToHexString(id).ToLowerInvariant()} not found")
{
    public byte[] Id { get; } = id;
}
