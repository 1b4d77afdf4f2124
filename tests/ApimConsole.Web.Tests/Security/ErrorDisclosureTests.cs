using System.Net;
using System.Text;
using System.Text.Json;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Restarts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Issue #19 point 4: no response carries a stack trace or a source path, in Production (what the README's run command
/// uses) nor even in Development; errors are ProblemDetails with what the caller can act on.
/// </summary>
public sealed class ErrorDisclosureTests
{
    public static TheoryData<string> Environments => ["Production", "Development"];

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task AnUnreadableQueryValue_IsA400ProblemNamingIt_WithoutAStackTrace(string environment)
    {
        await using var plain = new ConsoleTestHost();
        await using var console = plain.WithWebHostBuilder(b => b.UseEnvironment(environment));
        using var client = console.CreateClient();
        foreach (var path in new[] { "/api/deployments?count=abc", "/api/deployments?count=99999999999999999999" })
        {
            var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("count", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
            AssertNothingInternal(body);
        }
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task AFaultOfTheConsole_IsA500ProblemWithATraceId_WithoutAStackTraceOrPath(string environment)
    {
        await using var plain = new ConsoleTestHost();
        // The restarter throws on purpose: the unhandled-exception log is what the test provokes.
        await using var console = plain.WithWebHostBuilder(b => TestHostLogging.Configure(b
            .UseEnvironment(environment)
            .ConfigureTestServices(s => s.AddSingleton<IGatewayRestarter, FailingRestarter>()), provokesFailures: true));
        using var client = console.CreateClient();
        var response = await client.PostAsync("/api/runbooks/restart",
            new StringContent("{\"datacenterId\":\"dc2\",\"instanceId\":\"instance-1\",\"action\":\"start\"}", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(body).RootElement.TryGetProperty("traceId", out _), body);
        AssertNothingInternal(body);
        Assert.DoesNotContain("secret-internal-detail", body);
    }

    [Fact]
    public void TheReadmesRunCommand_DoesNotStartInDevelopment()
    {
        var root = ApimConsole.Web.Hosting.ConsoleHostDefaults.FindContentRoot();
        var settings = File.ReadAllText(Path.Combine(root, "src", "ApimConsole.Web", "Properties", "launchSettings.json"));
        foreach (var profile in JsonDocument.Parse(settings).RootElement.GetProperty("profiles").EnumerateObject())
        {
            var environment = profile.Value.TryGetProperty("environmentVariables", out var variables) && variables.TryGetProperty("ASPNETCORE_ENVIRONMENT", out var value)
                ? value.GetString() : "Production";
            Assert.NotEqual("Development", environment);
        }
    }

    private static void AssertNothingInternal(string body)
    {
        foreach (var leak in new[] { "   at ", ".cs:line", "/work/", "/src/", "Exception:", "StackTrace", "System.", "Microsoft." })
            Assert.DoesNotContain(leak, body);
    }

    private sealed class FailingRestarter : IGatewayRestarter
    {
        public Task<RestartResult> RestartAsync(string datacenterId, string instanceId, RestartAction action, string actor, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("secret-internal-detail in /work/src/ApimConsole.Web/Restarts/GatewayRestarter.cs:line 42");
    }
}
