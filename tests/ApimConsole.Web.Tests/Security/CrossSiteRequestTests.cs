using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ApimConsole.Storage;
using ApimConsole.Web.Tests.Live;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Issue #19 point 2: no state-changing endpoint that accepts the sign-in cookie does anything for a request a browser
/// sends from another site. Every endpoint is taken from the console's own endpoint mappings (each MapPost, MapPut,
/// MapDelete, the pages' form posts, the hubs), so one added later is covered without a change here.
/// </summary>
public sealed partial class CrossSiteRequestTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string ForeignOrigin = "http://localhost:5999";

    [Fact]
    public async Task EveryStateChangingEndpoint_RefusesACrossSiteRequest_WithTheAdministratorsCookie_AndNothingChanges()
    {
        await using var console = new LabConsoleFactory();
        using var browser = await SecurityClients.SignedInAsync(console, "admin", TestAuth.AdminPassword);
        var endpoints = StateChangingEndpoints(console);
        // The ones the issue names are among them, so the enumeration is not empty by mistake.
        Assert.Contains(("POST", "/api/deployments"), endpoints);
        Assert.Contains(("POST", "/api/lab/faults"), endpoints);
        Assert.Contains(("DELETE", "/api/lab/faults"), endpoints);
        Assert.Contains(("POST", "/api/runbooks/restart"), endpoints);
        Assert.Contains(("POST", "/account/signout"), endpoints);

        output.WriteLine($"{endpoints.Count} state-changing endpoints: {string.Join(", ", endpoints.Select(e => $"{e.Method} {e.Path}"))}");
        var failures = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            foreach (var (header, value) in new[] { ("Origin", ForeignOrigin), ("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Site", "cross-site"), ("Origin", "null") })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path)
                {
                    Content = new StringContent("{\"target\":\"dc2\",\"action\":\"down\"}", Encoding.UTF8, "text/plain"),
                };
                request.Headers.Add(header, value);
                var response = await browser.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.Forbidden || !body.Contains("Cross-site request refused"))
                    failures.Add($"{method} {path} with {header}: {value} answered {(int)response.StatusCode}: {Shorten(body)}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {endpoints.Count * 4} cross-site requests were not refused:\n{string.Join("\n", failures)}");

        // Nothing happened: no fault, no deployment, and the administrator is still signed in.
        using var api = console.CreateClient();
        var lab = await api.GetFromJsonAsync<JsonElement>("/api/lab");
        Assert.Equal(0, lab.GetProperty("faults").GetArrayLength());
        Assert.Empty(await console.Services.GetRequiredService<DeploymentStore>().RecentAsync(10, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/estate")).StatusCode);
    }

    [Fact]
    public async Task SameOriginRequests_AndBearerTokens_AreNotRefused_AndJsonEndpointsTakeJsonOnly()
    {
        await using var console = new LabConsoleFactory();
        using var browser = await SecurityClients.SignedInAsync(console, "admin", TestAuth.AdminPassword);
        const string UnknownTarget = "{\"target\":\"dc9\",\"action\":\"down\"}";

        // From the console's own page: reaches the endpoint (which refuses the unknown target).
        foreach (var (header, value) in new[] { ("Origin", "http://localhost"), ("Sec-Fetch-Site", "same-origin") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/lab/faults") { Content = new StringContent(UnknownTarget, Encoding.UTF8, "application/json") };
            request.Headers.Add(header, value);
            var response = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("dc9", await response.Content.ReadAsStringAsync());
        }

        // A bearer token is not a cookie a foreign page can ride on: the Origin does not matter.
        using var script = SecurityClients.Bearer(console, TestAuth.BootstrapToken);
        using var fromAnywhere = new HttpRequestMessage(HttpMethod.Post, "/api/lab/faults") { Content = new StringContent(UnknownTarget, Encoding.UTF8, "application/json") };
        fromAnywhere.Headers.Add("Origin", ForeignOrigin);
        Assert.Equal(HttpStatusCode.BadRequest, (await script.SendAsync(fromAnywhere)).StatusCode);

        // A JSON endpoint takes JSON only: a form or text/plain body (what a cross-site form can send) is a 415.
        foreach (var contentType in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x" })
        {
            var content = new StringContent("{\"target\":\"dc2\",\"action\":\"down\"}");
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            var response = await script.PostAsync("/api/lab/faults", content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }
        var lab = await script.GetFromJsonAsync<JsonElement>("/api/lab");
        Assert.Equal(0, lab.GetProperty("faults").GetArrayLength());
    }

    /// <summary>Every (method, path) the console maps for anything but GET/HEAD, route values filled in.</summary>
    private static List<(string Method, string Path)> StateChangingEndpoints(LabConsoleFactory console)
    {
        var found = new SortedSet<(string, string)>();
        foreach (var endpoint in console.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["POST"];
            var path = "/" + RouteValue().Replace(endpoint.RoutePattern.RawText?.TrimStart('/') ?? "", "1");
            foreach (var method in methods.Where(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m) && !HttpMethods.IsOptions(m)))
                found.Add((method.ToUpperInvariant(), path));
        }
        return [.. found];
    }

    [GeneratedRegex("\\{[^}]+\\}")]
    private static partial Regex RouteValue();

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
