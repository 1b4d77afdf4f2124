using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// What a driver notices of a Cassandra 4.0 node, on the wire: SUPPORTED lists only what the node implements, result
/// paging (page_size, paging_state, Has_more_pages) and bind markers in prepared statements on the system tables.
/// </summary>
public sealed class CqlNodePagingAndBindingTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private LabRing _ring = null!;

    public async Task InitializeAsync() => _ring = await LabRing.StartAsync(new TestFaults(), count: 4, subnet: "127.0.4");

    public async Task DisposeAsync() => await _ring.DisposeAsync();

    private async Task<RawCqlClient> ReadyClientAsync()
    {
        var client = await RawCqlClient.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        await client.SendAsync(0x04, 1, 0x01, RawCqlClient.Startup());
        Assert.Equal(0x02, (await client.ReadAsync(Wait))!.Value.Opcode);
        return client;
    }

    /// <summary>QUERY body: statement, consistency ONE, flags, [values], [page_size], [paging_state].</summary>
    private static byte[] Query(string statement, int pageSize = 0, byte[]? pagingState = null, byte skipMetadata = 0)
    {
        var body = new List<byte>();
        body.AddRange(Int(Encoding.UTF8.GetByteCount(statement)));
        body.AddRange(Encoding.UTF8.GetBytes(statement));
        body.AddRange([0, 1]);
        body.Add((byte)((pageSize > 0 ? 0x04 : 0) | (pagingState is null ? 0 : 0x08) | skipMetadata));
        if (pageSize > 0)
            body.AddRange(Int(pageSize));
        if (pagingState is not null)
        {
            body.AddRange(Int(pagingState.Length));
            body.AddRange(pagingState);
        }
        return body.ToArray();
    }

    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A Rows result of one inet column: its flags, paging state and addresses.</summary>
    private static (int Flags, byte[]? PagingState, List<IPAddress> Rows) InetRows(byte[] body)
    {
        var position = 0;
        int ReadInt() { var v = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(position)); position += 4; return v; }
        ushort ReadShort() { var v = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(position)); position += 2; return v; }
        void SkipString() { var length = ReadShort(); position += length; }

        Assert.Equal(2, ReadInt());
        var flags = ReadInt();
        Assert.Equal(1, ReadInt());
        byte[]? state = null;
        if ((flags & 0x0002) != 0)
        {
            var length = ReadInt();
            state = body.AsSpan(position, length).ToArray();
            position += length;
        }
        if ((flags & 0x0004) == 0)
        {
            SkipString();
            SkipString();
            SkipString();
            Assert.Equal(0x0010, ReadShort());
        }
        var rows = new List<IPAddress>();
        for (var count = ReadInt(); count > 0; count--)
        {
            var length = ReadInt();
            rows.Add(new IPAddress(body.AsSpan(position, length)));
            position += length;
        }
        return (flags, state, rows);
    }

    [Fact]
    public async Task Supported_ListsExactlyWhatTheNodeImplements()
    {
        await using var client = await RawCqlClient.ConnectAsync(_ring.Nodes[0].LocalEndPoint!);
        await client.SendAsync(0x04, 1, 0x05, []);
        var body = (await client.ReadAsync(Wait))!.Value.Body;

        var position = 0;
        ushort ReadShort() { var v = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(position)); position += 2; return v; }
        string ReadString() { var length = ReadShort(); var s = Encoding.UTF8.GetString(body, position, length); position += length; return s; }
        var supported = new Dictionary<string, List<string>>();
        for (var keys = ReadShort(); keys > 0; keys--)
        {
            var key = ReadString();
            supported[key] = Enumerable.Range(0, ReadShort()).Select(_ => ReadString()).ToList();
        }

        Assert.Equal(["3.4.5"], supported["CQL_VERSION"]);
        Assert.Equal(["3/v3", "4/v4", "5/v5", "6/v6-beta"], supported["PROTOCOL_VERSIONS"]);
        Assert.Equal(["snappy", "lz4"], supported["COMPRESSION"]);
    }

    [Fact]
    public async Task Paging_WalksEveryPeerOnce_WithHasMorePagesUntilTheLast()
    {
        await using var client = await ReadyClientAsync();
        var seen = new List<IPAddress>();
        byte[]? state = null;
        var pages = 0;
        short stream = 10;
        do
        {
            await client.SendAsync(0x04, ++stream, 0x07, Query("SELECT peer FROM system.peers", pageSize: 2, pagingState: state, skipMetadata: (byte)(pages > 0 ? 0x02 : 0)));
            var frame = (await client.ReadAsync(Wait))!.Value;
            Assert.Equal(0x08, frame.Opcode);
            var (flags, next, rows) = InetRows(frame.Body);
            Assert.Equal(next is not null, (flags & 0x0002) != 0);
            Assert.Equal(pages > 0, (flags & 0x0004) != 0);
            seen.AddRange(rows);
            state = next;
            pages++;
        }
        while (state is not null && pages < 10);

        Assert.Equal(2, pages); // 3 peers, 2 a page
        Assert.Equal(_ring.Identities.Skip(1).Select(i => i.Address).OrderBy(a => a.ToString()), seen.OrderBy(a => a.ToString()));
    }

    [Fact]
    public async Task PagingStateOfAnotherQuery_IsRefused()
    {
        await using var client = await ReadyClientAsync();
        await client.SendAsync(0x04, 2, 0x07, Query("SELECT peer FROM system.peers", pageSize: 1));
        var (_, state, _) = InetRows((await client.ReadAsync(Wait))!.Value.Body);

        await client.SendAsync(0x04, 3, 0x07, Query("SELECT peer FROM system.peers_v2", pageSize: 1, pagingState: state));
        var frame = (await client.ReadAsync(Wait))!.Value;

        Assert.Equal(0x00, frame.Opcode);
        Assert.Equal((0x000A, "Invalid value for the paging state"), RawCqlClient.Error(frame.Body));
    }

    [Fact]
    public async Task ExecuteWithTooFewValues_IsInvalid_AndWithTheValue_Filters()
    {
        await using var client = await ReadyClientAsync();
        const string statement = "SELECT peer FROM system.peers WHERE peer = ?";
        var prepare = new List<byte>();
        prepare.AddRange(Int(statement.Length));
        prepare.AddRange(Encoding.UTF8.GetBytes(statement));
        await client.SendAsync(0x04, 2, 0x09, prepare.ToArray());
        var prepared = (await client.ReadAsync(Wait))!.Value.Body;
        Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(prepared));
        var id = prepared.AsSpan(6, BinaryPrimitives.ReadUInt16BigEndian(prepared.AsSpan(4))).ToArray();
        // Bind variables metadata: global table spec, one variable, one partition key index (0).
        var metadata = prepared.AsSpan(6 + id.Length);
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(metadata));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(metadata[4..]));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(metadata[8..]));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(metadata[12..]));

        byte[] Execute(byte[]? value)
        {
            var body = new List<byte> { 0, (byte)id.Length };
            body.AddRange(id);
            body.AddRange([0, 1, (byte)(value is null ? 0 : 0x01)]);
            if (value is not null)
            {
                body.AddRange([0, 1]);
                body.AddRange(Int(value.Length));
                body.AddRange(value);
            }
            return body.ToArray();
        }

        await client.SendAsync(0x04, 3, 0x0A, Execute(null));
        var refused = (await client.ReadAsync(Wait))!.Value;
        var target = _ring.Identities[2].Address;
        await client.SendAsync(0x04, 4, 0x0A, Execute(target.GetAddressBytes()));
        var filtered = (await client.ReadAsync(Wait))!.Value;

        Assert.Equal((0x2200, "There were 1 markers(?) in CQL but 0 bound variables"), RawCqlClient.Error(refused.Body));
        Assert.Equal([target], InetRows(filtered.Body).Rows);
    }
}

/// <summary><c>Lab:CassandraTls</c> is checked with the rest of the lab's options.</summary>
public sealed class LabCassandraTlsOptionsTests
{
    [Fact]
    public void MissingFiles_AndACertificateWithoutItsCa_AreRefusedNamingTheKeys()
    {
        var options = new LabOptions
        {
            CassandraTls = new LabCassandraTlsOptions { Enabled = true, CertificateFile = "/nowhere/node.pem", RequireClientCertificate = true },
        };

        var errors = options.Validate();

        Assert.Contains("Lab:CassandraTls:CertificateFile: the file '/nowhere/node.pem' does not exist.", errors);
        Assert.Contains(errors, e => e.StartsWith("Lab:CassandraTls:CertificateFile and Lab:CassandraTls:CaFile must be set together", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Lab:CassandraTls:RequireClientCertificate with a given CA needs Lab:CassandraTls:ClientCertificateFile", StringComparison.Ordinal));
    }

    [Fact]
    public void EnabledWithoutFiles_IsValid() =>
        Assert.Empty(new LabOptions { CassandraTls = new LabCassandraTlsOptions { Enabled = true, RequireClientCertificate = true } }.Validate());
}
