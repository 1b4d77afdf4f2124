using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.RegularExpressions;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>Clients of a test console as each kind of caller: nobody, a signed-in user (through the real form), a token.</summary>
public static partial class SecurityClients
{
    /// <summary>A client with no credentials of its own that keeps cookies and does not follow redirects.</summary>
    public static HttpClient Anonymous(WebApplicationFactory<Program> factory) =>
        new(new CookieContainerHandler { InnerHandler = factory.Server.CreateHandler() }) { BaseAddress = factory.Server.BaseAddress };

    public static HttpClient Bearer(WebApplicationFactory<Program> factory, string secret)
    {
        var client = Anonymous(factory);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    public static async Task CreateUserAsync(WebApplicationFactory<Program> factory, string name, string password, string role, params string[] datacenters)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser(name);
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        foreach (var dc in datacenters)
            await users.AddClaimAsync(user, new Claim(ConsoleClaims.Datacenter, dc));
    }

    /// <summary>Posts the sign-in form as a browser would (its antiforgery token included); returns the response.</summary>
    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string user, string password)
    {
        var form = await client.GetStringAsync("/account/signin");
        var fields = HiddenInput().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        Assert.True(fields.ContainsKey("__RequestVerificationToken"), "The sign-in form has no antiforgery token:\n" + form);
        fields["Input.UserName"] = user;
        fields["Input.Password"] = password;
        return await client.PostAsync("/account/signin", new FormUrlEncodedContent(fields));
    }

    /// <summary>A client signed in as <paramref name="user"/> through the form, holding the Identity cookie.</summary>
    public static async Task<HttpClient> SignedInAsync(WebApplicationFactory<Program> factory, string user, string password)
    {
        var client = Anonymous(factory);
        var response = await PostSignInAsync(client, user, password);
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
            $"Sign-in of {user} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    /// <summary>A client that opened /wall?token= once and holds the wall cookie.</summary>
    public static async Task<HttpClient> WallAsync(WebApplicationFactory<Program> factory, string secret)
    {
        var client = Anonymous(factory);
        var response = await client.GetAsync("/wall?token=" + Uri.EscapeDataString(secret));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/wall", response.Headers.Location?.OriginalString);
        return client;
    }

    public static async Task<(ApiToken Token, string Secret)> CreateTokenAsync(WebApplicationFactory<Program> factory, string name, string role, ApiTokenKind kind) =>
        await factory.Services.GetRequiredService<ApiTokenService>().CreateAsync(name, role, kind, "test", CancellationToken.None);

    /// <summary>Whether a response denies access: 401, 403, or a redirect to sign-in or "not allowed".</summary>
    public static bool IsDenied(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
        || (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found
            && response.Headers.Location?.OriginalString is { } location
            && (location.Contains(ConsoleSecurityExtensions.SignInPath, StringComparison.OrdinalIgnoreCase)
                || location.Contains(ConsoleSecurityExtensions.DeniedPath, StringComparison.OrdinalIgnoreCase)));

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
