using System.Buffers.Binary;
using System.Net;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

public sealed class CqlCodecTests
{
    [Fact]
    public void Startup_IsAV4RequestWithCqlVersion()
    {
        var frame = CqlFrameWriter.Startup(3);

        Assert.Equal(0x04, frame[0]);
        Assert.Equal(3, BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2)));
        Assert.Equal((byte)CqlOpcode.Startup, frame[4]);
        Assert.Equal(frame.Length - 9, BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(5)));
        var body = new CqlBodyReader(frame.AsSpan(9));
        Assert.Equal(1, body.Short());
        Assert.Equal("CQL_VERSION", body.String());
        Assert.Equal("3.0.0", body.String());
        Assert.Equal(0, body.Remaining);
    }

    [Fact]
    public void PlainAuthResponse_IsNulUserNulPassword()
    {
        var frame = CqlFrameWriter.PlainAuthResponse(1, "user", "pw");

        var body = new CqlBodyReader(frame.AsSpan(9));
        Assert.Equal("\0user\0pw"u8.ToArray(), body.Bytes(out var isNull).ToArray());
        Assert.False(isNull);
    }

    [Fact]
    public void ParseHeader_ReadsAValidResponseHeader()
    {
        byte[] bytes = [0x84, 0x08, 0x00, 0x07, 0x08, 0, 0, 1, 0];

        var header = CqlFrameReader.ParseHeader(bytes, 1024);

        Assert.Equal(new CqlFrameHeader(0x84, 0x08, 7, CqlOpcode.Result, 256), header);
        Assert.True(header.IsResponse);
        Assert.Equal(4, header.ProtocolVersion);
    }

    [Fact]
    public void ParseHeader_RefusesALengthOverTheLimit()
    {
        byte[] bytes = [0x84, 0, 0, 0, 0x08, 0x7F, 0xFF, 0xFF, 0xFF];

        var e = Assert.Throws<CqlProtocolException>(() => CqlFrameReader.ParseHeader(bytes, 1024));

        Assert.Contains("exceeds the limit of 1024 bytes", e.Message);
    }

    [Fact]
    public void BodyReader_RefusesToReadPastTheEnd()
    {
        var e = Assert.Throws<CqlProtocolException>(() =>
        {
            var reader = new CqlBodyReader([0x00, 0x10, (byte)'a']);
            return reader.String();
        });

        Assert.Equal("malformed frame: [string] needs 16 bytes, 1 left in the body", e.Message);
    }

    [Fact]
    public void Rows_DecodeTheTypesSystemTablesUse()
    {
        var hostId = Guid.Parse("11223344-5566-7788-99aa-bbccddeeff00");
        var uuid = new byte[16];
        hostId.TryWriteBytes(uuid, bigEndian: true, out _);
        var tokens = new CqlBodyWriter().Int(2).Bytes("-1"u8).Bytes("42"u8);
        var body = new CqlBodyWriter().Int(2).Int(0).Int(5)
            .String("system").String("local").String("host_id").Short(CqlColumnType.Uuid)
            .String("system").String("local").String("rpc_address").Short(CqlColumnType.Inet)
            .String("system").String("local").String("native_port").Short(CqlColumnType.Int)
            .String("system").String("local").String("tokens").Short(CqlColumnType.Set).Short(CqlColumnType.Varchar)
            .String("system").String("local").String("bootstrapped").Short(CqlColumnType.Boolean)
            .Int(1)
            .Bytes(uuid).Bytes([127, 0, 1, 2]).Bytes([0, 0, 0x23, 0x52]).Bytes(tokens.Written).Int(-1);

        var rows = CqlRows.Parse(body.Written);

        var row = Assert.Single(rows.Rows);
        Assert.Equal(hostId, rows.GetValue<Guid>(row, "host_id"));
        Assert.Equal(IPAddress.Parse("127.0.1.2"), rows.Get<IPAddress>(row, "rpc_address"));
        Assert.Equal(9042, rows.GetValue<int>(row, "native_port"));
        Assert.Equal(["-1", "42"], rows.Get<List<object?>>(row, "tokens")!);
        Assert.Null(rows.GetValue<bool>(row, "bootstrapped"));
        Assert.Equal(new CqlColumnType(CqlColumnType.Set, [new CqlColumnType(CqlColumnType.Varchar, [])]).Id, rows.Columns[3].Type.Id);
    }

    [Fact]
    public void Rows_RefuseAnotherResultKind()
    {
        var e = Assert.Throws<CqlProtocolException>(() => CqlRows.Parse(new CqlBodyWriter().Int(1).Written));

        Assert.Equal("malformed frame: expected a Rows result, got result kind 0x0001", e.Message);
    }
}
