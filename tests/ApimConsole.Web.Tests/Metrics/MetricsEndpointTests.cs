using System.Net;
using System.Net.Http.Headers;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>Who may read <c>GET /metrics</c>, what it answers, and the <c>Metrics</c> section's start-up checks.</summary>
public sealed class MetricsEndpointTests
{
    private const string ScrapeToken = "scrape-token-for-prometheus-0123456789abcdef";

    private static HttpClient Client(ConsoleTestHost host, string? bearer)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    [Fact]
    public async Task ByDefault_AnUnauthenticatedScrape_Is401_NotTheSignInPage()
    {
        await using var host = new ConsoleTestHost();
        using var client = Client(host, null);
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("apimconsole_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConsoleApiToken_ReadsTheMetrics_InThePrometheusTextFormat()
    {
        await using var host = new ConsoleTestHost();
        using var client = Client(host, TestAuth.BootstrapToken);
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var samples = Exposition.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, samples.Value("apimconsole_info", "estate=Test estate", "console_datacenter=dc1"));
        Assert.Equal(5, samples.Find("apimconsole_datacenter_state", "datacenter=dc2").Count);
        Assert.Equal(1, samples.Find("apimconsole_datacenter_state", "datacenter=dc2").Sum(s => s.Value));
    }

    [Fact]
    public async Task TheScrapeToken_ReadsTheMetrics_AndNothingElse()
    {
        await using var host = new ConsoleTestHost(new Dictionary<string, string?> { ["Metrics:Token"] = ScrapeToken });
        using var client = Client(host, ScrapeToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/estate")).StatusCode);
        using var wrong = Client(host, ScrapeToken + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        using var console = Client(host, TestAuth.BootstrapToken);
        Assert.Equal(HttpStatusCode.OK, (await console.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task ScrapingWithTheToken_NeverSpendsTheClientsBudgetForUnknownTokens()
    {
        await using var host = new ConsoleTestHost(new Dictionary<string, string?> { ["Metrics:Token"] = ScrapeToken, ["Auth:SignInAttemptsPerClient"] = "3" });
        using var client = Client(host, ScrapeToken);
        for (var i = 0; i < 10; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics")).StatusCode);
        // Unknown tokens on /metrics still do: the budget is there against guessing.
        using var guesser = Client(host, "not-a-token-of-this-console-0123456789abcdef");
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            answers.Add((await guesser.GetAsync("/metrics")).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, answers);
    }

    [Fact]
    public async Task AllowAnonymous_ServesTheMetricsToAnyone()
    {
        await using var host = new ConsoleTestHost(new Dictionary<string, string?> { ["Metrics:AllowAnonymous"] = "true" });
        using var client = Client(host, null);
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("apimconsole_component_state", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Only the metrics: the rest of the console is as closed as ever.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/estate")).StatusCode);
    }

    [Fact]
    public async Task Disabled_ThereIsNoMetricsEndpoint()
    {
        await using var host = new ConsoleTestHost(new Dictionary<string, string?> { ["Metrics:Enabled"] = "false" });
        using var client = Client(host, TestAuth.BootstrapToken);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Theory]
    [InlineData("Metrics:Token", "short", "Metrics:Token is too short (5 characters)")]
    [InlineData("Metrics:Token", "has a space in it 0123456789abcdef0123456789", "Metrics:Token must not contain spaces")]
    public async Task ABadToken_StopsStart_NamingTheKey(string key, string value, string expected)
    {
        var error = await ConsoleTestHost.StartFailsWithAsync(new() { [key] = value });
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScrapeTokenThatIsAlsoTheAdministratorsToken_StopsStart()
    {
        var error = await ConsoleTestHost.StartFailsWithAsync(new() { ["Metrics:Token"] = TestAuth.BootstrapToken, ["Auth:BootstrapAdminToken"] = TestAuth.BootstrapToken });
        Assert.Contains("Metrics:Token must differ from Auth:BootstrapAdminToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenThatAnyoneMayLeaveOut_StopsStart()
    {
        var error = await ConsoleTestHost.StartFailsWithAsync(new() { ["Metrics:Token"] = ScrapeToken, ["Metrics:AllowAnonymous"] = "true" });
        Assert.Contains("Metrics:AllowAnonymous and Metrics:Token: set one or the other", error.Message, StringComparison.Ordinal);
    }
}
