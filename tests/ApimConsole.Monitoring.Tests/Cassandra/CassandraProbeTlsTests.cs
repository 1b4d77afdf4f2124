using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Core.Configuration;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Monitoring.Cassandra;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>
/// The probe against lab nodes with client-to-node encryption. The test makes its own CAs and certificates
/// (<see cref="CertificateRequest"/>, through <see cref="LabCertificates"/>): a node certificate for 127.0.0.1 and
/// localhost signed by a CA the probe trusts, by one it does not, for another host; and client certificates.
/// </summary>
public sealed class CassandraProbeTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly X509Certificate2 TrustedCa = LabCertificates.CreateAuthority("Test Cassandra CA", Now);
    private static readonly X509Certificate2 OtherCa = LabCertificates.CreateAuthority("Someone Else's CA", Now);
    private static readonly X509Certificate2 NodeCertificate = LabCertificates.Issue(TrustedCa, "node1.cassandra.test", Now, server: true,
        ["localhost"], [IPAddress.Loopback]);

    private static CassandraTlsMaterial Trusting(X509Certificate2 ca, X509Certificate2? client = null, bool checkHostName = true) =>
        new(new X509Certificate2Collection { ca }, client, checkHostName);

    private static async Task<CassandraProbeResult> ProbeAsync(CqlNodeTls? nodeTls, CassandraTlsMaterial? probeTls, TimeSpan? timeout = null)
    {
        await using var node = await TlsNode.StartAsync(nodeTls);
        return await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(node.Endpoint, null, null, probeTls), timeout ?? Timeout, CancellationToken.None);
    }

    [Fact]
    public async Task TrustedCa_IsUp_AndReadsTheNode()
    {
        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate), Trusting(TrustedCa));

        Assert.True(result.Success, result.Failure);
        Assert.Equal("DC1", result.Local!.DataCenter);
    }

    [Fact]
    public async Task KeptTlsConnection_IsReused_AcrossProbes()
    {
        await using var node = await TlsNode.StartAsync(new CqlNodeTls(NodeCertificate));
        using var connection = new CassandraConnection();
        var request = new CassandraProbeRequest(node.Endpoint, null, null, Trusting(TrustedCa));
        var probe = new CassandraProbe();

        var first = await probe.ProbeLocalAsync(request, connection, Timeout, CancellationToken.None);
        var second = await probe.ProbeLocalAsync(request, connection, Timeout, CancellationToken.None);

        Assert.True(first.Success, first.Failure);
        Assert.True(second.Success, second.Failure);
        Assert.True(connection.IsOpen);
        Assert.Equal(1, node.Server.OpenConnections);
    }

    [Fact]
    public async Task CertificateOfAnotherCa_IsDown_NotTrusted()
    {
        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate), Trusting(OtherCa));

        Assert.False(result.Success);
        Assert.StartsWith("certificate not trusted: ", result.Failure);
        Assert.Contains("CN=node1.cassandra.test", result.Failure);
    }

    [Fact]
    public async Task NoCaFile_TrustsTheSystemStore_WhichDoesNotKnowTheTestCa()
    {
        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate), new CassandraTlsMaterial(null, null, CheckHostName: true));

        Assert.False(result.Success);
        Assert.StartsWith("certificate not trusted: ", result.Failure);
        Assert.Contains("not trusted by the system store: set Cassandra:Tls:CaFile", result.Failure);
    }

    [Fact]
    public async Task CertificateForAnotherHost_IsDown_NameMismatch_UnlessTheCheckIsOff()
    {
        using var elsewhere = LabCertificates.Issue(TrustedCa, "cassandra.elsewhere.test", Now, server: true, ["cassandra.elsewhere.test"]);

        var checkedName = await ProbeAsync(new CqlNodeTls(elsewhere), Trusting(TrustedCa));
        var unchecked_ = await ProbeAsync(new CqlNodeTls(elsewhere), Trusting(TrustedCa, checkHostName: false));

        Assert.False(checkedName.Success);
        Assert.StartsWith("certificate name mismatch: the node presented CN=cassandra.elsewhere.test", checkedName.Failure);
        Assert.EndsWith("expected 127.0.0.1", checkedName.Failure);
        Assert.True(unchecked_.Success, unchecked_.Failure);
    }

    [Fact]
    public async Task ClientCertificateRequired_AndNoneConfigured_SaysWhichKeyToSet()
    {
        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate, RequireClientCertificate: true, [TrustedCa]), Trusting(TrustedCa));

        Assert.False(result.Success);
        Assert.Equal("server asks for a client certificate (require_client_auth): set Estate:Datacenters:N:Cassandra:Tls:ClientCertificateFile", result.Failure);
    }

    [Fact]
    public async Task ClientCertificateRequired_AndPresented_IsUp()
    {
        using var client = LabCertificates.Issue(TrustedCa, "apim-console", Now, server: false);

        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate, RequireClientCertificate: true, [TrustedCa]), Trusting(TrustedCa, client));

        Assert.True(result.Success, result.Failure);
    }

    [Fact]
    public async Task ClientCertificateFromPemFiles_ThroughTheConfiguration_IsUp()
    {
        using var client = LabCertificates.Issue(TrustedCa, "apim-console", Now, server: false);
        var folder = Directory.CreateTempSubdirectory("cql-tls-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "ca.pem"), TrustedCa.ExportCertificatePem());
            File.WriteAllText(Path.Combine(folder, "client.pem"), LabCertificates.ToPemWithKey(client));
            var errors = new List<string>();
            var material = CassandraTlsFiles.TryLoad(new CassandraTlsOptions
            {
                Enabled = true,
                CaFile = Path.Combine(folder, "ca.pem"),
                ClientCertificateFile = Path.Combine(folder, "client.pem"),
            }, "Estate:Datacenters:0:Cassandra:Tls", errors);
            Assert.Empty(errors);

            var result = await ProbeAsync(new CqlNodeTls(NodeCertificate, RequireClientCertificate: true, [TrustedCa]), material);

            Assert.True(result.Success, result.Failure);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TlsProbe_AgainstANodeInClear_SaysTheNodeDoesNotSpeakTls()
    {
        var result = await ProbeAsync(nodeTls: null, Trusting(TrustedCa));

        Assert.False(result.Success);
        Assert.StartsWith("the node does not speak TLS (it answered in clear", result.Failure);
    }

    [Fact]
    public async Task ClearProbe_AgainstATlsNode_FailsWithAReason_WithinTheDeadline()
    {
        var watch = Stopwatch.StartNew();
        var result = await ProbeAsync(new CqlNodeTls(NodeCertificate), probeTls: null, timeout: TimeSpan.FromSeconds(1));

        Assert.False(result.Success);
        // The node hangs up on a CQL frame where a ClientHello should be, as Cassandra does (it sends no TLS alert).
        Assert.Equal("connection reset by the node (waiting for SUPPORTED)", result.Failure);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task NodeThatNeverFinishesTheHandshake_TimesOutWithinTheDeadline()
    {
        // Reads the ClientHello as if it were a CQL header and waits for a body that never comes.
        await using var silent = new HostileCqlServer((_, _, _) => null);
        var watch = Stopwatch.StartNew();

        var result = await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(silent.Endpoint, null, null, Trusting(TrustedCa)),
            TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.False(result.Success);
        Assert.True(result.TimedOut);
        Assert.Equal("timed out after 500 ms (TLS handshake)", result.Failure);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"took {watch.Elapsed}");
    }

    /// <summary>One lab node on 127.0.0.1 with a free port, optionally with TLS.</summary>
    private sealed class TlsNode : IAsyncDisposable
    {
        private CqlNodeIdentity? _identity;

        private TlsNode(CqlNodeTls? tls)
        {
            Server = new CqlNodeServer(() => _identity!, () => [_identity!], new TestFaults(), NullLogger.Instance) { Tls = tls };
        }

        public CqlNodeServer Server { get; }

        public HostPort Endpoint => new("127.0.0.1", Server.LocalEndPoint!.Port);

        public static async Task<TlsNode> StartAsync(CqlNodeTls? tls)
        {
            var node = new TlsNode(tls);
            await node.Server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
            node._identity = new CqlNodeIdentity("dc1", "cassandra-1", IPAddress.Loopback, node.Server.LocalEndPoint!.Port, "DC1", "rack1",
                "4.0.11", Guid.NewGuid(), LabRing.SchemaVersion, "apim-lab");
            return node;
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
