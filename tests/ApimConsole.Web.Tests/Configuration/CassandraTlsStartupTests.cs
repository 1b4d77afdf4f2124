using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary><c>Estate:Datacenters:N:Cassandra:Tls</c> is checked when the console starts: a bad value stops it, naming the key.</summary>
public sealed class CassandraTlsStartupTests
{
    // As StartupValidationTests does: the console built and started the way Program.cs does.
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
    public async Task MissingCaFile_StopsStart_NamingTheKeyAndTheFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-ca-{Guid.NewGuid():N}.pem");

        var error = await StartFailsWith(new()
        {
            ["Estate:Datacenters:1:Cassandra:Tls:Enabled"] = "true",
            ["Estate:Datacenters:1:Cassandra:Tls:CaFile"] = missing,
        });

        Assert.Contains($"Estate:Datacenters:1:Cassandra:Tls:CaFile: the file '{missing}' does not exist", error.Message);
    }

    [Fact]
    public async Task EnabledThatIsNotABoolean_StopsStart_NamingTheKey()
    {
        var error = await StartFailsWith(new() { ["Estate:Datacenters:0:Cassandra:Tls:Enabled"] = "perhaps" });

        Assert.Contains("Estate:Datacenters:0:Cassandra:Tls:Enabled", error.Message);
        Assert.Contains("perhaps", error.Message);
    }
}
