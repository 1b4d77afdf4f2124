using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary>A wrong appsettings.json stops the console at start with a message that names the key.</summary>
public sealed class StartupValidationTests
{
    /// <summary>
    /// Builds and starts the console the way Program.cs does, with the test host's settings. Not through
    /// WebApplicationFactory: when start-up fails fast, its deferred host can race the failing entry point and report
    /// an ObjectDisposedException instead of the validation error.
    /// </summary>
    private static async Task<OptionsValidationException> StartFailsWith(Dictionary<string, string?> overrides)
    {
        await using var settings = new ConsoleTestHost(overrides);
        var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddApimConsole();
        await using var app = builder.Build();
        app.UseApimConsole();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }

    [Fact]
    public async Task UnknownStorageProvider_StopsStart_NamingStorageProvider()
    {
        var error = await StartFailsWith(new() { ["Storage:Provider"] = "Oracle" });
        Assert.Contains("Storage:Provider 'Oracle' is unknown", error.Message);
    }

    [Fact]
    public async Task DatacenterWithoutId_StopsStart_NamingItsKey()
    {
        var error = await StartFailsWith(new() { ["Estate:Datacenters:1:Id"] = "" });
        Assert.Contains("Estate:Datacenters:1:Id is required", error.Message);
    }

    [Fact]
    public async Task BadAdminNodeManagerUrl_StopsStart_NamingTheUrlKey()
    {
        var error = await StartFailsWith(new() { ["Estate:Datacenters:0:AdminNodeManager:Urls:0"] = "anm.dc1.test:8090" });
        Assert.Contains("Estate:Datacenters:0:AdminNodeManager:Urls:0 'anm.dc1.test:8090' is not an absolute http(s) URL", error.Message);
    }

    [Fact]
    public async Task ConsoleDatacenterNotConfigured_StopsStart_NamingConsoleDatacenter()
    {
        var error = await StartFailsWith(new() { ["Estate:ConsoleDatacenter"] = "dc3" });
        Assert.Contains("Estate:ConsoleDatacenter 'dc3' is not the id of a configured datacenter", error.Message);
    }

    [Fact]
    public async Task ProbeTimeoutOutOfRange_StopsStart_NamingProbesTimeout()
    {
        var error = await StartFailsWith(new() { ["Probes:Timeout"] = "00:00:00.001" });
        Assert.Contains("Probes:Timeout", error.Message);
    }

    [Fact]
    public async Task DatacenterWithoutAnmUrls_StopsStart_WhenTheLabIsOff()
    {
        var error = await StartFailsWith(new() { ["Estate:Datacenters:2:Id"] = "dc3" });
        Assert.Contains("Estate:Datacenters:2:AdminNodeManager:Urls must list at least one URL", error.Message);
    }

    [Fact]
    public async Task ValidConfiguration_Starts_ServesThePage_AndCreatesTheStore()
    {
        await using var host = new ConsoleTestHost();
        using var client = host.CreateClient();

        var page = await client.GetStringAsync("/");

        Assert.Contains("Test estate", page);
        Assert.True(File.Exists(host.DatabaseFile), "the SQLite store was not created where Storage:SqlitePath says");
    }

    [Fact]
    public async Task TooShortBootstrapToken_StopsStart_NamingTheKey()
    {
        var error = await StartFailsWith(new() { ["Auth:BootstrapAdminToken"] = "short-secret" });
        Assert.Contains("Auth:BootstrapAdminToken is too short", error.Message);
    }

    [Fact]
    public async Task OidcRoleMapToAnUnknownRole_StopsStart_NamingTheKey()
    {
        var error = await StartFailsWith(new()
        {
            ["Auth:Oidc:Authority"] = "https://idp.example",
            ["Auth:Oidc:ClientId"] = "console",
            ["Auth:Oidc:RoleMap:apim-admins"] = "Superuser",
        });
        Assert.Contains("Auth:Oidc:RoleMap:apim-admins 'Superuser' is not a role", error.Message);
    }
}
