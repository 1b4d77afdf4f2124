using System.Buffers.Binary;
using System.Text;
using ApimConsole.Lab.Faults;

namespace ApimConsole.Lab.Tests.Cassandra;

public sealed class CqlNodeServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly TestFaults _faults = new();
    private LabRing _ring = null!;

    public async Task InitializeAsync() => _ring = await LabRing.StartAsync(_faults, subnet: "127.0.3");

    public async Task DisposeAsync() => await _ring.DisposeAsync();

    private Task<RawCqlClient> ConnectAsync(int node = 0) => RawCqlClient.ConnectAsync(_ring.Nodes[node].LocalEndPoint!);

    [Theory]
    [InlineData(0x07)]
    [InlineData(0x42)]
    public async Task StartupInNewerVersion_GetsProtocolErrorInV4(byte version)
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(version, 7, 0x01, RawCqlClient.Startup());

        var frame = await client.ReadAsync(Wait);

        Assert.NotNull(frame);
        Assert.Equal(0x84, frame.Value.Version);
        Assert.Equal(7, frame.Value.Stream);
        Assert.Equal(0x00, frame.Value.Opcode);
        var (code, message) = RawCqlClient.Error(frame.Value.Body);
        Assert.Equal(0x000A, code);
        // The DataStax drivers look for this phrase to decide to retry with a lower version.
        Assert.Contains("unsupported protocol version", message);
    }

    [Fact]
    public async Task StartupInV3_IsAccepted_AndAnsweredInV3()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x03, 1, 0x01, RawCqlClient.Startup());

        var frame = await client.ReadAsync(Wait);

        Assert.Equal(0x83, frame!.Value.Version);
        Assert.Equal(0x02, frame.Value.Opcode);
    }

    [Fact]
    public async Task OptionsInV2_GetsProtocolErrorWithAnEightByteHeader()
    {
        await using var client = await ConnectAsync();
        // v2 header: version, flags, stream (1 byte), opcode, length.
        await client.SendRawAsync([0x02, 0x00, 0x05, 0x05, 0, 0, 0, 0]);

        var header = await client.ReadExactAsync(8, Wait);

        Assert.Equal(0x82, header[0]);
        Assert.Equal(0x05, header[2]);
        Assert.Equal(0x00, header[3]);
        var body = await client.ReadExactAsync(BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)), Wait);
        Assert.Equal(0x000A, RawCqlClient.Error(body).Code);
    }

    [Fact]
    public async Task Options_AnswersSupportedWithCqlVersionCompressionAndProtocolVersions()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 3, 0x05, []);

        var frame = await client.ReadAsync(Wait);

        Assert.Equal(0x84, frame!.Value.Version);
        Assert.Equal(0x06, frame.Value.Opcode);
        var text = Encoding.UTF8.GetString(frame.Value.Body);
        Assert.Contains("CQL_VERSION", text);
        Assert.Contains("COMPRESSION", text);
        Assert.Contains("4/v4", text);
    }

    [Fact]
    public async Task QueryBeforeStartup_IsAProtocolError()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 1, 0x07, RawCqlClient.Query("SELECT * FROM system.local"));

        var frame = await client.ReadAsync(Wait);

        Assert.Equal(0x000A, RawCqlClient.Error(frame!.Value.Body).Code);
    }

    [Fact]
    public async Task SeveralRequestsInFlight_AreAnsweredOnTheirOwnStreams()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 0, 0x01, RawCqlClient.Startup());
        Assert.Equal(0x02, (await client.ReadAsync(Wait))!.Value.Opcode);

        await client.SendAsync(0x04, 11, 0x07, RawCqlClient.Query("SELECT * FROM system.local WHERE key='local'"));
        await client.SendAsync(0x04, 12, 0x07, RawCqlClient.Query("SELECT peer, host_id FROM system.peers"));
        await client.SendAsync(0x04, 13, 0x07, RawCqlClient.Query("SELECT * FROM system.nonexistent"));
        await client.SendAsync(0x04, 14, 0x0B, [0, 1, 0, 15, .. "TOPOLOGY_CHANGE"u8]);

        var answers = new Dictionary<short, byte>();
        for (var i = 0; i < 4; i++)
        {
            var frame = (await client.ReadAsync(Wait))!.Value;
            answers[frame.Stream] = frame.Opcode;
        }
        Assert.Equal(0x08, answers[11]);
        Assert.Equal(0x08, answers[12]);
        Assert.Equal(0x00, answers[13]);
        Assert.Equal(0x02, answers[14]);
    }

    [Fact]
    public async Task OversizedRequest_IsRefusedAndTheConnectionClosed()
    {
        await using var client = await ConnectAsync();
        var header = new byte[9];
        header[0] = 0x04;
        header[4] = 0x07;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), int.MaxValue);
        await client.SendRawAsync(header);

        var frame = await client.ReadAsync(Wait);

        Assert.Equal(0x000A, RawCqlClient.Error(frame!.Value.Body).Code);
        Assert.True(await client.ClosedWithinAsync(Wait));
    }

    [Fact]
    public async Task Down_ClosesNewConnectionsAtOnce()
    {
        _faults.Set("cassandra-1", FaultMode.Down);
        RawCqlClient client;
        try
        {
            client = await ConnectAsync();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return; // the reset can beat the end of the handshake: closed at once indeed
        }
        await using (client)
            Assert.True(await client.ClosedWithinAsync(Wait));
    }

    [Fact]
    public async Task Hang_ReadsButNeverAnswers_AndHealingAnswersTheNextRequest()
    {
        await using var client = await ConnectAsync();
        _faults.Set("cassandra-1", FaultMode.Hang);
        await client.SendAsync(0x04, 1, 0x05, []);
        Assert.False(await client.ClosedWithinAsync(TimeSpan.FromMilliseconds(300)));

        _faults.Set("cassandra-1", FaultMode.None);
        await client.SendAsync(0x04, 2, 0x05, []);
        var frame = await client.ReadAsync(Wait);

        Assert.Equal(2, frame!.Value.Stream);
    }

    [Fact]
    public async Task DropConnections_ClosesOpenConnections()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 1, 0x05, []);
        Assert.NotNull(await client.ReadAsync(Wait));

        _ring.Nodes[0].DropConnections();

        Assert.True(await client.ClosedWithinAsync(Wait));
    }

    [Fact]
    public async Task DownWhileConnected_ClosesOnTheNextRequest()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 1, 0x05, []);
        Assert.NotNull(await client.ReadAsync(Wait));

        _faults.Set("cassandra-1", FaultMode.Down);
        await client.SendAsync(0x04, 2, 0x05, []);

        Assert.True(await client.ClosedWithinAsync(Wait));
    }

    [Fact]
    public async Task ExecuteOfAnUnknownId_IsUnpreparedWithTheId()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(0x04, 0, 0x01, RawCqlClient.Startup());
        Assert.Equal(0x02, (await client.ReadAsync(Wait))!.Value.Opcode);

        await client.SendAsync(0x04, 5, 0x0A, [0, 2, 0xAB, 0xCD, 0, 1, 0]);
        var frame = await client.ReadAsync(Wait);

        Assert.Equal(0x2500, RawCqlClient.Error(frame!.Value.Body).Code);
        Assert.Equal(new byte[] { 0, 2, 0xAB, 0xCD }, frame.Value.Body[^4..]);
    }

    [Fact]
    public async Task WrongPassword_GetsBadCredentials()
    {
        await using var ring = await LabRing.StartAsync(_faults, count: 1, subnet: "127.0.7", username: "u", password: "p");
        await using var client = await RawCqlClient.ConnectAsync(ring.Nodes[0].LocalEndPoint!);
        await client.SendAsync(0x04, 0, 0x01, RawCqlClient.Startup());
        var authenticate = (await client.ReadAsync(Wait))!.Value;
        Assert.Equal(0x03, authenticate.Opcode);
        Assert.Contains("PasswordAuthenticator", Encoding.UTF8.GetString(authenticate.Body));

        await client.SendAsync(0x04, 1, 0x0F, RawCqlClient.PlainToken("u", "nope"));
        var error = RawCqlClient.Error((await client.ReadAsync(Wait))!.Value.Body);
        await client.SendAsync(0x04, 2, 0x0F, RawCqlClient.PlainToken("u", "p"));
        var success = (await client.ReadAsync(Wait))!.Value;

        Assert.Equal(0x0100, error.Code);
        Assert.Equal(0x10, success.Opcode);
    }
}
