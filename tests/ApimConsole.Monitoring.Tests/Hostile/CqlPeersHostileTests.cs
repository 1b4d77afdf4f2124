using System.Diagnostics;
using System.Text;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Tests.Cassandra;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>
/// The status engine's Cassandra probe (our own CQL v4 client) against peers that hang, drip, hang up half-way or send
/// frames no Cassandra node sends: the node ends Down with a reason that names the problem, after one probe timeout
/// (plus a margin), without allocating what a lying length field claims. Frame-level parsing is covered in depth by
/// <see cref="CassandraProbeHostileServerTests"/>; this is the same through the engine, on the wire.
/// </summary>
public sealed class CqlPeersHostileTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);

    private const byte Supported = (byte)CqlOpcode.Supported;

    // The engine's deadline and the probe's own are the same length: whichever fires first names the timeout.
    private const string TimedOut = "(timed out after 1000 ms|no answer within 1000 ms)";

    public static TheoryData<string, Func<HostilePeer>, string> Peers => new()
    {
        { "never answers", HostilePeer.NeverAnswering, TimedOut },
        { "one byte per 100 ms", () => HostilePeer.CqlDripping(HostileCqlServer.Supported, TimeSpan.FromMilliseconds(100)), TimedOut },
        { "closes mid-header", () => HostilePeer.CqlHalfAnswering(s => HostilePeer.CqlHeader(0x84, s, Supported, 0), reset: false), "^truncated frame: connection closed after 4 of 9 header bytes$" },
        { "closes mid-body", () => HostilePeer.CqlHalfAnswering(HostileCqlServer.Supported, reset: false), "^truncated frame: connection closed after \\d+ of \\d+ body bytes$" },
        { "resets mid-frame", () => HostilePeer.CqlHalfAnswering(HostileCqlServer.Supported, reset: true), "^connection reset by the node \\(waiting for SUPPORTED\\)$" },
        { "a web server's answer", () => HostilePeer.Cql((_, _) => Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n")), "^malformed frame: version byte 0x48 is not a response$" },
        { "a v2 response", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x82, s, Supported, 0)), "^wrong protocol version: server answered with v2, expected v4$" },
        { "a v6 response", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x86, s, Supported, 0)), "^wrong protocol version: server answered with v6, expected v4$" },
        { "a request-direction frame", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x04, s, Supported, 0)), "^malformed frame: version byte 0x04 is not a response$" },
        { "a 2 GB length field", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x84, s, Supported, int.MaxValue)), "^oversized frame: body of 2147483647 bytes exceeds the limit of 1048576 bytes$" },
        { "an unknown opcode", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x84, s, 0x42, 0)), "^malformed frame: unknown opcode 0x42$" },
        { "the wrong opcode", () => HostilePeer.Cql((_, s) => HostileCqlServer.Ready(s)), "^unexpected response: Ready to OPTIONS, expected Supported$" },
        { "the wrong stream id", () => HostilePeer.Cql((_, s) => HostileCqlServer.Supported((short)(s + 7))), "^malformed frame: response on stream 8, expected 1$" },
        { "compression nobody asked for", () => HostilePeer.Cql((_, s) => HostilePeer.CqlHeader(0x84, s, Supported, 0, flags: 0x01)), "^malformed frame: compressed body although no compression was negotiated$" },
        { "a lying count", () => HostilePeer.Cql((_, s) => [.. HostilePeer.CqlHeader(0x84, s, Supported, 4), 0xFF, 0xFF, 0, 1]), "^malformed frame: \\[string multimap\\] count 65535" },
    };

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Cassandra_EndsDown_WithAReasonNamingTheProblem(string peerDoes, Func<HostilePeer> start, string reason)
    {
        await using var peer = start();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await using var engine = await HostileEngine.StartAsync(HostileEngine.Datacenter("dc1", anm: null, cassandra: peer.Endpoint.ToString()));

        var actual = await engine.DownReasonAsync("dc1/cassandra-1");

        Assert.Matches(reason, actual);
        Assert.True(clock.Elapsed < HostileEngine.ProbeTimeout + Margin, $"peer {peerDoes}: Down only after {clock.Elapsed}");
        // The count is the whole process's and other tests run in parallel (one run saw 277 MB here), so only the order of
        // magnitude is asserted: under 1 GiB, where reading a 2 GB frame would allocate at least 2 GiB.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 1L << 30, $"peer {peerDoes}: {allocated} bytes allocated");
    }
}
