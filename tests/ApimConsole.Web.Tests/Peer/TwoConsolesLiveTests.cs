using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Web.Tests.Live;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>Two consoles, one per datacenter, against one lab; the peer is the only witness (no load balancer at all).</summary>
public sealed class TwoConsolesLinkTests : IAsyncLifetime
{
    private TwoConsoles _consoles = null!;

    public async Task InitializeAsync() => _consoles = await TwoConsoles.StartAsync(loadBalancerWitness: false);

    public async Task DisposeAsync() => await _consoles.DisposeAsync();

    [Fact]
    public async Task LinkCut_BothConsolesNameItQuickly_WithNoLoadBalancer_AndShowTheOtherDatacenterAsItsConsoleSeesIt()
    {
        foreach (var console in new[] { _consoles.Dc1, _consoles.Dc2 })
        {
            var settled = await console.WaitForEstateAsync(e => e.AllUp() && PeerAvailable(e), TimeSpan.FromSeconds(60), "both datacenters up and the peer a witness");
            Assert.Equal(JsonValueKind.Null, settled.GetProperty("loadBalancer").ValueKind);
            // The snapshot says who the peer is and whether it is a witness, not its whole view.
            Assert.False(settled.GetProperty("peer").TryGetProperty("view", out _));
            Assert.False(settled.GetProperty("peer").TryGetProperty("evidence", out _));
            Assert.All(settled.GetProperty("datacenters").EnumerateArray(), d => Assert.Equal(JsonValueKind.Null, d.GetProperty("seenBy").ValueKind));
        }

        var cut = Stopwatch.StartNew();
        _consoles.Lab.Faults.Apply("link", "down", "test");
        foreach (var (console, other) in new[] { (_consoles.Dc1, "dc2"), (_consoles.Dc2, "dc1") })
        {
            var estate = await console.WaitForEstateAsync(e => e.GetProperty("link").State() == "Down", TimeSpan.FromSeconds(15),
                $"the link named down by the {console.Datacenter} console");
            var remote = estate.Datacenter(other);
            Assert.Equal("Unreachable", remote.State());
            Assert.Contains($"the console in {other} sees it serving", remote.GetProperty("reason").GetString());
            // The other datacenter's components as the console there sees them, marked as such, not Unknown.
            var seenBy = remote.GetProperty("seenBy");
            Assert.Equal(other, seenBy.GetProperty("consoleDatacenter").GetString());
            Assert.StartsWith($"as seen by the console in {other}, ", seenBy.GetProperty("label").GetString());
            Assert.All(remote.Components(), c =>
            {
                Assert.Equal("Up", c.State());
                Assert.Contains($"as seen by the console in {other}", c.GetProperty("reason").GetString());
            });
            Assert.Equal(2, remote.GetProperty("groups").GetArrayLength());
            Assert.Equal(3, remote.GetProperty("cassandraNodes").GetArrayLength());
            Assert.Equal("Up", estate.Datacenter(console.Datacenter).State());
            Assert.Equal(JsonValueKind.Null, estate.Datacenter(console.Datacenter).GetProperty("seenBy").ValueKind);

            using var client = console.Api();
            var scenarios = await client.GetFromJsonAsync<JsonElement>("/api/scenarios");
            Assert.Contains(scenarios.GetProperty("scenarios").EnumerateArray(), s => s.GetProperty("key").GetString() == "InterDatacenterLinkDown");
        }
        // Well inside the time a load balancer's checks would take to matter; the bound is loose for a loaded machine.
        Assert.True(cut.Elapsed < TimeSpan.FromSeconds(15), $"named after {cut.Elapsed}");

        _consoles.Lab.Faults.Apply("link", "up", "test");
        foreach (var console in new[] { _consoles.Dc1, _consoles.Dc2 })
        {
            var healed = await console.WaitForEstateAsync(e => e.AllUp(), TimeSpan.FromSeconds(30), "the link back up");
            Assert.All(healed.GetProperty("datacenters").EnumerateArray(), d => Assert.Equal(JsonValueKind.Null, d.GetProperty("seenBy").ValueKind));
        }
    }

