using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary>A wrong appsettings.json stops the console at start with a message that names the key.</summary>
public sealed class StartupValidationTests
{
    private static Task<OptionsValidationException> StartFailsWith(Dictionary<string, string?> overrides) =>
        ConsoleTestHost.StartFailsWithAsync(overrides);

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
