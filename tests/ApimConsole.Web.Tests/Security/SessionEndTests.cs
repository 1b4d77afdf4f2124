using System.Net;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Issue #19 point 3: a copied sign-in cookie stops working when its user signs out, changes password or role, is
/// locked or deleted: within the check interval (Auth:RevocationCheckInterval, 200 ms here), at the next request.
/// </summary>
public sealed class SessionEndTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static ConsoleTestHost Console() => new(new Dictionary<string, string?> { ["Auth:RevocationCheckInterval"] = "00:00:00.2" });

    [Fact]
    public async Task SignOut_EndsACopiedCookie_AndTheSignOutIsAudited()
    {
        await using var console = Console();
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        using var browser = await HardeningSupport.SignedInBrowserAsync(console, "sam", "Support-Password-1");
        using var thief = CopyOf(console, browser);
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/api/deployments")).StatusCode);

        var signOut = await HardeningSupport.SignOutAsync(browser.Client);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        await AssertEndsAsync(thief, "a copy of the cookie after sign-out");
        var audit = await console.Services.GetRequiredService<ApimConsole.Storage.AuditLog>().RecentAsync(20, CancellationToken.None);
        Assert.Contains(audit, e => e.Action == "signout" && e.Actor == "sam");
    }

    public static TheoryData<string> Events => ["password changed", "role changed", "locked", "deleted"];

    [Theory]
    [MemberData(nameof(Events))]
    public async Task AnAccountChange_EndsTheUsersSessions(string change)
    {
        await using var console = Console();
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        await SecurityClients.CreateUserAsync(console, "root2", "Admin-Password-22", ConsoleRoles.Administrator);
        using var browser = await SecurityClients.SignedInAsync(console, "sam", "Support-Password-1");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/deployments")).StatusCode);

        var users = console.Services.GetRequiredService<ConsoleUsers>();
        await using (var scope = console.Services.CreateAsyncScope())
        {
            var identity = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var sam = (await identity.FindByNameAsync("sam"))!;
            switch (change)
            {
                case "password changed":
                    Assert.True((await identity.ChangePasswordAsync(sam, "Support-Password-1", "Support-Password-2")).Succeeded);
                    break;
                case "role changed":
                    Assert.Null(await users.ChangeRoleAsync("sam", ConsoleRoles.Viewer, "root2"));
                    break;
                case "locked":
                    Assert.Null(await users.SetLockedAsync("sam", true, "root2"));
                    break;
                case "deleted":
                    Assert.True((await identity.DeleteAsync(sam)).Succeeded);
                    break;
            }
        }
        await AssertEndsAsync(browser, $"sam's session after {change}");
    }

    [Fact]
    public async Task ALiveCircuitsPrincipal_IsNoLongerValid_AfterSignOut()
    {
        await using var console = Console();
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        using var browser = await HardeningSupport.SignedInBrowserAsync(console, "sam", "Support-Password-1");
        System.Security.Claims.ClaimsPrincipal principal;
        await using (var scope = console.Services.CreateAsyncScope())
        {
            var identity = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            principal = await scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>().CreateUserPrincipalAsync((await identity.FindByNameAsync("sam"))!);
        }
        await using var circuit = console.Services.CreateAsyncScope();
        var revalidation = Assert.IsType<SessionRevalidation>(circuit.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>());
        Assert.True(await revalidation.IsStillValidAsync(principal));

        await HardeningSupport.SignOutAsync(browser.Client);
        Assert.False(await revalidation.IsStillValidAsync(principal));
    }

    [Fact]
    public async Task ALiveCircuit_IsSignedOut_WithinTheInterval_AfterItsUserSignsOutElsewhere()
    {
        await using var console = Console();
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        using var browser = await HardeningSupport.SignedInBrowserAsync(console, "sam", "Support-Password-1");
        await using var circuit = console.Services.CreateAsyncScope();
        var revalidation = await CircuitOfAsync(console, circuit, "sam");
        Assert.False(revalidation.Checks.IsCompleted);

        await HardeningSupport.SignOutAsync(browser.Client);

        await revalidation.Checks.WaitAsync(Interval + TimeSpan.FromSeconds(10));
        Assert.False((await revalidation.GetAuthenticationStateAsync()).User.Identity!.IsAuthenticated);
    }

    /// <summary>
    /// A browser keeps its circuit open while the console stops: the circuit ends with the console. Its session
    /// checks stop without an error (they used to run on against the disposed services, log that as an error and sign
    /// the circuit out, whose re-render failed too), and the user is not signed out for it.
    /// </summary>
    [Fact]
    public async Task TheConsoleStopping_EndsALiveCircuitsChecks_WithoutAnError_OrASignOut()
    {
        var logs = new CapturingLoggerProvider();
        await using var settings = Console();
        var console = settings.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        var circuit = console.Services.CreateAsyncScope();
        var revalidation = await CircuitOfAsync(console, circuit, "sam");
        Assert.False(revalidation.Checks.IsCompleted);

        await console.DisposeAsync();

        await revalidation.Checks.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True((await revalidation.GetAuthenticationStateAsync()).User.Identity!.IsAuthenticated);
        Assert.Empty(logs.AtLeast(LogLevel.Error));
        revalidation.Dispose();
    }

    /// <summary>The session checks of a circuit in <paramref name="circuit"/>, signed in as <paramref name="user"/>.</summary>
    private static async Task<SessionRevalidation> CircuitOfAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> console, AsyncServiceScope circuit, string user)
    {
        System.Security.Claims.ClaimsPrincipal principal;
        await using (var scope = console.Services.CreateAsyncScope())
        {
            var identity = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            principal = await scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>().CreateUserPrincipalAsync((await identity.FindByNameAsync(user))!);
        }
        var revalidation = Assert.IsType<SessionRevalidation>(circuit.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        revalidation.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        return revalidation;
    }

    [Fact]
    public async Task WithoutAChange_TheSessionLastsAcrossManyIntervals()
    {
        await using var console = Console();
        await SecurityClients.CreateUserAsync(console, "sam", "Support-Password-1", ConsoleRoles.Support);
        using var browser = await SecurityClients.SignedInAsync(console, "sam", "Support-Password-1");
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < Interval * 5)
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/deployments")).StatusCode);
    }

    /// <summary>Another client holding only the Identity cookie <paramref name="browser"/> holds now.</summary>
    private static HttpClient CopyOf(ConsoleTestHost console, HardeningSupport.Browser browser)
    {
        var copy = SecurityClients.Anonymous(console);
        copy.DefaultRequestHeaders.Add("Cookie", $"{ConsoleSecurityExtensions.IdentityCookieName}={browser.Cookie(ConsoleSecurityExtensions.IdentityCookieName)}");
        return copy;
    }

    private static Task AssertEndsAsync(HttpClient client, string what) =>
        HardeningSupport.WaitForAsync(async () => (await client.GetAsync("/api/deployments")).StatusCode == HttpStatusCode.Unauthorized,
            Interval + TimeSpan.FromSeconds(10), what + " is refused");
}
