using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary>A wrong <c>Deployments</c> section stops the console at start with a message that names the key.</summary>
public sealed class DeploymentConfigurationTests
{
    [Theory]
    [InlineData("Deployments:PushTimeout", "00:00:00", "Deployments:PushTimeout must be between")]
    [InlineData("Deployments:Limits:MaxUploadBytes", "10", "Deployments:Limits:MaxUploadBytes must be at least 1024 (found 10)")]
    [InlineData("Deployments:Limits:MaxCompressionRatio", "1", "Deployments:Limits:MaxCompressionRatio must be at least 2")]
    public async Task BadDeploymentSetting_StopsStart_NamingTheKey(string key, string value, string expected)
    {
        await using var host = new ConsoleTestHost(new Dictionary<string, string?> { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => host.CreateClient());
        Assert.Contains(expected, error.Message);
    }
}
