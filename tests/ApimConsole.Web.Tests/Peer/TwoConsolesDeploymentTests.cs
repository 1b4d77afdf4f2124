using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Web.Tests.Deployments;
using ApimConsole.Web.Tests.Live;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>With the link up a deployment may start from either console, never from both at once.</summary>
public sealed class TwoConsolesDeploymentTests : IAsyncLifetime
{
    private TwoConsoles _consoles = null!;

    // Each instance's load takes a while, so the first deployment is still running when the second is asked for.
    public async Task InitializeAsync() => _consoles = await TwoConsoles.StartAsync(loadBalancerWitness: true, lab: o => o.PushDelay = TimeSpan.FromSeconds(2));

    public async Task DisposeAsync() => await _consoles.DisposeAsync();

    [Fact]
    public async Task WhileTheDc2ConsoleDeploys_TheDc1ConsoleRefuses_WithTheReason_ThenDeploysOnceItIsDone()
    {
        foreach (var console in new[] { _consoles.Dc1, _consoles.Dc2 })
            await console.WaitForEstateAsync(e => e.AllUp() && TwoConsolesLinkTests.PeerAvailable(e), TimeSpan.FromSeconds(60), "all up, peer a witness");

        using var dc2 = _consoles.Dc2.Api();
        using var dc1 = _consoles.Dc1.Api();
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));
        using var first = await dc2.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dc2.fed", fed)));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var refused = await dc1.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dc1.fed", fed)));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("The console in dc2 is running a deployment", body.GetProperty("error").GetString());
        Assert.Equal("dc2", body.GetProperty("peer").GetString());
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("peerDeployment").GetProperty("id").GetString());
        // Nothing of the refused one was queued on dc1.
        var dc1History = await dc1.GetFromJsonAsync<JsonElement>("/api/deployments");
        Assert.DoesNotContain("dc1.fed", dc1History.GetRawText());

        await Eventually.Until(() => dc2.GetFromJsonAsync<JsonElement>($"/api/deployments/{id}"),
            d => d.GetProperty("state").GetString() is not ("Pending" or "Running"), TimeSpan.FromSeconds(60), "dc2's deployment to finish");

        using var after = await dc1.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dc1.fed", fed)));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        // And now the dc2 console refuses while dc1's runs.
        using var back = await dc2.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dc2b.fed", fed)));
        Assert.Equal(HttpStatusCode.Conflict, back.StatusCode);
        Assert.Contains("The console in dc1 is running a deployment", (await back.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}
