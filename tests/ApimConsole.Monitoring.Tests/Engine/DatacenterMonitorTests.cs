using System.Net;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Gateways;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Monitoring.Tests.Engine;

/// <summary>
/// A datacenter monitor on its own, with a context a test makes: no status engine, no scheduler. Its probes are run
/// by hand; the ANM and the gateway answer from a stub handler.
/// </summary>
public sealed class DatacenterMonitorTests
{
    private static readonly DateTimeOffset Origin = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private const string Topology = """
        {"result": {"productVersion": "7.7.0", "hosts": [{"id": "host-1", "name": "gw1.dc1.example"}],
          "groups": [{"id": "group-2", "name": "Internal", "services": [
            {"id": "instance-1", "name": "APIServer1", "type": "gateway", "hostID": "host-1"}]}]}}
        """;

    [Fact]
    public async Task WithoutAnEngine_HandsBackItsProbes_AndReportsTheInstancesItsAnmNames()
    {
        var time = new FakeTimeProvider(Origin);
        var registered = new List<ProbeRegistration>();
        var changes = 0;
        using var http = new HttpClient(new StubPeers());
        var monitor = Monitor(time, http, registered, () => changes++);
        var runner = new DirectProbeRunner();

        // What configuration names is handed back at once; nothing is probed or scheduled by the monitor itself.
        var started = monitor.Start();
        Assert.Equal(["anm", "cassandra-1"], started.Select(r => r.Monitor.Id));
        Assert.All(started, r => Assert.NotNull(r.StartedFailing));
        Assert.Empty(registered);

        // The ANM's answer names an instance: the monitor registers its probe and says the picture changed.
        var anm = await started[0].ProbeAndRecordAsync(runner, time, CancellationToken.None);
        Assert.True(anm?.Changed);
        var instance = Assert.Single(registered);
        Assert.Equal(("dc1", "instance-1", "APIServer1"), (instance.Monitor.DatacenterId, instance.Monitor.Id, instance.Monitor.Name));
        Assert.Equal(1, changes);

        // The same topology again: nothing new to register, nothing to report.
        await started[0].ProbeAndRecordAsync(runner, time, CancellationToken.None);
        Assert.Single(registered);
        Assert.Equal(1, changes);

        var probed = await instance.ProbeAndRecordAsync(runner, time, CancellationToken.None);
        Assert.True(probed?.Changed);
        var snapshot = monitor.Observe();
        Assert.Equal(ComponentState.Up, Assert.Single(snapshot.AdminNodeManagers).State);
        var gateway = Assert.Single(Assert.Single(snapshot.Groups).Instances);
        Assert.Equal((ComponentState.Up, "gw1.dc1.example", "group-2"), (gateway.State, gateway.HostName, gateway.GroupId));
    }

    [Fact]
    public async Task StoppedInstance_ReasonIsOneSentence_TheAnmsWordThenTheHealthCheck()
    {
        var time = new FakeTimeProvider(Origin);
        var registered = new List<ProbeRegistration>();
        using var http = new HttpClient(new StubPeers(stopped: true));
        var monitor = Monitor(time, http, registered, () => { });
        var runner = new DirectProbeRunner();
        var started = monitor.Start();
        await started[0].ProbeAndRecordAsync(runner, time, CancellationToken.None);
        await Assert.Single(registered).ProbeAndRecordAsync(runner, time, CancellationToken.None);

        var gateway = Assert.Single(Assert.Single(monitor.Observe().Groups).Instances);
        Assert.Equal((ComponentState.Down, "Stopped"), (gateway.State, gateway.ManagementStatus));
        Assert.StartsWith("stopped according to the ANM; health check: ", gateway.Reason);
        Assert.DoesNotContain("(", gateway.Reason);
    }

    [Theory]
    [InlineData("connection reset", "stopped according to the ANM; health check: connection reset")]
    [InlineData("HTTP 503.", "stopped according to the ANM; health check: HTTP 503")]
    [InlineData(null, "stopped according to the ANM")]
    public void StoppedReason_ExactSentence(string? healthCheck, string expected) =>
        Assert.Equal(expected, DatacenterMonitor.StoppedReason(healthCheck));

    /// <summary>dc1 with one ANM and one Cassandra node, its peers answered by <paramref name="http"/>; Fall and Rise 1.</summary>
    private static DatacenterMonitor Monitor(FakeTimeProvider time, HttpClient http, List<ProbeRegistration> registered, Action changed)
    {
        var context = new DatacenterMonitorContext(time, new ProbeOptions { Fall = 1, Rise = 1 }, NullLogger.Instance, http,
            new GatewayHealthProbe(http), new CassandraProbe(), registered.Add, changed);
        return new DatacenterMonitor(context, new DatacenterOptions
        {
            Id = "dc1",
            Name = "Datacenter 1",
            AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc1.example:8090"], Username = "admin", Password = "pw" },
            Gateways = new GatewayOptions { TrafficScheme = "http", TrafficPort = 8080 },
            Cassandra = new CassandraOptions { ContactPoints = ["10.0.0.1"] },
        });
    }

    /// <summary>The ANM's topology, and a gateway on the host it names: healthy, or stopped (503, and the ANM says status 3).</summary>
    private sealed class StubPeers(bool stopped = false) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri switch
            {
                { Host: "anm.dc1.example", AbsolutePath: "/api/topology" } => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Topology) },
                { Host: "anm.dc1.example", AbsolutePath: "/api/management/status/group-2/instance-1" } =>
                    new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"result": "3"}""") },
                { Host: "gw1.dc1.example", Port: 8080, AbsolutePath: "/healthcheck" } => stopped
                    ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                    : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<status>ok</status>") },
                _ => new HttpResponseMessage(HttpStatusCode.NotFound),
            });
    }
}
