using System.Buffers.Binary;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>A peer that breaks the protocol gets a failed probe with a clear reason: no exception, no unbounded read.</summary>
public sealed class CassandraProbeHostileServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static async Task<CassandraProbeResult> ProbeAsync(HostileCqlServer.Script script, int maxFrameBytes = 1 << 20,
        int closeAfterRequest = int.MaxValue, TimeSpan? timeout = null)
    {
        await using var server = new HostileCqlServer(script, closeAfterRequest);
        return await new CassandraProbe(maxFrameBytes).ProbeAsync(new CassandraProbeRequest(server.Endpoint, null, null), timeout ?? Timeout, CancellationToken.None);
    }

    private static byte[] Header(byte version, short stream, CqlOpcode opcode, int length)
    {
        var header = new byte[9];
        header[0] = version;
        BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(2), stream);
        header[4] = (byte)opcode;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), length);
        return header;
    }

    [Fact]
    public async Task HeaderClaimingTwoGigabytes_IsRefusedBeforeAllocating()
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var result = await ProbeAsync((_, stream, _) => [.. Header(0x84, stream, CqlOpcode.Supported, int.MaxValue), 1, 2, 3]);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.False(result.Success);
        Assert.Equal("oversized frame: body of 2147483647 bytes exceeds the limit of 1048576 bytes", result.Failure);
        // Other tests run in parallel, so only the order of magnitude is asserted: nowhere near 2 GB.
        Assert.True(allocated < 256L << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public async Task BodyOverTheConfiguredLimit_IsRefused()
    {
        var result = await ProbeAsync((_, stream, _) => [.. Header(0x84, stream, CqlOpcode.Supported, 4096), .. new byte[4096]], maxFrameBytes: 1024);

        Assert.Equal("oversized frame: body of 4096 bytes exceeds the limit of 1024 bytes", result.Failure);
    }

    [Fact]
    public async Task NegativeBodyLength_IsMalformed()
    {
        var result = await ProbeAsync((_, stream, _) => Header(0x84, stream, CqlOpcode.Supported, -5));

        Assert.Equal("malformed frame: negative body length -5", result.Failure);
    }

    [Fact]
    public async Task TruncatedHeader_IsReported()
    {
        var result = await ProbeAsync((_, _, _) => [0x84, 0, 0], closeAfterRequest: 0);

        Assert.False(result.Success);
        Assert.Equal("truncated frame: connection closed after 3 of 9 header bytes", result.Failure);
    }

    [Fact]
    public async Task TruncatedBody_IsReported()
    {
        var result = await ProbeAsync((_, stream, _) => [.. Header(0x84, stream, CqlOpcode.Supported, 100), .. new byte[10]], closeAfterRequest: 0);

        Assert.Equal("truncated frame: connection closed after 10 of 100 body bytes", result.Failure);
    }

    [Fact]
    public async Task ServerClosingAtOnce_IsReported()
    {
        var result = await ProbeAsync((_, _, _) => null);

        Assert.Equal("connection closed by server", result.Failure);
    }

    [Theory]
    [InlineData(0x83, "wrong protocol version: server answered with v3, expected v4")]
    [InlineData(0x85, "wrong protocol version: server answered with v5, expected v4")]
    [InlineData(0x04, "malformed frame: version byte 0x04 is not a response")]
    public async Task WronglyVersionedFrame_IsReported(byte version, string reason)
    {
        var result = await ProbeAsync((_, stream, _) => HostileCqlServer.Response(stream, CqlOpcode.Supported,
            new CqlBodyWriter().Short(0).Written, version));

        Assert.Equal(reason, result.Failure);
    }

    [Fact]
    public async Task UnknownOpcode_IsMalformed()
    {
        var result = await ProbeAsync((_, stream, _) => Header(0x84, stream, (CqlOpcode)0x42, 0));

        Assert.Equal("malformed frame: unknown opcode 0x42", result.Failure);
    }

    [Fact]
    public async Task ResponseOnAnotherStream_IsMalformed()
    {
        var result = await ProbeAsync((_, stream, _) => HostileCqlServer.Supported((short)(stream + 5)));

        Assert.StartsWith("malformed frame: response on stream", result.Failure);
    }

    [Fact]
    public async Task SupportedWithALyingCount_IsMalformed()
    {
        var result = await ProbeAsync((_, stream, _) => HostileCqlServer.Response(stream, CqlOpcode.Supported, [0xFF, 0xFF, 0, 1]));

        Assert.StartsWith("malformed frame: [string multimap] count 65535", result.Failure);
    }

    [Fact]
    public async Task ErrorToStartup_IsReportedWithCodeAndMessage()
    {
        var result = await ProbeAsync((index, stream, _) => index == 0
            ? HostileCqlServer.Supported(stream)
            : HostileCqlServer.Error(stream, 0x000A, "Invalid or unsupported protocol version (4)"));

        Assert.Equal("STARTUP failed: error 0x000A: Invalid or unsupported protocol version (4)", result.Failure);
    }

    [Fact]
    public async Task UnexpectedOpcode_IsReported()
    {
        var result = await ProbeAsync((_, stream, _) => HostileCqlServer.Ready(stream));

        Assert.Equal("unexpected response: Ready to OPTIONS, expected Supported", result.Failure);
    }

    [Fact]
    public async Task RowsWithAHugeColumnCount_AreMalformed()
    {
        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream =>
            HostileCqlServer.Response(stream, CqlOpcode.Result, new CqlBodyWriter().Int(2).Int(1).Int(int.MaxValue).Written)));

        Assert.StartsWith("malformed frame: column count 2147483647", result.Failure);
    }

    [Fact]
    public async Task RowsWithAHugeRowCount_AreMalformed()
    {
        var body = new CqlBodyWriter().Int(2).Int(1).Int(1).String("system").String("local")
            .String("data_center").Short(CqlColumnType.Varchar).Int(100_000_000);

        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream => HostileCqlServer.Response(stream, CqlOpcode.Result, body.Written)));

        Assert.StartsWith("malformed frame: 100000000 rows of 1 columns", result.Failure);
    }

    [Fact]
    public async Task UuidOfTheWrongSize_IsMalformed()
    {
        var body = new CqlBodyWriter().Int(2).Int(1).Int(1).String("system").String("local")
            .String("host_id").Short(CqlColumnType.Uuid).Int(1).Bytes([1, 2, 3, 4, 5]);

        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream => HostileCqlServer.Response(stream, CqlOpcode.Result, body.Written)));

        Assert.Equal("malformed frame: uuid value of 5 bytes in column host_id", result.Failure);
    }

    [Fact]
    public async Task UnknownColumnType_IsMalformed()
    {
        var body = new CqlBodyWriter().Int(2).Int(1).Int(1).String("system").String("local").String("x").Short(0x0777).Int(0);

        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream => HostileCqlServer.Response(stream, CqlOpcode.Result, body.Written)));

        Assert.Equal("malformed frame: unknown column type 0x0777", result.Failure);
    }

    [Fact]
    public async Task DeeplyNestedColumnType_IsMalformed()
    {
        var body = new CqlBodyWriter().Int(2).Int(1).Int(1).String("system").String("local").String("x");
        for (var i = 0; i < 1000; i++)
            body.Short(CqlColumnType.List);

        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream => HostileCqlServer.Response(stream, CqlOpcode.Result, body.Written)));

        Assert.Equal("malformed frame: column type nested too deeply", result.Failure);
    }

    [Fact]
    public async Task SystemLocalWithoutRows_Fails()
    {
        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream => HostileCqlServer.TextRows(stream, "local", ["data_center"])));

        Assert.Equal("system.local returned no row", result.Failure);
    }

    [Fact]
    public async Task ColumnsOfUnexpectedTypes_AreLeftOut_NotFatal()
    {
        // host_id as text is odd but not a protocol violation: the field is unknown, the rest is read.
        var result = await ProbeAsync(HostileCqlServer.UntilLocal(stream =>
            HostileCqlServer.TextRows(stream, "local", ["data_center", "host_id"], ["DC9", "not-a-uuid"])));

        Assert.True(result.Success, result.Failure);
        Assert.Equal("DC9", result.Local!.DataCenter);
        Assert.Null(result.Local.HostId);
    }

    [Fact]
    public async Task RandomBytes_NeverEscapeAsAnException()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            // Answer well up to a random step, then with random bytes (behind a valid-looking header half of the
            // time, so the fuzz reaches the body parsers too), then hang up.
            var breakAt = random.Next(0, 4);
            var result = await ProbeAsync((index, stream, _) =>
            {
                if (index < breakAt)
                {
                    return index switch
                    {
                        0 => HostileCqlServer.Supported(stream),
                        1 => HostileCqlServer.Ready(stream),
                        _ => HostileCqlServer.TextRows(stream, "local", ["data_center"], ["DC1"]),
                    };
                }
                var body = new byte[random.Next(0, 64)];
                random.NextBytes(body);
                if (random.Next(2) == 0)
                    return body;
                var opcode = index switch { 0 => CqlOpcode.Supported, 1 => CqlOpcode.Ready, _ => CqlOpcode.Result };
                return [.. Header(0x84, stream, opcode, body.Length), .. body];
            }, closeAfterRequest: breakAt, timeout: TimeSpan.FromSeconds(2));
            Assert.NotNull(result);
            if (!result.Success)
                Assert.False(string.IsNullOrWhiteSpace(result.Failure));
        }
    }
}
