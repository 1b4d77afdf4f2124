using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>The <c>Peer</c> section is checked at start: a wrong value stops the console naming the key.</summary>
public sealed class PeerConfigurationTests
{
    private static Task<OptionsValidationException> StartFailsWith(Dictionary<string, string?> overrides) =>
        ConsoleTestHost.StartFailsWithAsync(overrides);

    [Theory]
    [InlineData("Peer:Url", "console-dc2:5080", "Peer:Url 'console-dc2:5080' is not an absolute http(s) URL")]
    [InlineData("Peer:Timeout", "00:00:00.001", "Peer:Timeout")]
    [InlineData("Peer:Interval", "00:00:00.001", "Peer:Interval")]
    [InlineData("Peer:FastInterval", "00:00:00.001", "Peer:FastInterval 00:00:00.0010000 must be between 50 ms and Peer:Interval")]
    [InlineData("Peer:FastInterval", "00:00:02", "Peer:FastInterval 00:00:02 must be between 50 ms and Peer:Interval (00:00:01)")]
    [InlineData("Peer:Datacenter", "dc1", "Peer:Datacenter 'dc1' is this console's own datacenter")]
    [InlineData("Peer:Datacenter", "dc9", "Peer:Datacenter 'dc9' is not one of the datacenters")]
    [InlineData("Peer:CaFile", "/nonexistent/peer-ca.pem", "Peer:CaFile '/nonexistent/peer-ca.pem' does not exist")]
    public async Task BadPeerValue_StopsStart_NamingTheKey(string key, string value, string message)
    {
        var error = await StartFailsWith(new() { ["Peer:Url"] = "http://127.0.0.1:5081", ["Peer:Token"] = "a-viewer-token-of-the-other-console", [key] = value });
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task PeerUrlWithoutToken_StopsStart_NamingPeerToken()
    {
        var error = await StartFailsWith(new() { ["Peer:Url"] = "http://127.0.0.1:5081" });
        Assert.Contains("Peer:Token is required when Peer:Url is set", error.Message);
    }

    [Fact]
    public async Task BadSourceAddress_StopsStart_NamingTheKey()
    {
        var error = await StartFailsWith(new() { ["Estate:SourceAddress"] = "not-an-address" });
        Assert.Contains("Estate:SourceAddress 'not-an-address' is not an IP address", error.Message);
    }

    [Fact]
    public async Task ShortPeerViewerToken_StopsStart_NamingTheKey()
    {
        var error = await StartFailsWith(new() { ["Auth:PeerViewerToken"] = "short" });
        Assert.Contains("Auth:PeerViewerToken is too short", error.Message);
    }
}
