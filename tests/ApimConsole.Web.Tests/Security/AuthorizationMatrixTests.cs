using System.Net;
using System.Text;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Live;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Every endpoint the console maps (read from its EndpointDataSource, so a new one is covered the day it is added, and
/// one missing from the expected table fails) is called as every kind of caller; any allow the table does not expect
/// fails, and so does any deny it does not expect.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.Console console) : IClassFixture<AuthorizationMatrixTests.Console>
{
    /// <summary>
    /// The console with its lab (so the lab's endpoints exist too). Its hundreds of unknown and revoked tokens all come
    /// from the test server's one client, so the per-client budget of failed tokens is raised out of the way.
    /// </summary>
    public sealed class Console : LabConsoleFactory
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Auth:SignInAttemptsPerClient", "10000");
        }
    }

    private const string Password = "Matrix-Password-1";

    /// <summary>Who may call what. "Anonymous": everyone; "Authenticated": any identity (the fallback policy).</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["GET /"] = ConsolePolicies.Viewer,
        ["GET /wall"] = ConsolePolicies.Viewer,
        ["GET /incidents"] = ConsolePolicies.Support,
        ["GET /datacenters"] = ConsolePolicies.Support,
        ["GET /traffic"] = ConsolePolicies.Support,
        ["GET /logs"] = ConsolePolicies.Support,
        ["GET /deployments"] = ConsolePolicies.Support,
        ["GET /runbooks"] = ConsolePolicies.Support,
        ["GET /data"] = ConsolePolicies.Support,
        ["GET /audit"] = ConsolePolicies.Support,
        ["GET /alerts"] = ConsolePolicies.Support,
        ["GET /lab"] = ConsolePolicies.Administrator,
        ["GET /admin/users"] = ConsolePolicies.Administrator,
        ["GET /admin/tokens"] = ConsolePolicies.Administrator,
        ["GET /account/password"] = ConsolePolicies.Viewer,
        ["GET /account/signin"] = "Anonymous",
        ["POST /account/signin"] = "Anonymous",
        ["GET /account/denied"] = "Anonymous",
        ["POST /account/denied"] = "Anonymous",
        // Signs out whoever calls, then sends to the sign-in page: the redirect is the same for everyone (not called below).
        ["POST /account/signout"] = "SignOut",
        ["GET /api/estate"] = ConsolePolicies.Viewer,
        ["GET /api/store"] = ConsolePolicies.Viewer,
        ["GET /api/logs/status"] = ConsolePolicies.Support,
        ["GET /api/logs/{dc}"] = ConsolePolicies.Support,
        ["GET /api/logs/{dc}/download"] = ConsolePolicies.Support,
        ["GET /api/scenarios"] = ConsolePolicies.Viewer,
        ["GET /api/peer/view"] = ConsolePolicies.Viewer,
        ["GET /api/peer"] = ConsolePolicies.Viewer,
        ["GET /api/peer/logs"] = ConsolePolicies.Peer,
        ["GET /api/peer/logs/download"] = ConsolePolicies.Peer,
        ["GET /api/peer/traffic"] = ConsolePolicies.Peer,
        ["GET /api/guardrails"] = ConsolePolicies.Viewer,
        ["GET /api/guardrails/history"] = ConsolePolicies.Viewer,
        ["GET /api/runbooks/restarts"] = ConsolePolicies.Support,
        ["POST /api/runbooks/restart"] = ConsolePolicies.Administrator,
        ["GET /api/incidents"] = ConsolePolicies.Support,
        ["GET /api/incidents/{id:long}/repairs"] = ConsolePolicies.Support,
        ["POST /api/incidents/{id:long}/repairs"] = ConsolePolicies.Administrator,
        ["GET /api/incidents/{id:long}/export"] = ConsolePolicies.Support,
        ["POST /api/incidents/{id:long}/notes"] = ConsolePolicies.Support,
        ["POST /api/incidents/{id:long}/ack"] = ConsolePolicies.Administrator,
        ["GET /api/audit"] = ConsolePolicies.Support,
        ["GET /api/traffic"] = ConsolePolicies.Support,
        ["GET /api/traffic/transactions"] = ConsolePolicies.Support,
        ["GET /api/traffic/transactions/{dc}/{instance}/{correlationId}/trace"] = ConsolePolicies.Support,
        ["POST /api/deployments"] = ConsolePolicies.Administrator,
        ["GET /api/deployments"] = ConsolePolicies.Support,
        ["GET /api/deployments/{id:long}"] = ConsolePolicies.Support,
        ["GET /api/deployments/versions"] = ConsolePolicies.Support,
        ["GET /api/alerts"] = ConsolePolicies.Support,
        ["GET /api/alerts/deliveries"] = ConsolePolicies.Support,
        ["POST /api/alerts/{id:long}/ack"] = ConsolePolicies.Administrator,
        ["GET /api/alerts/channels"] = ConsolePolicies.Administrator,
        ["POST /api/alerts/channels"] = ConsolePolicies.Administrator,
        ["PUT /api/alerts/channels/{id:long}"] = ConsolePolicies.Administrator,
        ["DELETE /api/alerts/channels/{id:long}"] = ConsolePolicies.Administrator,
        ["POST /api/alerts/channels/{id:long}/test"] = ConsolePolicies.Administrator,
        ["GET /api/alerts/rules"] = ConsolePolicies.Administrator,
        ["POST /api/alerts/rules"] = ConsolePolicies.Administrator,
        ["PUT /api/alerts/rules/{id:long}"] = ConsolePolicies.Administrator,
        ["DELETE /api/alerts/rules/{id:long}"] = ConsolePolicies.Administrator,
        ["GET /api/alerts/silences"] = ConsolePolicies.Administrator,
        ["POST /api/alerts/silences"] = ConsolePolicies.Administrator,
        ["DELETE /api/alerts/silences/{id:long}"] = ConsolePolicies.Administrator,
        ["GET /api/lab/"] = ConsolePolicies.Administrator,
        ["POST /api/lab/faults"] = ConsolePolicies.Administrator,
        ["DELETE /api/lab/faults"] = ConsolePolicies.Administrator,
        ["GET /api/lab/deployments"] = ConsolePolicies.Administrator,
        // Prometheus: any console role (and Metrics:Token, not configured here); the Metrics policy.
        ["GET /metrics"] = ConsolePolicies.Viewer,
        ["* /hubs/estate"] = ConsolePolicies.Viewer,
        ["* /hubs/estate/negotiate"] = ConsolePolicies.Viewer,
        // Blazor's circuit endpoints: a circuit needs an identity; what it may show is each page's policy.
        ["* /_blazor"] = "Authenticated",
        ["* /_blazor/negotiate"] = "Authenticated",
        ["* /_blazor/disconnect/"] = "Authenticated",
        ["* /_blazor/initializers/"] = "Authenticated",
        ["GET /_framework/opaque-redirect"] = "Authenticated",
    };

    static AuthorizationMatrixTests()
    {
        // Blazor maps every page for POST too (its forms): the same policy as the page.
        foreach (var (key, policy) in Expected.Where(e => e.Key.StartsWith("GET /", StringComparison.Ordinal) && !e.Key.StartsWith("GET /api", StringComparison.Ordinal)
                     && !e.Key.StartsWith("GET /_", StringComparison.Ordinal)).ToList())
            Expected.TryAdd("POST" + key[3..], policy);
    }

    /// <summary>The callers, each with the policies it satisfies.</summary>
    private async Task<List<(string Name, HttpClient Client, HashSet<string> Satisfies)>> CallersAsync()
    {
        var all = new HashSet<string> { "Anonymous" };
        HashSet<string> With(params string[] policies) => [.. all, "Authenticated", .. policies];
        var callers = new List<(string, HttpClient, HashSet<string>)> { ("anonymous", SecurityClients.Anonymous(console), all) };

        var suffix = Guid.NewGuid().ToString("N")[..6];
        foreach (var (role, dcs) in new[] { (ConsoleRoles.Viewer, Array.Empty<string>()), (ConsoleRoles.Support, []), (ConsoleRoles.Support, ["dc1"]), (ConsoleRoles.Administrator, []) })
        {
            var name = $"{role.ToLowerInvariant()}{(dcs.Length > 0 ? "-dc1" : "")}-{suffix}";
            await SecurityClients.CreateUserAsync(console, name, Password, role, dcs);
            callers.Add(($"user {name}", await SecurityClients.SignedInAsync(console, name, Password), With(Policies(role))));
        }
        foreach (var role in ConsoleRoles.All)
        {
            var (_, secret) = await SecurityClients.CreateTokenAsync(console, $"matrix-{role}-{suffix}", role, ApiTokenKind.Api);
            callers.Add(($"API token {role}", SecurityClients.Bearer(console, secret), With(Policies(role))));
        }
        var (revoked, revokedSecret) = await SecurityClients.CreateTokenAsync(console, $"matrix-revoked-{suffix}", ConsoleRoles.Administrator, ApiTokenKind.Api);
        await console.Services.GetRequiredService<ApiTokenService>().RevokeAsync(revoked.Id, "test", CancellationToken.None);
        callers.Add(("revoked Administrator token", SecurityClients.Bearer(console, revokedSecret), all));
        var (_, wallSecret) = await SecurityClients.CreateTokenAsync(console, $"matrix-wall-{suffix}", ConsoleRoles.Viewer, ApiTokenKind.Wallboard);
        callers.Add(("wallboard", await SecurityClients.WallAsync(console, wallSecret), With(ConsolePolicies.Viewer)));
        // A wallboard secret is not an API token: as a Bearer header it is refused.
        callers.Add(("wallboard secret as Bearer", SecurityClients.Bearer(console, wallSecret), all));
        // The peer console's token: Viewer, and the peer endpoints (its own datacenter's logs) but nothing of Support.
        var (_, peerSecret) = await SecurityClients.CreateTokenAsync(console, $"matrix-peer-{suffix}", ConsoleRoles.Viewer, ApiTokenKind.Peer);
        callers.Add(("peer token", SecurityClients.Bearer(console, peerSecret), With(ConsolePolicies.Viewer, ConsolePolicies.Peer)));
        return callers;
    }

    private static string[] Policies(string role) => role switch
    {
        ConsoleRoles.Administrator => [ConsolePolicies.Viewer, ConsolePolicies.Support, ConsolePolicies.Administrator],
        ConsoleRoles.Support => [ConsolePolicies.Viewer, ConsolePolicies.Support],
        _ => [ConsolePolicies.Viewer],
    };

    private List<(string Key, string Method, string Path, bool StaticAsset)> Endpoints()
    {
        var list = new List<(string, string, string, bool)>();
        foreach (var endpoint in console.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var staticAsset = endpoint.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
                || (pattern.Split('/')[^1].Contains('.') && !pattern.Contains('{'))
                || pattern.Contains(":file}", StringComparison.Ordinal);
            foreach (var method in methods)
                list.Add(($"{method} {pattern}", method, pattern, staticAsset));
        }
        return list.Distinct().ToList();
    }

    [Fact]
    public void EveryEndpoint_HasAnExpectedPolicy()
    {
        var missing = Endpoints().Where(e => !e.StaticAsset && !Expected.ContainsKey(e.Key)).Select(e => e.Key).Distinct().ToList();
        Assert.True(missing.Count == 0, "Endpoints with no expected policy in the matrix (add them, with their policy):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void StaticAssets_AreTheOnlyOtherAnonymousEndpoints()
    {
        var anonymous = console.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'))
            .Where(p => !p.StartsWith("/account/", StringComparison.Ordinal) && !p.Contains(":file}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(anonymous);
        Assert.All(anonymous, p => Assert.Contains('.', p.Split('/')[^1]));
    }

    [Fact]
    public async Task EveryEndpoint_AsEveryCaller_AllowsExactlyWhatTheTableSays()
    {
        var callers = await CallersAsync();
        var endpoints = Endpoints().Where(e => !e.StaticAsset && Expected.TryGetValue(e.Key, out var p) && p != "SignOut").ToList();
        // A few static assets: anonymous for everyone (the sign-in page needs its styles).
        endpoints.AddRange(Endpoints().Where(e => e.StaticAsset && e.Method == "GET" && !e.Path.Contains('{')).Take(3));
        // And the console's own top-level wwwroot, which the sign-in page uses.
        endpoints.Add(("GET /css/console.css", "GET", "/css/console.css", true));
        endpoints.Add(("GET /js/reconnect.js", "GET", "/js/reconnect.js", true));
        var failures = new StringBuilder();
        var checks = 0;
        foreach (var (key, method, path, staticAsset) in endpoints)
        {
            var policy = staticAsset ? "Anonymous" : Expected[key];
            foreach (var (name, client, satisfies) in callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method == "*" ? "GET" : method), Concrete(path));
                if (method is "POST" or "PUT")
                    request.Content = new StringContent("", Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var denied = SecurityClients.IsDenied(response);
                var shouldAllow = satisfies.Contains(policy);
                // Anonymous endpoints may still answer a caller they do not serve with a redirect (e.g. password); only unexpected allows and denies count.
                if (denied == shouldAllow)
                    failures.AppendLine($"{key} as {name}: expected {(shouldAllow ? "allow" : "deny")} ({policy}), got {(int)response.StatusCode} {response.Headers.Location}");
                checks++;
            }
        }
        Assert.True(failures.Length == 0, $"{checks} checks:\n{failures}");
        Assert.True(checks > 300, $"Only {checks} checks ran.");
    }

    [Fact]
    public async Task Hub_RefusesAnonymousAndRevoked_AcceptsAViewerToken()
    {
        var (_, viewer) = await SecurityClients.CreateTokenAsync(console, "hub-viewer-" + Guid.NewGuid().ToString("N")[..6], ConsoleRoles.Viewer, ApiTokenKind.Api);
        var hub = new Uri(console.Server.BaseAddress, "/hubs/estate/negotiate?negotiateVersion=1");
        using var anonymous = SecurityClients.Anonymous(console);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(hub, null)).StatusCode);
        using var withToken = SecurityClients.Bearer(console, viewer);
        Assert.Equal(HttpStatusCode.OK, (await withToken.PostAsync(hub, null)).StatusCode);
        // SignalR's WebSocket clients pass the token in the query string.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(hub + "&access_token=" + Uri.EscapeDataString(viewer), null)).StatusCode);
        // The query string is honoured on the hub only.
        Assert.True(SecurityClients.IsDenied(await anonymous.GetAsync("/api/estate?access_token=" + Uri.EscapeDataString(viewer))));
    }

    private static string Concrete(string pattern) => pattern
        .Replace("{id:long}", "1")
        .Replace("{dc}", "dc1")
        .Replace("{instance}", "instance-1")
        .Replace("{correlationId}", "0123456789abcdef01234567");
}
