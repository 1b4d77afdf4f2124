using System.Net;
using System.Net.Http.Json;
using ApimConsole.Lab.Api;
using ApimConsole.Lab.Faults;
using ApimConsole.Lab.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Lab.Tests.Faults;

/// <summary>The soak's random probe loss: only the console's side loses probes, never the load balancer.</summary>
public sealed class ProbeDropTests
{
    [Fact]
    public async Task DropEverything_FailsConsoleProbes_NotLoadBalancerOnes_AndHealStopsIt()
    {
        await using var lab = await LabTestHost.StartAsync();
        var health = new Uri(lab.Endpoints["dc1"].Gateways[0].TrafficUrl.TrimEnd('/') + "/healthcheck");

        lab.Faults.SetProbeDropRate(1.0);
        using (var console = LabTestHost.Client(timeout: TimeSpan.FromSeconds(2)))
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => console.GetAsync(health));
        using (var loadBalancer = LabTestHost.Client(LabAddresses.LoadBalancerSource))
            Assert.Equal(HttpStatusCode.OK, (await loadBalancer.GetAsync(health)).StatusCode);
        Assert.True(lab.Faults.DroppedProbes >= 1);

        lab.Faults.HealAll();
        Assert.Equal(0, lab.Faults.ProbeDropRate);
        using var after = LabTestHost.Client();
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync(health)).StatusCode);
    }

    [Theory]
    [InlineData("""{"target":"*","action":"drop"}""", "probability")]
    [InlineData("""{"target":"*","action":"drop","probability":1.5}""", "between 0 and 1")]
    public async Task BadDropRequest_Is400_AndChangesNothing(string body, string expected)
    {
        await using var lab = await LabTestHost.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var host = builder.Build();
        host.MapLabApi(lab);
        await host.StartAsync();
        using var client = LabTestHost.Client();
        using var response = await client.PostAsync(new Uri(new Uri(host.Urls.First()), "/api/lab/faults"),
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, lab.Faults.ProbeDropRate);
    }
}
