using System.Net;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>Issue #21: an API token past its expiry is refused over HTTP exactly as an unknown secret is.</summary>
public sealed class TokenExpiryTests
{
    private static async Task<(HttpStatusCode Status, string Challenge, string Body)> AskAsync(ConsoleTestHost console, string secret)
    {
        using var client = SecurityClients.Bearer(console, secret);
        using var response = await client.GetAsync("/api/estate");
        return (response.StatusCode, string.Join(" ", response.Headers.WwwAuthenticate), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ExpiredToken_Is401_IdenticalToAnUnknownSecret()
    {
        await using var console = new ConsoleTestHost();
        var tokens = console.Services.GetRequiredService<ApiTokenService>();
        var time = console.Services.GetRequiredService<TimeProvider>();
        var (_, secret) = await tokens.CreateAsync("short-lived", ConsoleRoles.Viewer, ApiTokenKind.Api, "test", CancellationToken.None,
            expiresAt: time.GetUtcNow().AddSeconds(2));

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(console, secret)).Status);

        var expired = await Eventually.Until(() => AskAsync(console, secret), r => r.Status != HttpStatusCode.OK, TimeSpan.FromSeconds(30),
            "the token to stop working after its expiry", every: TimeSpan.FromMilliseconds(200));
        var unknown = await AskAsync(console, TokenSecrets.Generate());
        Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
        Assert.Equal(unknown, expired);
    }
}
