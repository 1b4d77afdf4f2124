using System.Net;
using System.Text.Json;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Deployments;

public sealed class OverrideSwitchedOffFactory : DeploymentLabFactory
{
    protected override void Configure(IWebHostBuilder builder) => builder.UseSetting("Deployments:AllowOverride", "false");
}

public sealed class OverrideSwitchedOffTests(OverrideSwitchedOffFactory factory) : IClassFixture<OverrideSwitchedOffFactory>
{
    [Fact]
    public async Task OverrideWithAReason_IsStill423_WhenOverridesAreSwitchedOff()
    {
        await factory.WaitForGroupsAsync();
        factory.Gate.Script = (_, _) => (GuardrailDecision.Block, ["dc2 is down"]);
        var pushes = factory.LabPushes().Count;
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-2",
            new Dictionary<string, string> { ["overrideReason"] = "Security fix INC-4711 must go out now" },
            ("o.fed", DeploymentLabFactory.Zip(("c.xml", "x")))));

        Assert.Equal(HttpStatusCode.Locked, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(body.GetProperty("overrideAllowed").GetBoolean());
        Assert.Contains("Deployments:AllowOverride", body.GetProperty("error").GetString());
        Assert.Equal(pushes, factory.LabPushes().Count);
        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        Assert.DoesNotContain(audit, a => a.Action == "deployment.override");
        Assert.Contains(audit, a => a.Action == "deployment.refused" && a.Details!.Contains("dc2 is down"));
    }
}