    [Fact]
    public async Task PeerView_IsServedToTheViewerToken_AndRefusedWithout()
    {
        using var viewer = new HttpClient { BaseAddress = _consoles.Dc2.Url };
        viewer.DefaultRequestHeaders.Authorization = new("Bearer", TwoConsoles.Dc2PeerToken);
        var view = await Eventually.Until(() => viewer.GetFromJsonAsync<JsonElement>("/api/peer/view"),
            v => v.GetProperty("own").GetProperty("state").GetString() == "Up", TimeSpan.FromSeconds(60), "dc2's view of itself Up");
        Assert.Equal("dc2", view.GetProperty("datacenter").GetString());
        Assert.Equal("dc2", view.GetProperty("own").GetProperty("id").GetString());
        Assert.False(view.GetProperty("deployment").GetProperty("running").GetBoolean());
        Assert.False(string.IsNullOrEmpty(view.GetProperty("version").GetString()));
        // Viewer only: the peer token deploys nothing.
        var deploy = await viewer.PostAsync("/api/deployments", new MultipartFormDataContent());
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, deploy.StatusCode);

        using var anonymous = new HttpClient { BaseAddress = _consoles.Dc2.Url };
        var refused = await anonymous.GetAsync("/api/peer/view");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task PeerView_FreshAfter_ProbesTheDatacenterFirst_AndShowsWhenEachComponentAnswered()
    {
        using var viewer = new HttpClient { BaseAddress = _consoles.Dc2.Url, Timeout = TimeSpan.FromSeconds(10) };
        viewer.DefaultRequestHeaders.Authorization = new("Bearer", TwoConsoles.Dc2PeerToken);
        await Eventually.Until(() => viewer.GetFromJsonAsync<JsonElement>("/api/peer/view"),
            v => v.GetProperty("own").GetProperty("state").GetString() == "Up", TimeSpan.FromSeconds(60), "dc2's view of itself Up");

        // Later than every regular probe so far: only the round this read forces can answer it (one console on one clock).
        var after = DateTimeOffset.UtcNow;
        var view = await viewer.GetFromJsonAsync<JsonElement>($"/api/peer/view?freshAfter={Uri.EscapeDataString(after.ToString("O"))}&wait=3000");
        var answered = view.GetProperty("answered");
        var components = view.GetProperty("own").Components().ToList();
        Assert.True(components.Count >= 6, $"{components.Count} components");
        Assert.All(components, c =>
        {
            var key = $"dc2/{c.GetProperty("id").GetString()}";
            Assert.True(answered.TryGetProperty(key, out var at), $"{key} has no answer time");
            Assert.True(at.GetDateTimeOffset() >= after, $"{key} last answered a probe started {at.GetDateTimeOffset():O}, before {after:O}");
        });
        Assert.Equal(0, view.GetProperty("failingComponents").GetInt32());

        // Bad values are refused, naming the parameter, and probe nothing.
        foreach (var (query, names) in new[] { ("freshAfter=yesterday", "freshAfter"), ("freshAfter=2026-12-06", "freshAfter"), ($"freshAfter={Uri.EscapeDataString(after.ToString("O"))}&wait=99999", "wait"), ("wait=100", "wait") })
        {
            var refused = await viewer.GetAsync($"/api/peer/view?{query}");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(names, await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task LinkCut_ASupportUserOnTheDc1Console_ReadsDc2sLogsThroughThePeer_WithTheSameLimits()
    {
        await _consoles.Dc1.WaitForEstateAsync(e => e.AllUp() && PeerAvailable(e), TimeSpan.FromSeconds(60), "all up, peer a witness");
        const string password = "Support-Password-1";
        await ApimConsole.Web.Tests.Security.SecurityClients.CreateUserAsync(_consoles.Dc1, "support-all", password, ApimConsole.Web.Security.ConsoleRoles.Support);
        await ApimConsole.Web.Tests.Security.SecurityClients.CreateUserAsync(_consoles.Dc1, "support-dc1", password, ApimConsole.Web.Security.ConsoleRoles.Support, "dc1");
        await ApimConsole.Web.Tests.Security.SecurityClients.CreateUserAsync(_consoles.Dc1, "viewer", password, ApimConsole.Web.Security.ConsoleRoles.Viewer);
        using var support = await _consoles.Dc1.SignedInAsync("support-all", password);
        using var limited = await _consoles.Dc1.SignedInAsync("support-dc1", password);
        using var viewer = await _consoles.Dc1.SignedInAsync("viewer", password);

        _consoles.Lab.Faults.Apply("link", "down", "test");
        await Eventually.Until(() => support.GetFromJsonAsync<JsonElement>("/api/logs/status"),
            s => s.GetProperty("datacenters").EnumerateArray().Any(d => d.GetProperty("id").GetString() == "dc2" && !d.GetProperty("reachable").GetBoolean()),
            TimeSpan.FromSeconds(20), "dc2's log source unreachable from the dc1 console", every: TimeSpan.FromMilliseconds(100));

        var lines = await Eventually.Until(() => support.GetFromJsonAsync<JsonElement>("/api/logs/dc2?max=200"),
            l => l.TryGetProperty("through", out _) && l.GetProperty("records").GetArrayLength() > 0
                 && l.GetProperty("records").EnumerateArray().Any(r => r.GetProperty("correlationId").GetString() is { } c && c.Trim('0').Length > 0),
            TimeSpan.FromSeconds(20), "dc2's lines through the console in dc2", every: TimeSpan.FromMilliseconds(200));
        Assert.Equal("dc2", lines.GetProperty("through").GetProperty("console").GetString());
        Assert.Equal("through the console in dc2", lines.GetProperty("through").GetProperty("label").GetString());
        Assert.Equal("dc2", lines.GetProperty("dc").GetString());

        // The same limits as a local read: a Support user limited to dc1, and a Viewer, do not get dc2's logs.
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await limited.GetAsync("/api/logs/dc2")).StatusCode);
        Assert.True(ApimConsole.Web.Tests.Security.SecurityClients.IsDenied(await viewer.GetAsync("/api/logs/dc2")));

        // A search of dc2's trace files by correlation id, through the peer.
        var correlation = lines.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("correlationId").GetString()).First(c => c is { } x && x.Trim((char)48).Length > 0)!;
        var found = await support.GetStringAsync($"/api/logs/dc2/download?source=search&correlationId={correlation}");
        Assert.StartsWith("# through the console in dc2", found);
        Assert.Contains(correlation, found);

        // The peer token reads the peer endpoints only: not /api/logs, and a Viewer API token not the peer endpoints.
        using var peerToken = new HttpClient { BaseAddress = _consoles.Dc2.Url };
        peerToken.DefaultRequestHeaders.Authorization = new("Bearer", TwoConsoles.Dc2PeerToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await peerToken.GetAsync("/api/peer/logs?max=1")).StatusCode);
        Assert.True(ApimConsole.Web.Tests.Security.SecurityClients.IsDenied(await peerToken.GetAsync("/api/logs/dc2")));
        Assert.True(ApimConsole.Web.Tests.Security.SecurityClients.IsDenied(await peerToken.GetAsync("/api/traffic")));
        var (_, viewerToken) = await ApimConsole.Web.Tests.Security.SecurityClients.CreateTokenAsync(_consoles.Dc2, "viewer-token", ApimConsole.Web.Security.ConsoleRoles.Viewer, ApimConsole.Storage.Records.ApiTokenKind.Api);
        using var viewerApi = new HttpClient { BaseAddress = _consoles.Dc2.Url };
        viewerApi.DefaultRequestHeaders.Authorization = new("Bearer", viewerToken);
        Assert.True(ApimConsole.Web.Tests.Security.SecurityClients.IsDenied(await viewerApi.GetAsync("/api/peer/logs")));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await viewerApi.GetAsync("/api/peer/view")).StatusCode);
    }

    [Fact]
    public async Task LinkCut_Dc2sTrafficOnTheDc1Console_ComesThroughThePeer()
    {
        await _consoles.Dc1.WaitForEstateAsync(e => e.AllUp() && PeerAvailable(e), TimeSpan.FromSeconds(60), "all up, peer a witness");
        using var api = _consoles.Dc1.Api();
        var before = await api.GetFromJsonAsync<JsonElement>("/api/traffic?window=10m");
        Assert.All(before.GetProperty("datacenters").EnumerateArray(), d => Assert.False(d.TryGetProperty("through", out _)));
        _consoles.Lab.Faults.Apply("link", "down", "test");
        var report = await Eventually.Until(() => api.GetFromJsonAsync<JsonElement>("/api/traffic?window=10m"),
            r => r.GetProperty("datacenters").EnumerateArray().Any(d => d.GetProperty("id").GetString() == "dc2" && d.TryGetProperty("through", out _)
                && d.GetProperty("collection").GetProperty("collected").GetBoolean()),
            TimeSpan.FromSeconds(30), "dc2's traffic through the console in dc2", every: TimeSpan.FromMilliseconds(250));
        var dc2 = report.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc2");
        Assert.Equal("dc2", dc2.GetProperty("through").GetProperty("console").GetString());
        // While the link is up (and before), this console collects dc2 itself: nothing comes through the peer.
        var dc1 = report.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc1");
        Assert.False(dc1.TryGetProperty("through", out _));
    }

    internal static bool PeerAvailable(JsonElement estate) =>
        estate.GetProperty("peer") is { ValueKind: JsonValueKind.Object } peer && peer.GetProperty("available").GetBoolean();
}

