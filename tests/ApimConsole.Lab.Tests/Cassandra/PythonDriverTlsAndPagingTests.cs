using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Lab.Cassandra;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// The DataStax python driver (Debian's python3-cassandra) against the lab's CQL nodes: over TLS with an
/// <c>ssl.SSLContext</c> that checks the chain and the host name (certificates made by the test), with
/// <c>require_client_auth</c>; prepared statements with bind markers on the system tables; and paging.
/// </summary>
public sealed class PythonDriverTlsAndPagingTests(ITestOutputHelper log) : IDisposable
{
    private const string InstallHint = "the DataStax python driver is needed: apt-get install -y python3-cassandra (it runs with /usr/bin/python3)";

    private readonly string _folder = Directory.CreateTempSubdirectory("lab-cql-tls-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task PythonDriver_OverTls_TrustsTheLabsCa_AndDiscoversEveryPeer()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = LabCertificates.CreateAuthority("Lab test CA", now);
        var addresses = Enumerable.Range(1, 3).Select(i => IPAddress.Parse($"127.0.5.{i}")).ToList();
        using var node = LabCertificates.Issue(ca, "cassandra.lab.test", now, server: true, ["localhost"], [IPAddress.Loopback, .. addresses]);
        await using var ring = await Ring.StartAsync(addresses, new CqlNodeTls(node));
        var caFile = Write("ca.pem", ca.ExportCertificatePem());

        var (exitCode, output) = await RunAsync("tls", ring.Seed.Address.ToString(), ring.Port.ToString(), caFile);

        Assert.True(exitCode == 0, $"the python driver failed over TLS (exit {exitCode}):\n{output}");
        Assert.Contains("protocol_version=5", output);
        Assert.Contains("data_center=DC1", output);
        foreach (var address in addresses)
            Assert.Contains($"{address}:{ring.Port}/up", output);
    }

    [Fact]
    public async Task PythonDriver_OverTls_WithRequireClientAuth_ConnectsWithItsCertificate_AndIsRefusedWithout()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = LabCertificates.CreateAuthority("Lab test CA", now);
        var addresses = new List<IPAddress> { IPAddress.Parse("127.0.6.1") };
        using var node = LabCertificates.Issue(ca, "cassandra.lab.test", now, server: true, null, addresses);
        using var client = LabCertificates.Issue(ca, "python-driver", now, server: false);
        await using var ring = await Ring.StartAsync(addresses, new CqlNodeTls(node, RequireClientCertificate: true, [ca]));
        var caFile = Write("ca.pem", ca.ExportCertificatePem());
        var clientFile = Write("client.pem", LabCertificates.ToPemWithKey(client));

        var (withCode, withOutput) = await RunAsync("tls", "127.0.6.1", ring.Port.ToString(), caFile, clientFile);
        var (withoutCode, withoutOutput) = await RunAsync("tls", "127.0.6.1", ring.Port.ToString(), caFile);

        Assert.True(withCode == 0, $"the python driver failed with its client certificate (exit {withCode}):\n{withOutput}");
        Assert.Contains("data_center=DC1", withOutput);
        Assert.NotEqual(0, withoutCode);
        Assert.Contains("NoHostAvailable", withoutOutput);
    }

    [Fact]
    public async Task PythonDriver_PreparesBindMarkersOnSystemTables_AndTheValuesFilter()
    {
        var addresses = Enumerable.Range(1, 3).Select(i => IPAddress.Parse($"127.0.5.{i + 10}")).ToList();
        await using var ring = await Ring.StartAsync(addresses, tls: null);
        var peer = ring.Identities[2];

        var (exitCode, output) = await RunAsync("prepared", ring.Seed.Address.ToString(), ring.Port.ToString(), peer.Address.ToString());

        Assert.True(exitCode == 0, $"the python driver failed (exit {exitCode}):\n{output}");
        // Bind variables: the column, its table and type; the marker binds the partition key (routing index 0).
        Assert.Contains("peers_bind=system.peers.peer:inet", output);
        Assert.Contains("peers_routing=[0]", output);
        Assert.Contains("peers_result=peer,data_center,rack,host_id", output);
        Assert.Contains("peers_rows=1", output);
        Assert.Contains($"peers_row={peer.Address}/{peer.Rack}", output);
        Assert.Contains("peers_none=0", output);
        Assert.Contains("local_bind=key:varchar", output);
        Assert.Contains("local_row=local/DC1", output);
        Assert.Contains("local_other=0", output);
    }

    [Fact]
    public async Task PythonDriver_PagesThroughSystemPeers_GettingEveryRowOnce()
    {
        // One listening node whose system.peers names 41 others (they exist only there; the driver connects to the seed only).
        var addresses = Enumerable.Range(1, 42).Select(i => IPAddress.Parse($"127.0.7.{i}")).ToList();
        await using var ring = await Ring.StartAsync(addresses, tls: null, listening: 1);

        var (exitCode, output) = await RunAsync("paging", ring.Seed.Address.ToString(), ring.Port.ToString(), "5");

        Assert.True(exitCode == 0, $"the python driver failed (exit {exitCode}):\n{output}");
        Assert.Contains("pages=9", output); // 41 rows, 5 a page
        Assert.Contains("rows=41", output);
        Assert.Contains("distinct=41", output);
        Assert.Contains("iterated=41", output);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<(int ExitCode, string Output)> RunAsync(params string[] args) =>
        DebianPython.RunAsync(InstallHint, log, DebianPython.Script("python_driver_checks.py"), args);

    /// <summary>Lab nodes on the given addresses sharing one port; the first <c>listening</c> of them listen.</summary>
    private sealed class Ring : IAsyncDisposable
    {
        private readonly List<CqlNodeServer> _nodes = [];

        public List<CqlNodeIdentity> Identities { get; } = [];

        public CqlNodeIdentity Seed => Identities[0];

        public int Port { get; private set; }

        public static async Task<Ring> StartAsync(IReadOnlyList<IPAddress> addresses, CqlNodeTls? tls, int? listening = null)
        {
            for (var attempt = 0; ; attempt++)
            {
                var ring = new Ring();
                try
                {
                    var port = 0;
                    for (var i = 0; i < (listening ?? addresses.Count); i++)
                    {
                        var index = i;
                        var node = new CqlNodeServer(() => ring.Identities[index], () => ring.Identities, new TestFaults(), NullLogger.Instance) { Tls = tls };
                        await node.StartAsync(new IPEndPoint(addresses[i], port), CancellationToken.None);
                        port = node.LocalEndPoint!.Port;
                        ring._nodes.Add(node);
                        if (i == 0)
                            ring.Port = port;
                    }
                    for (var i = 0; i < addresses.Count; i++)
                    {
                        ring.Identities.Add(new CqlNodeIdentity("dc1", $"cassandra-{i + 1}", addresses[i], port, "DC1", $"rack{i % 3 + 1}",
                            "4.0.11", Guid.NewGuid(), LabRing.SchemaVersion, "apim-lab"));
                    }
                    return ring;
                }
                catch (SocketException) when (attempt < 5)
                {
                    await ring.DisposeAsync();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in _nodes)
                await node.DisposeAsync();
        }
    }
}
