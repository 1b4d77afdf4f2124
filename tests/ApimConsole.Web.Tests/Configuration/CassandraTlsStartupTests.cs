using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary><c>Estate:Datacenters:N:Cassandra:Tls</c> is checked when the console starts: a bad value stops it, naming the key.</summary>
public sealed class CassandraTlsStartupTests
{
    private static Task<OptionsValidationException> StartFailsWith(Dictionary<string, string?> overrides) =>
        ConsoleTestHost.StartFailsWithAsync(overrides);

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
