using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Issue #19's test support. The in-process test server gives every request the same (no) client address; the
/// <see cref="ClientAddress"/> filter lets a test say which client a request comes from (header
/// <see cref="ClientHeader"/>, test hosts only), so per-client budgets can be seen to be per client.
/// </summary>
public static partial class HardeningSupport
{
    public const string ClientHeader = "X-Test-Client-Address";

    /// <summary>The host with the test-only client address filter in front of the console's pipeline.</summary>
    public static WebApplicationFactory<Program> WithClientAddresses(WebApplicationFactory<Program> host) =>
        host.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter, ClientAddress>()));

    public static HttpClient From(WebApplicationFactory<Program> host, string address)
    {
        var client = SecurityClients.Anonymous(host);
        client.DefaultRequestHeaders.Add(ClientHeader, address);
        return client;
    }

    private sealed class ClientAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[ClientHeader].ToString(), out var address))
                    context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    /// <summary>A browser: a client and the cookies it holds.</summary>
    public sealed record Browser(HttpClient Client, System.Net.CookieContainer Cookies, Uri BaseAddress) : IDisposable
    {
        public string? Cookie(string name) => Cookies.GetCookies(BaseAddress)[name]?.Value;
        public void Dispose() => Client.Dispose();
    }

    /// <summary>Signs in through the form as a browser and keeps hold of its cookie jar.</summary>
    public static async Task<Browser> SignedInBrowserAsync(WebApplicationFactory<Program> host, string user, string password)
    {
        var handler = new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler { InnerHandler = host.Server.CreateHandler() };
        var client = new HttpClient(handler) { BaseAddress = host.Server.BaseAddress };
        var response = await SecurityClients.PostSignInAsync(client, user, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return new Browser(client, handler.Container, host.Server.BaseAddress);
    }

    /// <summary>Waits for <paramref name="condition"/>, checking it every 25 ms, up to <paramref name="timeout"/>.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Not within {timeout.TotalSeconds} s: {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>The antiforgery token of the first form on <paramref name="path"/>.</summary>
    public static async Task<string> FormTokenAsync(HttpClient client, string path)
    {
        var page = await client.GetStringAsync(path);
        var match = Token().Match(page);
        Assert.True(match.Success, $"No antiforgery token on {path}");
        return WebUtility.HtmlDecode(match.Groups["value"].Value);
    }

    /// <summary>Signs out through the app bar's form, as the browser would.</summary>
    public static async Task<HttpResponseMessage> SignOutAsync(HttpClient client)
    {
        var token = await FormTokenAsync(client, "/");
        return await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<value>[^\"]+)\"|value=\"(?<value>[^\"]+)\"[^>]*name=\"__RequestVerificationToken\"")]
    private static partial Regex Token();
}
