using System.Net;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Security;

/// <summary>The sign-in form, lockout, first start, wall screens, OIDC wiring and security headers, on the real host.</summary>
public sealed class SignInTests
{
    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_EvenTheRightOneIsThenRefused_AndItIsAudited()
    {
        await using var host = new ConsoleTestHost();
        await SecurityClients.CreateUserAsync(host, "mallory-target", "Right-Password-1", ConsoleRoles.Support);
        using var client = SecurityClients.Anonymous(host);
        for (var i = 0; i < 4; i++)
        {
            var wrong = await SecurityClients.PostSignInAsync(client, "mallory-target", "wrong-password");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Wrong user name or password", await wrong.Content.ReadAsStringAsync());
        }
        var fifth = await SecurityClients.PostSignInAsync(client, "mallory-target", "wrong-password");
        Assert.Contains("locked", await fifth.Content.ReadAsStringAsync());

        var right = await SecurityClients.PostSignInAsync(client, "mallory-target", "Right-Password-1");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync());
        Assert.True(SecurityClients.IsDenied(await client.GetAsync("/traffic")));

        var audit = await host.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        Assert.Equal(4, audit.Count(e => e.Action == "signin.failed" && e.Target == "mallory-target"));
        Assert.Equal(2, audit.Count(e => e.Action == "signin.lockedout" && e.Target == "mallory-target"));
        Assert.DoesNotContain(audit, e => e.Action == "signin.succeeded" && e.Target == "mallory-target");
    }

    [Fact]
    public async Task SignIn_SetsTheCookie_ThePagesOfTheRoleOpen_OthersAreDenied_AndSignOutEndsIt()
    {
        await using var host = new ConsoleTestHost();
        await SecurityClients.CreateUserAsync(host, "vera", "Viewer-Password-1", ConsoleRoles.Viewer);
        using var client = await SecurityClients.SignedInAsync(host, "vera", "Viewer-Password-1");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        var deployments = await client.GetAsync("/deployments");
        Assert.Equal(HttpStatusCode.Redirect, deployments.StatusCode);
        Assert.StartsWith("http://localhost/account/denied", deployments.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/deployments")).StatusCode);

        var audit = await host.Services.GetRequiredService<AuditLog>().RecentAsync(10, CancellationToken.None);
        Assert.Contains(audit, e => e.Action == "signin.succeeded" && e.Actor == "vera");
    }

    [Fact]
    public async Task FirstStart_WithoutAPassword_LogsAGeneratedOne_ThatSignsIn_AndARestartDoesNotMakeAnother()
    {
        var logs = new CapturingLoggerProvider();
        await using var settings = new ConsoleTestHost(new Dictionary<string, string?> { ["Auth:InitialAdminPassword"] = "" });
        await using var host = settings.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        _ = host.Server;
        var line = Assert.Single(logs.Messages, m => m.Contains("FIRST START", StringComparison.Ordinal));
        var password = System.Text.RegularExpressions.Regex.Match(line, "with the password (\\S+) ").Groups[1].Value;
        Assert.Equal(24, password.Length);
        using var client = await SecurityClients.SignedInAsync(host, "admin", password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/users")).StatusCode);
    }

    [Fact]
    public async Task WallLink_GivesACookie_WithoutTheSecretInTheAddress_AndRevocationEndsItAtTheNextRequest()
    {
        await using var host = new ConsoleTestHost();
        var (token, secret) = await SecurityClients.CreateTokenAsync(host, "ops-room", ConsoleRoles.Viewer, ApiTokenKind.Wallboard);
        using var wall = await SecurityClients.WallAsync(host, secret);
        Assert.Equal(HttpStatusCode.OK, (await wall.GetAsync("/wall")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await wall.GetAsync("/api/estate")).StatusCode);
        Assert.True(SecurityClients.IsDenied(await wall.GetAsync("/traffic")));

        await host.Services.GetRequiredService<ApiTokenService>().RevokeAsync(token.Id, "admin", CancellationToken.None);
        Assert.True(SecurityClients.IsDenied(await wall.GetAsync("/wall")));
        Assert.True(SecurityClients.IsDenied(await wall.GetAsync("/api/estate")));
        // The revoked link does not sign in again.
        using var again = SecurityClients.Anonymous(host);
        Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/wall?token=" + Uri.EscapeDataString(secret))).StatusCode);
    }

    [Fact]
    public async Task Oidc_IsWiredWhenConfigured_AndAbsentOtherwise()
    {
        await using var plain = new ConsoleTestHost();
        var none = await plain.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(ConsoleSecurityExtensions.OidcScheme);
        Assert.Null(none);

        await using var oidc = new ConsoleTestHost(new Dictionary<string, string?>
        {
            ["Auth:Oidc:Authority"] = "https://idp.example",
            ["Auth:Oidc:ClientId"] = "apim-console",
            ["Auth:Oidc:RoleMap:apim-admins"] = ConsoleRoles.Administrator,
        });
        var scheme = await oidc.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(ConsoleSecurityExtensions.OidcScheme);
        Assert.NotNull(scheme);
        var options = oidc.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions>>()
            .Get(ConsoleSecurityExtensions.OidcScheme);
        Assert.Equal(("code", "apim-console", true), (options.ResponseType, options.ClientId, options.UsePkce));
        Assert.Equal([ConsoleRoles.Administrator], OidcRoles.Map(
            [new("roles", "apim-admins"), new("roles", "someone-else"), new("groups", "apim-admins")],
            new OidcOptions { RoleClaim = "roles", RoleMap = new() { ["apim-admins"] = ConsoleRoles.Administrator } }));
    }

    [Fact]
    public async Task EveryResponse_CarriesTheSecurityHeaders()
    {
        await using var host = new ConsoleTestHost();
        using var client = SecurityClients.Anonymous(host);
        foreach (var path in new[] { "/account/signin", "/api/estate", "/" })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.Headers.GetValues("X-Frame-Options").Count() == 1, $"{path}: X-Frame-Options {string.Join(" | ", response.Headers.GetValues("X-Frame-Options"))}");
            Assert.True(response.Headers.GetValues("Content-Security-Policy").Count() == 1, $"{path}: CSP {string.Join(" | ", response.Headers.GetValues("Content-Security-Policy"))}");
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("script-src 'self'", csp);
        }
    }
}