/// <summary>dc2 down with its console: the dc1 console names the datacenter down (the load balancer sees it not serving) and has no peer witness.</summary>
public sealed class TwoConsolesDatacenterDownTests : IAsyncLifetime
{
    private TwoConsoles _consoles = null!;

    public async Task InitializeAsync() => _consoles = await TwoConsoles.StartAsync(loadBalancerWitness: true);

    public async Task DisposeAsync() => await _consoles.DisposeAsync();

    [Fact]
    public async Task Dc2Down_WithItsConsole_DatacenterDown_NoPeerWitness()
    {
        await _consoles.Dc1.WaitForEstateAsync(e => e.AllUp() && TwoConsolesLinkTests.PeerAvailable(e), TimeSpan.FromSeconds(60), "all up, peer a witness");

        _consoles.Lab.Faults.Apply("dc2", "down", "test");
        await _consoles.Dc2.DisposeAsync(); // the console in dc2 goes with its datacenter

        var estate = await _consoles.Dc1.WaitForEstateAsync(e => e.Datacenter("dc2").State() == "Down" && !TwoConsolesLinkTests.PeerAvailable(e),
            TimeSpan.FromSeconds(20), "dc2 down and no peer witness");
        Assert.NotEqual("Down", estate.GetProperty("link").State());
        Assert.Equal(JsonValueKind.Null, estate.Datacenter("dc2").GetProperty("seenBy").ValueKind);
        Assert.False(string.IsNullOrEmpty(estate.GetProperty("peer").GetProperty("reason").GetString()));
        using var client = _consoles.Dc1.Api();
        var scenarios = await client.GetFromJsonAsync<JsonElement>("/api/scenarios");
        Assert.Contains(scenarios.GetProperty("scenarios").EnumerateArray(), s => s.GetProperty("key").GetString() == "DatacenterDown:dc2");
        Assert.DoesNotContain(scenarios.GetProperty("scenarios").EnumerateArray(), s => s.GetProperty("key").GetString() == "InterDatacenterLinkDown");
    }
}
