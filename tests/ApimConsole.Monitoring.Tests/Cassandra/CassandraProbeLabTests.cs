using System.Net;
using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Lab.Faults;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>The console's probe against real lab nodes, over the network.</summary>
public sealed class CassandraProbeLabTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(5);
    private readonly TestFaults _faults = new();
    private readonly CassandraProbe _probe = new();
    private LabRing _ring = null!;

    public async Task InitializeAsync() => _ring = await LabRing.StartAsync(_faults, subnet: "127.0.4");

    public async Task DisposeAsync() => await _ring.DisposeAsync();

    private Task<CassandraProbeResult> ProbeAsync(HostPort endpoint, TimeSpan timeout, string? user = null, string? password = null) =>
        _probe.ProbeAsync(new CassandraProbeRequest(endpoint, user, password), timeout, CancellationToken.None);

    [Fact]
    public async Task Probe_ReadsLocalInfoAndPeers()
    {
        var result = await ProbeAsync(_ring.Endpoint(1), Generous);

        Assert.True(result.Success, result.Failure);
        var self = _ring.Identities[1];
        Assert.Equal(new CassandraLocalInfo("apim-lab", "DC1", "rack2", "4.0.11", LabRing.SchemaVersion, self.HostId), result.Local);
        Assert.Equal(2, result.Peers.Count);
        foreach (var other in new[] { _ring.Identities[0], _ring.Identities[2] })
        {
            var peer = Assert.Single(result.Peers, p => p.HostId == other.HostId);
            Assert.Equal(new CassandraPeerInfo(other.Address.ToString(), "DC1", other.Rack, "4.0.11", LabRing.SchemaVersion, other.HostId, other.NativePort), peer);
        }
    }

    [Fact]
    public async Task Probe_OfAPre40Node_FallsBackToSystemPeers()
    {
        await using var ring = await LabRing.StartAsync(_faults, subnet: "127.0.5", releaseVersion: "3.11.14");

        var result = await ProbeAsync(ring.Endpoint(0), Generous);

        Assert.True(result.Success, result.Failure);
        Assert.Equal("3.11.14", result.Local!.ReleaseVersion);
        Assert.Equal(2, result.Peers.Count);
        Assert.All(result.Peers, p => Assert.Null(p.NativePort));
        Assert.Contains(result.Peers, p => p.Address == "127.0.5.2");
    }

    [Fact]
    public async Task Probe_WithPassword_Authenticates()
    {
        await using var ring = await LabRing.StartAsync(_faults, subnet: "127.0.6", username: "console", password: "pa55");

        var result = await ProbeAsync(ring.Endpoint(0), Generous, "console", "pa55");

        Assert.True(result.Success, result.Failure);
        Assert.Equal("DC1", result.Local!.DataCenter);
    }

    [Fact]
    public async Task Probe_WithWrongPassword_FailsWithTheReason()
    {
        await using var ring = await LabRing.StartAsync(_faults, subnet: "127.0.6", username: "console", password: "pa55");

        var result = await ProbeAsync(ring.Endpoint(0), Generous, "console", "wrong");

        Assert.False(result.Success);
        Assert.StartsWith("authentication failed:", result.Failure);
        Assert.Contains("0x0100", result.Failure);
        Assert.Contains("incorrect", result.Failure);
    }

    [Fact]
    public async Task Probe_WithoutCredentials_OfANodeThatWantsThem_SaysSo()
    {
        await using var ring = await LabRing.StartAsync(_faults, subnet: "127.0.6", username: "console", password: "pa55");

        var result = await ProbeAsync(ring.Endpoint(0), Generous);

        Assert.False(result.Success);
        Assert.Equal("authentication failed: the node requires credentials (org.apache.cassandra.auth.PasswordAuthenticator) and none are configured", result.Failure);
    }

    [Fact]
    public async Task Probe_OfADownNode_FailsWithoutWaitingForTheTimeout()
    {
        _faults.Set("cassandra-1", FaultMode.Down);

        var result = await ProbeAsync(_ring.Endpoint(0), Generous);

        Assert.False(result.Success);
        Assert.DoesNotContain("timed out", result.Failure);
    }

    [Fact]
    public async Task Probe_OfAHungNode_TimesOut()
    {
        _faults.Set("cassandra-1", FaultMode.Hang);

        var result = await ProbeAsync(_ring.Endpoint(0), TimeSpan.FromMilliseconds(300));

        Assert.False(result.Success);
        Assert.Equal("timed out after 300 ms (waiting for SUPPORTED)", result.Failure);
    }

    [Fact]
    public async Task Probe_OfASlowNode_SucceedsWithinAGenerousTimeout_AndTimesOutWithinAShortOne()
    {
        _faults.Set("cassandra-1", FaultMode.Slow);

        var patient = await ProbeAsync(_ring.Endpoint(0), Generous);
        // Five requests at 150 ms each cannot fit in 300 ms.
        var impatient = await ProbeAsync(_ring.Endpoint(0), TimeSpan.FromMilliseconds(300));

        Assert.True(patient.Success, patient.Failure);
        Assert.False(impatient.Success);
        Assert.StartsWith("timed out after 300 ms", impatient.Failure);
    }

    [Fact]
    public async Task Probe_OfAClosedPort_SaysConnectionRefused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await ProbeAsync(new HostPort("127.0.0.1", port), Generous);

        Assert.Equal(new CassandraProbeResult(false, "connection refused", null, []).Failure, result.Failure);
        Assert.Empty(result.Peers);
    }

    [Fact]
    public async Task Probe_WhenTheCallerCancels_ThrowsOperationCanceled()
    {
        _faults.Set("cassandra-1", FaultMode.Hang);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _probe.ProbeAsync(new CassandraProbeRequest(_ring.Endpoint(0), null, null), Generous, cts.Token));
    }

    [Fact]
    public async Task Probe_AfterANodeComesBack_Succeeds()
    {
        _faults.Set("cassandra-1", FaultMode.Down);
        Assert.False((await ProbeAsync(_ring.Endpoint(0), Generous)).Success);

        _faults.Set("cassandra-1", FaultMode.None);

        Assert.True((await ProbeAsync(_ring.Endpoint(0), Generous)).Success);
    }
}
