using System.Buffers.Binary;
using System.Text;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>
/// A node that does not speak v4 refuses it with ERROR 0x000A framed in a version it does speak. The probe shows the
/// node's own words, not just "answered with v3".
/// </summary>
public sealed class CassandraProbeVersionRefusalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static byte[] ErrorBody(int code, string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var body = new byte[6 + text.Length];
        BinaryPrimitives.WriteInt32BigEndian(body, code);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(4), (ushort)text.Length);
        text.CopyTo(body, 6);
        return body;
    }

    /// <summary>A v3 frame: 9-byte header.</summary>
    private static byte[] V3Error(short stream, byte[] body)
    {
        var frame = new byte[9 + body.Length];
        frame[0] = 0x83;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = 0x00;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>A v2 frame: 8-byte header with a one-byte stream id.</summary>
    private static byte[] V2Error(short stream, byte[] body)
    {
        var frame = new byte[8 + body.Length];
        frame[0] = 0x82;
        frame[2] = (byte)stream;
        frame[3] = 0x00;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), body.Length);
        body.CopyTo(frame, 8);
        return frame;
    }

    private static async Task<CassandraProbeResult> ProbeAsync(HostileCqlServer.Script script)
    {
        await using var server = new HostileCqlServer(script, closeAfterRequest: 0);
        return await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(server.Endpoint, null, null), Timeout, CancellationToken.None);
    }

    [Fact]
    public async Task V3NodeRefusingV4_IsDown_WithItsOwnErrorText()
    {
        const string refusal = "Invalid or unsupported protocol version (4); supported versions are (3/v3)";

        var result = await ProbeAsync((_, stream, _) => V3Error(stream, ErrorBody(0x000A, refusal)));

        Assert.False(result.Success);
        Assert.Equal($"the node refuses protocol v4 (answered in v3): error 0x000A: {refusal}", result.Failure);
    }

    [Fact]
    public async Task V2NodeRefusingV4_InAnEightByteHeader_IsReadToo()
    {
        const string refusal = "Invalid or unsupported protocol version: 4";

        var result = await ProbeAsync((_, stream, _) => V2Error(stream, ErrorBody(0x000A, refusal)));

        Assert.Equal($"the node refuses protocol v4 (answered in v2): error 0x000A: {refusal}", result.Failure);
    }

    [Fact]
    public async Task OlderVersionErrorCutShort_StillSaysTheVersion()
    {
        var result = await ProbeAsync((_, stream, _) => V3Error(stream, ErrorBody(0x000A, "Invalid or unsupported protocol version"))[..20]);

        Assert.StartsWith("wrong protocol version: server answered with v3, expected v4 (an ERROR cut short after 11 of", result.Failure);
    }
}

/// <summary>A probe in clear against a node that answers with TLS says the node wants TLS.</summary>
public sealed class CassandraProbeClearAgainstTlsTests
{
    [Theory]
    [InlineData(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 })] // alert: handshake_failure, then close
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3C, 0x03, 0x03 })] // a ServerHello's start
    public async Task TlsRecordInsteadOfAFrame_SaysTheNodeRequiresTls(byte[] answer)
    {
        await using var server = new HostileCqlServer((_, _, _) => answer, closeAfterRequest: 0);

        var result = await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(server.Endpoint, null, null), TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal("the node answered in TLS (a TLS record instead of a CQL frame): it requires client encryption; set Estate:Datacenters:N:Cassandra:Tls:Enabled", result.Failure);
    }
}
