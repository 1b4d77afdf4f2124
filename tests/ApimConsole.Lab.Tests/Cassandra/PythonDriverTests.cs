using Xunit.Abstractions;
using ApimConsole.Lab.Faults;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// An independent real client accepts the lab's CQL nodes: the DataStax python driver (Debian's python3-cassandra)
/// negotiates the protocol version down to v5 (as with Cassandra 4.0), discovers the peers from system.peers_v2, and reads system.local.
/// </summary>
public sealed class PythonDriverTests(ITestOutputHelper log)
{
    private const string InstallHint = "the DataStax python driver is needed: apt-get install -y python3-cassandra (it runs with /usr/bin/python3)";

    [Fact]
    public async Task PythonDriver_ConnectsToALabRing_AndReadsSystemLocal()
    {
        await using var ring = await LabRing.StartAsync(new TestFaults(), subnet: "127.0.1");
        var seed = ring.Identities[0];

        var (exitCode, output) = await RunDriverAsync(seed.Address.ToString(), seed.NativePort.ToString());

        Assert.True(exitCode == 0, $"the python driver failed (exit {exitCode}):\n{output}");
        Assert.Contains("protocol_version=5", output);
        Assert.Contains($"data_center={seed.DataCenter}", output);
        Assert.Contains($"release_version={seed.ReleaseVersion}", output);
        Assert.Contains($"prepared_rack={seed.Rack}", output);
        // Peer discovery worked: every node of the ring is known, on the shared port, and up.
        foreach (var node in ring.Identities)
            Assert.Contains($"{node.Address}:{node.NativePort}/up", output);
    }

    [Fact]
    public async Task PythonDriver_AuthenticatesWithPasswordAuthenticator()
    {
        await using var ring = await LabRing.StartAsync(new TestFaults(), count: 1, subnet: "127.0.2", username: "cassandra", password: "s3cret");
        var seed = ring.Identities[0];

        var (exitCode, output) = await RunDriverAsync(seed.Address.ToString(), seed.NativePort.ToString(), "cassandra", "s3cret");

        Assert.True(exitCode == 0, $"the python driver failed (exit {exitCode}):\n{output}");
        Assert.Contains($"data_center={seed.DataCenter}", output);
    }

    private Task<(int ExitCode, string Output)> RunDriverAsync(params string[] args) =>
        DebianPython.RunAsync(InstallHint, log, DebianPython.Script("python_driver_probe.py"), args);
}
