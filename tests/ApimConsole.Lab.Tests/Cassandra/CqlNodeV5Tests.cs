using System.Buffers.Binary;
using System.Text;
using ApimConsole.Lab.Cassandra;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// Protocol v5 on the lab's nodes, as Cassandra 4.0 speaks it (doc/native_protocol_v5.spec): OPTIONS and STARTUP and
/// the answer to STARTUP as plain envelopes, then segments with CRC24 headers and CRC32 payloads, LZ4 at the segment
/// level; v5's [int] query flags and result metadata id. The python driver on v5 is in
/// <see cref="CqlNodeCompressionAndV3Tests"/>; the CRC values here were computed with the driver's own
/// cassandra/segment.py.
/// </summary>
public sealed class CqlNodeV5Tests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private LabRing _ring = null!;

    public async Task InitializeAsync() => _ring = await LabRing.StartAsync(new TestFaults(), count: 1, subnet: "127.0.44");

    public async Task DisposeAsync() => await _ring.DisposeAsync();

    [Fact]
    public void Crcs_MatchThePythonDriversSegmentCodec()
    {
        Assert.Equal(0xE2A261A7u, CqlSegments.Crc32("123456789"u8));
        Assert.Equal(0x44777ED3u, CqlSegments.Crc32([]));
        Assert.Equal(0xF5230F, CqlSegments.Crc24(0x123456, 3));
        Assert.Equal(0xAAAC0A, CqlSegments.Crc24(0, 5));
        Assert.Equal(0x9A9919, CqlSegments.Crc24((1 << 17) | 5, 3));
        // SegmentCodec().encode(b"hello"): header 05 00 02 (length 5, self-contained), CRC24, payload, CRC32.
        Assert.Equal("05000219999A68656C6C6F74800EB6", Convert.ToHexString(CqlSegments.Wrap("hello"u8, lz4: false)));
    }

    [Theory]
    [InlineData(false, 10)]
    [InlineData(true, 10)]
    [InlineData(false, 300_000)] // over 128 KiB: cut over segments that are not self-contained
    [InlineData(true, 300_000)]
    public async Task Segments_RoundTrip_ThroughTheReader(bool lz4, int size)
    {
        var envelope = new byte[size];
        for (var i = 0; i < size; i++)
            envelope[i] = (byte)(i % 7 == 0 ? i : 'x');
        var wrapped = CqlSegments.Wrap(envelope, lz4);
        if (size > CqlSegments.MaxPayloadLength)
            Assert.Equal(0, wrapped[lz4 ? 4 : 2] & (lz4 ? 0x04 : 0x02)); // the first segment's self-contained bit is clear

        var reader = new CqlSegments.ReadStream(new MemoryStream(wrapped), lz4);
        var back = new byte[size];
        await reader.ReadExactlyAsync(back);

        Assert.Equal(envelope, back);
        Assert.Equal(0, await reader.ReadAsync(new byte[1]));
    }

    [Fact]
    public async Task Segments_WithABadCrc_AreRefused()
    {
        var wrapped = CqlSegments.Wrap("hello"u8, lz4: false);
        var badHeader = (byte[])wrapped.Clone();
        badHeader[3] ^= 1;
        var badPayload = (byte[])wrapped.Clone();
        badPayload[7] ^= 1;

        await Assert.ThrowsAsync<IOException>(async () => await new CqlSegments.ReadStream(new MemoryStream(badHeader), false).ReadExactlyAsync(new byte[5]));
        await Assert.ThrowsAsync<IOException>(async () => await new CqlSegments.ReadStream(new MemoryStream(badPayload), false).ReadExactlyAsync(new byte[5]));
    }

    private static byte[] Envelope(short stream, byte opcode, byte[] body, byte flags = 0)
    {
        var frame = new byte[9 + body.Length];
        frame[0] = 0x05;
        frame[1] = flags;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>A v5 QUERY body: [long string] then consistency and [int] flags.</summary>
    private static byte[] Query(string statement)
    {
        var text = Encoding.UTF8.GetBytes(statement);
        var body = new byte[4 + text.Length + 2 + 4];
        BinaryPrimitives.WriteInt32BigEndian(body, text.Length);
        text.CopyTo(body, 4);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(4 + text.Length), 1);
        return body;
    }

    private static async Task<(byte Version, byte Opcode, byte[] Body)> ReadEnvelopeAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(Wait);
        var header = new byte[9];
        await stream.ReadExactlyAsync(header, cts.Token);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5))];
        await stream.ReadExactlyAsync(body, cts.Token);
        return (header[0], header[4], body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task V5_PlainHandshake_ThenSegments_BothWays(bool lz4)
    {
        var node = _ring.Nodes[0];
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(node.LocalEndPoint!);
        var stream = tcp.GetStream();

        await stream.WriteAsync(Envelope(1, 0x05, []));
        var supported = await ReadEnvelopeAsync(stream);
        Assert.Equal((byte)0x85, supported.Version);
        Assert.Contains("5/v5", Encoding.UTF8.GetString(supported.Body));

        var options = lz4 ? RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4")) : RawCqlClient.Startup();
        await stream.WriteAsync(Envelope(2, 0x01, options));
        var ready = await ReadEnvelopeAsync(stream); // the last envelope in the open
        Assert.Equal((byte)0x85, ready.Version);
        Assert.Equal(0x02, ready.Opcode);

        var receivedBefore = node.CompressedFramesReceived;
        // Long enough for LZ4 to shrink it: a short payload would go uncompressed (uncompressed length 0).
        var query = Query("SELECT data_center, rack FROM system.local WHERE key = '" + new string('l', 300) + "'");
        await stream.WriteAsync(CqlSegments.Wrap(Envelope(3, 0x07, query), lz4));
        var segments = new CqlSegments.ReadStream(stream, lz4);
        var rows = await ReadEnvelopeAsync(segments);

        Assert.Equal((byte)0x85, rows.Version);
        Assert.Equal(0x08, rows.Opcode);
        Assert.Equal(0x0002, BinaryPrimitives.ReadInt32BigEndian(rows.Body));
        Assert.Contains("data_center", Encoding.UTF8.GetString(rows.Body));
        if (lz4)
            Assert.Equal(1, node.CompressedFramesReceived - receivedBefore);
    }

    [Fact]
    public async Task V5_PrepareAndExecute_CarryTheResultMetadataId()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Envelope(1, 0x01, RawCqlClient.Startup()));
        Assert.Equal(0x02, (await ReadEnvelopeAsync(stream)).Opcode);
        var segments = new CqlSegments.ReadStream(stream, false);

        // PREPARE v5: <query><flags [int]>
        var statement = Encoding.UTF8.GetBytes("SELECT rack FROM system.local WHERE key = ?");
        var prepare = new byte[4 + statement.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(prepare, statement.Length);
        statement.CopyTo(prepare, 4);
        await stream.WriteAsync(CqlSegments.Wrap(Envelope(2, 0x09, prepare), false));
        var prepared = (await ReadEnvelopeAsync(segments)).Body;
        Assert.Equal(0x0004, BinaryPrimitives.ReadInt32BigEndian(prepared));
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(prepared.AsSpan(4));
        var id = prepared.AsSpan(6, idLength).ToArray();
        var metadataIdLength = BinaryPrimitives.ReadUInt16BigEndian(prepared.AsSpan(6 + idLength));
        Assert.Equal(16, metadataIdLength);
        var metadataId = prepared.AsSpan(8 + idLength, metadataIdLength).ToArray();

        // EXECUTE v5: <id><result_metadata_id><consistency><flags [int]><values>
        var key = "local"u8.ToArray();
        var execute = new List<byte>();
        execute.AddRange([(byte)0, (byte)id.Length]);
        execute.AddRange(id);
        execute.AddRange([(byte)0, (byte)metadataId.Length]);
        execute.AddRange(metadataId);
        execute.AddRange([0, 1, 0, 0, 0, 0x01, 0, 1, 0, 0, 0, (byte)key.Length]);
        execute.AddRange(key);
        await stream.WriteAsync(CqlSegments.Wrap(Envelope(3, 0x0A, execute.ToArray()), false));
        var rows = await ReadEnvelopeAsync(segments);

        Assert.Equal(0x08, rows.Opcode);
        Assert.Equal(0x0002, BinaryPrimitives.ReadInt32BigEndian(rows.Body));
        Assert.Contains("rack1", Encoding.UTF8.GetString(rows.Body));
    }

    [Fact]
    public async Task V6Beta_WithoutUseBeta_IsRefusedAsCassandraDoes_AndWithItIsSpokenAsV5()
    {
        await using var without = await RawCqlClient.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        await without.SendAsync(0x06, 1, 0x05, []);
        var error = await without.ReadAsync(Wait);
        Assert.Equal(0x86, error!.Value.Version);
        var (code, message) = RawCqlClient.Error(error.Value.Body);
        Assert.Equal(0x000A, code);
        // The python driver's ProtocolException.is_beta_protocol_error looks for "USE_BETA flag is unset".
        Assert.Equal("Beta version of the protocol used (6/v6-beta), but USE_BETA flag is unset", message);
        Assert.True(await without.ClosedWithinAsync(Wait));

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        var stream = tcp.GetStream();
        var startup = Envelope(1, 0x01, RawCqlClient.Startup(), flags: 0x10);
        startup[0] = 0x06;
        await stream.WriteAsync(startup);
        var ready = await ReadEnvelopeAsync(stream);
        Assert.Equal((byte)0x86, ready.Version);
        Assert.Equal(0x02, ready.Opcode);
        var query = Envelope(2, 0x07, Query("SELECT rack FROM system.local"), flags: 0x10);
        query[0] = 0x06;
        await stream.WriteAsync(CqlSegments.Wrap(query, false));
        var rows = await ReadEnvelopeAsync(new CqlSegments.ReadStream(stream, false));
        Assert.Equal(0x08, rows.Opcode);
        Assert.Contains("rack1", Encoding.UTF8.GetString(rows.Body));
    }

    [Fact]
    public async Task V5_WithSnappy_IsAProtocolError()
    {
        await using var client = await RawCqlClient.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        await client.SendAsync(0x05, 1, 0x01, RawCqlClient.StringMap(("CQL_VERSION", "3.0.0"), ("COMPRESSION", "snappy")));

        var error = await client.ReadAsync(Wait);

        Assert.Equal(0x00, error!.Value.Opcode);
        var (code, message) = RawCqlClient.Error(error.Value.Body);
        Assert.Equal(0x000A, code);
        Assert.Contains("not supported with protocol v5", message);
    }

    [Fact]
    public async Task V5_AnEnvelopeInAnotherVersion_IsRefusedInASegment()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Envelope(1, 0x01, RawCqlClient.Startup()));
        Assert.Equal(0x02, (await ReadEnvelopeAsync(stream)).Opcode);

        var v4 = Envelope(2, 0x07, Query("SELECT rack FROM system.local"));
        v4[0] = 0x04;
        await stream.WriteAsync(CqlSegments.Wrap(v4, false));
        var error = await ReadEnvelopeAsync(new CqlSegments.ReadStream(stream, false));

        Assert.Equal(0x00, error.Opcode);
        Assert.Contains("Invalid message version", RawCqlClient.Error(error.Body).Message);
    }

    [Fact]
    public async Task V5_ASegmentWithABadCrc_ClosesTheConnection()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Envelope(1, 0x01, RawCqlClient.Startup()));
        Assert.Equal(0x02, (await ReadEnvelopeAsync(stream)).Opcode);

        var segment = CqlSegments.Wrap(Envelope(2, 0x07, Query("SELECT rack FROM system.local")), false);
        segment[^1] ^= 0xFF;
        await stream.WriteAsync(segment);

        using var cts = new CancellationTokenSource(Wait);
        var read = 0;
        try
        {
            read = await stream.ReadAsync(new byte[64], cts.Token);
        }
        catch (IOException)
        {
        }
        Assert.Equal(0, read);
    }
}
