using Microsoft.Extensions.Configuration;
using System.Net;
using System.Text.Json;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.Estate;

public sealed class TopologyTests
{
    [Fact]
    public async Task Topology_ListsInternalAndDmzGroups_WithInstancesOnTheirOwnHosts()
    {
        await using var lab = await LabTestHost.StartAsync();
        foreach (var dc in lab.Endpoints.Datacenters)
        {
            using var anm = LabTestHost.AnmClient(dc);
            var result = (await LabTestHost.GetJsonAsync(anm, "/api/topology")).GetProperty("result");
            Assert.Equal("7.7.0", result.GetProperty("productVersion").GetString());
            var hosts = result.GetProperty("hosts").EnumerateArray().ToDictionary(h => h.GetProperty("id").GetString()!, h => h.GetProperty("name").GetString()!);
            var groups = result.GetProperty("groups").EnumerateArray().ToList();

            var internalZone = groups.Single(g => g.GetProperty("id").GetString() == "group-2");
            Assert.Equal("Internal Zone", internalZone.GetProperty("name").GetString());
            Assert.Equal("internal", internalZone.GetProperty("tags").GetProperty("zone").GetString());
            var dmz = groups.Single(g => g.GetProperty("id").GetString() == "group-3");
            Assert.Equal("DMZ", dmz.GetProperty("name").GetString());
            Assert.Equal("dmz", dmz.GetProperty("tags").GetProperty("zone").GetString());

            var services = internalZone.GetProperty("services").EnumerateArray().Concat(dmz.GetProperty("services").EnumerateArray()).ToList();
            Assert.Equal(["instance-1", "instance-2", "instance-3", "instance-4"], services.Select(s => s.GetProperty("id").GetString()));
            foreach (var service in services)
            {
                Assert.Equal("gateway", service.GetProperty("type").GetString());
                Assert.True(service.GetProperty("enabled").GetBoolean());
                var host = hosts[service.GetProperty("hostID").GetString()!];
                // The console probes http://<host name>:<configured traffic port>/healthcheck, as on a real estate.
                var healthcheck = $"http://{host}:{dc.GatewayTrafficPort}/healthcheck";
                using var client = LabTestHost.Client();
                using var response = await client.GetAsync(healthcheck);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("<status>ok</status>", await response.Content.ReadAsStringAsync());
            }
            Assert.Equal(4, hosts.Values.Where(h => h.StartsWith("127.0.2.")).Distinct().Count());
        }
        Assert.Equal(["Frankfurt", "Amsterdam"], lab.Endpoints.Datacenters.Select(d => d.Name));
        Assert.Single(lab.Endpoints.Datacenters.Select(d => d.GatewayTrafficPort).Distinct());
    }

    [Fact]
    public async Task Anm_RequiresBasicAuth()
    {
        await using var lab = await LabTestHost.StartAsync();
        var dc = lab.Endpoints["dc1"];
        using var anonymous = LabTestHost.Client();
        using var unauthenticated = await anonymous.GetAsync(dc.AnmUrl + "/api/topology");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Contains("Basic", unauthenticated.Headers.WwwAuthenticate.ToString());

        using var wrong = LabTestHost.AnmClient(dc, password: "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/management/status/group-2/instance-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/router/service/instance-1/ops/search")).StatusCode);

        using var right = LabTestHost.AnmClient(dc);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/api/topology")).StatusCode);
    }

    [Fact]
    public async Task ConsoleConfiguration_BindsToTheConsolesEstateOptions()
    {
        await using var lab = await LabTestHost.StartAsync();
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(lab.ToConsoleConfiguration()).Build();
        var estate = new ApimConsole.Core.Configuration.EstateOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(ApimConsole.Core.Configuration.EstateOptions.SectionName), estate);

        Assert.Equal("dc1", estate.ConsoleDatacenter);
        Assert.Equal(lab.Endpoints.LoadBalancerStatusUrl, estate.LoadBalancer.StatusUrl);
        // The YARP load balancer takes a member out after one failed check: the test lab's 200 ms interval plus its 300 ms timeout.
        Assert.Equal(TimeSpan.FromMilliseconds(500), estate.LoadBalancer.HealthCheckLag);
        Assert.Equal(2, estate.Datacenters.Count);
        for (var i = 0; i < 2; i++)
        {
            var expected = lab.Endpoints.Datacenters[i];
            var bound = estate.Datacenters[i];
            Assert.Equal(expected.Id, bound.Id);
            Assert.Equal(expected.Name, bound.Name);
            Assert.Equal([expected.AnmUrl], bound.AdminNodeManager.Urls);
            Assert.Equal("admin", bound.AdminNodeManager.Username);
            Assert.Equal("changeme", bound.AdminNodeManager.Password);
            Assert.Equal(expected.GatewayTrafficPort, bound.Gateways.TrafficPort);
            Assert.Equal(3, bound.Cassandra.ContactPoints.Count);
            Assert.Equal(expected.CassandraContactPoints, bound.Cassandra.ContactPoints);
        }
        Assert.Equal(["127.0.1.1", "127.0.1.2", "127.0.1.3"], estate.Datacenters[0].Cassandra.ContactPoints.Select(c => c.Split(':')[0]));
        Assert.Equal(["127.0.1.4", "127.0.1.5", "127.0.1.6"], estate.Datacenters[1].Cassandra.ContactPoints.Select(c => c.Split(':')[0]));
    }

    [Fact]
    public async Task InvalidOptions_AreRefusedWithTheKeyNamed()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => LabTestHost.StartAsync(o =>
        {
            o.ConsoleDatacenter = "dc9";
            o.InstancesPerGroup = 0;
            o.TraceLinesPerInstance = 10;
        }));
        Assert.Contains("Lab:ConsoleDatacenter", e.Message);
        Assert.Contains("Lab:InstancesPerGroup", e.Message);
        Assert.Contains("Lab:TraceLinesPerInstance", e.Message);
    }

    [Fact]
    public void Options_BindFromConfiguration_WithoutDuplicatingDefaults()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Lab:Datacenters:0:Name"] = "Paris",
            ["Lab:Datacenters:1:Name"] = "Lyon",
            ["Lab:TrafficRatePerSecond"] = "5",
        }).Build();
        var options = new LabOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(LabOptions.SectionName), options);
        Assert.Empty(options.Validate());
        Assert.Equal(["dc1", "dc2"], options.EffectiveDatacenters.Select(d => d.Id));
        Assert.Equal(["Paris", "Lyon"], options.EffectiveDatacenters.Select(d => d.Name));
        Assert.Equal(5, options.TrafficRatePerSecond);
        Assert.Equal(LabOptions.DefaultApis.Count, options.EffectiveApis.Count);
    }
}
