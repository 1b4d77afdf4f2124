using System.Buffers.Binary;
using System.Text;
using ApimConsole.Lab.Cassandra;
using Xunit.Abstractions;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// What a lab node lists in SUPPORTED and honours: LZ4 and Snappy frame compression chosen by STARTUP (raw frames
/// here, and the DataStax python driver with <c>compression='lz4'</c> / <c>'snappy'</c>), protocol v3 beside v4, and
/// a refusal of v7 and up that drivers downgrade from (v5 and v6-beta: <see cref="CqlNodeV5Tests"/>).
/// </summary>
public sealed class CqlNodeCompressionAndV3Tests(ITestOutputHelper log) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private const string InstallHint = "the DataStax python driver with lz4 and snappy is needed: apt-get install -y python3-cassandra python3-lz4 python3-snappy";
    private LabRing _ring = null!;

    public async Task InitializeAsync() => _ring = await LabRing.StartAsync(new TestFaults(), subnet: "127.0.41");

    public async Task DisposeAsync() => await _ring.DisposeAsync();

    private CqlNodeServer Node => _ring.Nodes[0];

    private static byte[] Frame(byte version, byte flags, short stream, byte opcode, byte[] body)
    {
        var frame = new byte[9 + body.Length];
        frame[0] = version;
        frame[1] = flags;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>Reads one frame with its flags.</summary>
    private static async Task<(byte Version, byte Flags, short Stream, byte Opcode, byte[] Body)> ReadFrameAsync(RawCqlClient client)
    {
        var header = await client.ReadExactAsync(9, Wait);
        var body = await client.ReadExactAsync(BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)), Wait);
        return (header[0], header[1], BinaryPrimitives.ReadInt16BigEndian(header.AsSpan(2)), header[4], body);
    }

    [Theory]
    [InlineData("lz4")]
    [InlineData("snappy")]
    [InlineData("LZ4")]
    public async Task StartupWithCompression_ThenCompressedQuery_GetsACompressedResult(string compression)
    {
        var codec = CqlFrameCompressor.ForName(compression)!;
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        var receivedBefore = Node.CompressedFramesReceived;
        var sentBefore = Node.CompressedFramesSent;

        await client.SendRawAsync(Frame(0x04, 0, 1, 0x01, RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", compression))));
        var ready = await ReadFrameAsync(client);
        Assert.Equal(0x02, ready.Opcode);
        Assert.Empty(ready.Body); // READY has no body; an empty body is not worth compressing

        var query = codec.Compress(RawCqlClient.Query("SELECT data_center, rack FROM system.local"));
        await client.SendRawAsync(Frame(0x04, 0x01, 2, 0x07, query));
        var result = await ReadFrameAsync(client);

        Assert.Equal(0x84, result.Version);
        Assert.Equal(0x08, result.Opcode);
        Assert.Equal(0x01, result.Flags & 0x01);
        var body = codec.Decompress(result.Body, 1 << 20);
        Assert.Equal(0x0002, BinaryPrimitives.ReadInt32BigEndian(body)); // Rows
        Assert.Contains("DC1", Encoding.UTF8.GetString(body));
        Assert.Equal(1, Node.CompressedFramesReceived - receivedBefore);
        Assert.Equal(1, Node.CompressedFramesSent - sentBefore);

        // A request in clear is still fine after compression was chosen (compressing is never mandatory).
        await client.SendAsync(0x04, 3, 0x07, RawCqlClient.Query("SELECT rack FROM system.local"));
        var clear = await ReadFrameAsync(client);
        Assert.Equal(0x08, clear.Opcode);
        Assert.Equal(0x01, clear.Flags & 0x01); // the answer is compressed all the same
    }

    [Fact]
    public async Task AuthenticateAfterCompressedStartup_IsCompressed_AndTheLoginWorksCompressed()
    {
        await using var ring = await LabRing.StartAsync(new TestFaults(), count: 1, subnet: "127.0.43", username: "cassandra", password: "pw");
        var codec = CqlFrameCompressor.Lz4;
        await using var client = await RawCqlClient.ConnectAsync(ring.Nodes[0].LocalEndPoint!);

        await client.SendRawAsync(Frame(0x04, 0, 1, 0x01, RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4"))));
        var authenticate = await ReadFrameAsync(client);
        Assert.Equal(0x03, authenticate.Opcode);
        // The answer to STARTUP may be compressed (spec section 5), and is.
        Assert.Equal(0x01, authenticate.Flags & 0x01);
        Assert.Contains(CqlNodeServer.Authenticator, Encoding.UTF8.GetString(codec.Decompress(authenticate.Body, 1 << 20)));

        await client.SendRawAsync(Frame(0x04, 0x01, 2, 0x0F, codec.Compress(RawCqlClient.PlainToken("cassandra", "pw"))));
        var success = await ReadFrameAsync(client);
        Assert.Equal(0x10, success.Opcode);
    }

    [Fact]
    public async Task UnknownCompression_IsAProtocolError_InClear()
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        await client.SendRawAsync(Frame(0x04, 0, 1, 0x01, RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", "zstd"))));

        var error = await ReadFrameAsync(client);

        Assert.Equal(0x00, error.Opcode);
        Assert.Equal(0, error.Flags & 0x01);
        var (code, message) = RawCqlClient.Error(error.Body);
        Assert.Equal(0x000A, code);
        Assert.Equal("Unknown compression algorithm: zstd", message);
    }

    [Fact]
    public async Task CompressedFrameBeforeStartup_IsRefused_AndTheConnectionClosed()
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        var startup = CqlFrameCompressor.Lz4.Compress(RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4")));
        await client.SendRawAsync(Frame(0x04, 0x01, 1, 0x01, startup));

        var error = await ReadFrameAsync(client);

        Assert.Equal(0x00, error.Opcode);
        Assert.Equal(0, error.Flags & 0x01);
        Assert.Equal(0x000A, RawCqlClient.Error(error.Body).Code);
        Assert.Contains("Compression was not negotiated", RawCqlClient.Error(error.Body).Message);
        Assert.True(await client.ClosedWithinAsync(Wait));
    }

    [Theory]
    [InlineData("lz4", "7fffffff00")]          // claims 2 GB
    [InlineData("lz4", "00000010f0ffff")]      // truncated
    [InlineData("snappy", "ffffffff0f00")]     // claims 4 GB
    [InlineData("snappy", "0a04616219ff")]     // copy from before the start
    public async Task MalformedCompressedBody_IsAProtocolError_WithoutAllocatingItsClaim(string compression, string hex)
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        await client.SendRawAsync(Frame(0x04, 0, 1, 0x01, RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", compression))));
        Assert.Equal(0x02, (await ReadFrameAsync(client)).Opcode);

        await client.SendRawAsync(Frame(0x04, 0x01, 2, 0x07, Convert.FromHexString(hex)));
        var error = await ReadFrameAsync(client);

        Assert.Equal(0x00, error.Opcode);
        var (code, message) = RawCqlClient.Error(CqlFrameCompressor.ForName(compression)!.Decompress(error.Body, 1 << 20));
        Assert.Equal(0x000A, code);
        Assert.Contains($"Cannot decompress the {compression} frame body", message);
    }

    [Fact]
    public async Task V3_StartupQueryAndPrepare_AreAnsweredInV3_WithV3PreparedMetadata()
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        await client.SendAsync(0x03, 1, 0x05, []);
        var supported = await ReadFrameAsync(client);
        Assert.Equal((byte)0x83, supported.Version);
        Assert.Contains("3/v3", Encoding.UTF8.GetString(supported.Body));

        await client.SendAsync(0x03, 2, 0x01, RawCqlClient.Startup());
        Assert.Equal(0x02, (await ReadFrameAsync(client)).Opcode);

        await client.SendAsync(0x03, 3, 0x07, RawCqlClient.Query("SELECT data_center FROM system.local"));
        var rows = await ReadFrameAsync(client);
        Assert.Equal((byte)0x83, rows.Version);
        Assert.Equal(0x0002, BinaryPrimitives.ReadInt32BigEndian(rows.Body));
        Assert.Contains("DC1", Encoding.UTF8.GetString(rows.Body));

        // PREPARE: v3's metadata has no partition key indexes: <flags><columns_count><global_table_spec><col_spec>.
        var statement = Encoding.UTF8.GetBytes("SELECT rack FROM system.local WHERE key = ?");
        var prepare = new byte[4 + statement.Length];
        BinaryPrimitives.WriteInt32BigEndian(prepare, statement.Length);
        statement.CopyTo(prepare, 4);
        await client.SendAsync(0x03, 4, 0x09, prepare);
        var prepared = (await ReadFrameAsync(client)).Body;
        Assert.Equal(0x0004, BinaryPrimitives.ReadInt32BigEndian(prepared));
        var position = 4 + 2 + BinaryPrimitives.ReadUInt16BigEndian(prepared.AsSpan(4));
        Assert.Equal(0x0001, BinaryPrimitives.ReadInt32BigEndian(prepared.AsSpan(position)));     // flags: global table spec
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(prepared.AsSpan(position + 4)));      // one marker
        Assert.Equal("system", Encoding.UTF8.GetString(prepared, position + 10, 6));              // then straight the keyspace name
    }

    [Fact]
    public async Task V3Connection_ThenAV4Frame_IsAProtocolError()
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        await client.SendAsync(0x03, 1, 0x01, RawCqlClient.Startup());
        Assert.Equal(0x02, (await ReadFrameAsync(client)).Opcode);

        await client.SendAsync(0x04, 2, 0x07, RawCqlClient.Query("SELECT rack FROM system.local"));
        var error = await ReadFrameAsync(client);

        Assert.Equal((byte)0x83, error.Version);
        Assert.Equal(0x000A, RawCqlClient.Error(error.Body).Code);
        Assert.Contains("Invalid message version", RawCqlClient.Error(error.Body).Message);
    }

    [Theory]
    [InlineData(0x07, 0x00)]
    [InlineData(0x07, 0x10)]
    public async Task V7AndUp_AreRefusedInV4_NamingTheVersionsTheNodeLists(byte version, byte flags)
    {
        await using var client = await RawCqlClient.ConnectAsync(Node.LocalEndPoint!);
        await client.SendRawAsync(Frame(version, flags, 1, 0x05, []));

        var error = await ReadFrameAsync(client);

        Assert.Equal((byte)0x84, error.Version);
        var (code, message) = RawCqlClient.Error(error.Body);
        Assert.Equal(0x000A, code);
        Assert.Equal($"Invalid or unsupported protocol version ({version}); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)", message);
    }

    // ---- the DataStax python driver ----

    [Theory]
    [InlineData("lz4", "4")]
    [InlineData("snappy", "4")]
    [InlineData("lz4", "3")]
    [InlineData("snappy", "3")]
    [InlineData("lz4", "5")]
    [InlineData("lz4", "6")] // v6-beta, with allow_beta_protocol_version (USE_BETA)
    public async Task PythonDriver_WithCompression_UsesIt_AndFramesReallyAreCompressed(string compression, string version)
    {
        var seed = _ring.Identities[0];
        var receivedBefore = _ring.Nodes.Sum(n => n.CompressedFramesReceived);
        var sentBefore = _ring.Nodes.Sum(n => n.CompressedFramesSent);

        var (exitCode, output) = await RunChecksAsync("compression", seed.Address.ToString(), seed.NativePort.ToString(), compression, version);

        Assert.True(exitCode == 0, $"the python driver failed with {compression} (exit {exitCode}):\n{output}");
        Assert.Contains($"protocol_version={version}", output);
        Assert.Contains($"connection_version={version}", output);
        Assert.Contains($"compression_type={compression}", output);
        Assert.Contains("compressor=on", output);
        Assert.Contains("data_center=DC1", output);
        Assert.Contains($"prepared_rack={seed.Rack}", output);
        Assert.Contains("peers_paged=2", output);
        Assert.Contains("long_key_rows=0", output);
        foreach (var node in _ring.Identities)
            Assert.Contains($"{node.Address}:{node.NativePort}/up", output);
        // The lab saw compressed requests and sent compressed answers (the driver decompressed them: it read the rows).
        // On v5 the driver sends a segment LZ4 cannot shrink as it is, so only the big request is sure to be compressed.
        Assert.True(_ring.Nodes.Sum(n => n.CompressedFramesReceived) - receivedBefore >= (version is "5" or "6" ? 1 : 4), "the lab received too few compressed frames");
        Assert.True(_ring.Nodes.Sum(n => n.CompressedFramesSent) - sentBefore >= 4, "the lab sent too few compressed frames");
    }

    [Fact]
    public async Task PythonDriver_WithItsDefaults_NegotiatesV5_AndPicksLz4FromTheList()
    {
        var seed = _ring.Identities[0];
        var receivedBefore = _ring.Nodes.Sum(n => n.CompressedFramesReceived);

        var (exitCode, output) = await RunChecksAsync("compression", seed.Address.ToString(), seed.NativePort.ToString(), "default");

        Assert.True(exitCode == 0, $"the python driver failed with its defaults (exit {exitCode}):\n{output}");
        // It starts above v5 (DSE versions), is refused, and retries lower: v5, the highest the lab lists, as with Cassandra 4.0.
        Assert.Contains("protocol_version=5", output);
        Assert.Contains("compression_type=lz4", output);
        Assert.Contains("compressor=on", output);
        Assert.True(_ring.Nodes.Sum(n => n.CompressedFramesReceived) > receivedBefore);
    }

    [Fact]
    public async Task PythonDriver_WithSnappyOnV5_FallsBackToNoCompression_AsWithCassandra()
    {
        // The driver does not offer snappy with v5 (segments are LZ4 only): it connects uncompressed.
        var seed = _ring.Identities[0];
        var (exitCode, output) = await RunChecksAsync("compression", seed.Address.ToString(), seed.NativePort.ToString(), "snappy", "5");

        Assert.True(exitCode == 0, $"the python driver failed with snappy on v5 (exit {exitCode}):\n{output}");
        Assert.Contains("protocol_version=5", output);
        Assert.Contains("compression_type=None", output);
        Assert.Contains("peers_paged=2", output);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("5")]
    public async Task PythonDriver_WithoutCompression_Connects(string version)
    {
        var seed = _ring.Identities[0];
        var receivedBefore = _ring.Nodes.Sum(n => n.CompressedFramesReceived);

        var (exitCode, output) = await RunChecksAsync("compression", seed.Address.ToString(), seed.NativePort.ToString(), "none", version);

        Assert.True(exitCode == 0, $"the python driver failed with v{version} (exit {exitCode}):\n{output}");
        Assert.Contains($"protocol_version={version}", output);
        Assert.Contains("compression_type=None", output);
        Assert.Contains($"prepared_rack={seed.Rack}", output);
        Assert.Contains("peers_paged=2", output);
        Assert.Equal(receivedBefore, _ring.Nodes.Sum(n => n.CompressedFramesReceived));
    }

    private async Task<(int ExitCode, string Output)> RunChecksAsync(params string[] args)
    {
        var (exitCode, output) = await DebianPython.RunAsync(InstallHint, log, DebianPython.Script("python_driver_checks.py"), args);
        if (output.Contains("is not supported by the Cassandra server") || output.Contains("No available compression"))
            Assert.Fail($"{InstallHint} (or the node did not list the compression)\n{output}");
        return (exitCode, output);
    }
}
