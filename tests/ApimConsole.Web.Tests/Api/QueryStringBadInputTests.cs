using System.Net;

namespace ApimConsole.Web.Tests.Api;

/// <summary>
/// Query strings and route values the other suites do not try: each wrong one is a 4xx that says what is wrong, and
/// the console keeps serving.
/// </summary>
public sealed class QueryStringBadInputTests : IAsyncLifetime
{
    private readonly ConsoleTestHost _console = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _console.DisposeAsync();

    [Theory]
    [InlineData("/api/deployments?count=0", HttpStatusCode.BadRequest, "count must be between 1 and 500")]
    [InlineData("/api/deployments?count=501", HttpStatusCode.BadRequest, "count must be between 1 and 500")]
    [InlineData("/api/deployments?count=-2147483648", HttpStatusCode.BadRequest, "count must be between 1 and 500")]
    [InlineData("/api/deployments/999999", HttpStatusCode.NotFound, "No deployment 999999.")]
    [InlineData("/api/traffic/transactions/dc1/instance-1/not-hex/trace", HttpStatusCode.BadRequest, "not-hex\\u0027 is not a correlation id.")]
    [InlineData("/api/traffic/transactions/dc1/instance-1/" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0/trace", HttpStatusCode.BadRequest, "is not a correlation id.")]
    [InlineData("/api/traffic/transactions/dc%2F..%2Fx/instance-1/ab/trace", HttpStatusCode.BadRequest, "is not a datacenter of this estate.")]
    [InlineData("/api/traffic/transactions?limit=abc", HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/guardrails?datacenters=dc1,%00", HttpStatusCode.BadRequest, "Unknown datacenter")]
    public async Task BadValue_IsRefused_WithTheReason(string path, HttpStatusCode status, string reason)
    {
        using var client = _console.CreateClient();

        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, body);
        // Still serving: the bad request changed nothing for the next one.
        using var estate = await client.GetAsync("/api/estate");
        Assert.Equal(HttpStatusCode.OK, estate.StatusCode);
    }

    [Theory]
    [InlineData("/api/deployments?count=abc")]
    [InlineData("/api/deployments?count=99999999999999999999")]
    public async Task UnparsableNumber_Is400(string path)
    {
        using var client = _console.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task NonNumericDeploymentId_IsNotFound_NotAServerError()
    {
        using var client = _console.CreateClient();

        using var response = await client.GetAsync("/api/deployments/abc");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
