using System.Net;
using System.Text.Json;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Security;

/// <summary>Issue #19 point 1: nobody fills the store or forges an actor through the sign-in form or the token check.</summary>
public sealed class SignInFloodTests
{
    [Fact]
    public async Task TenFourMegabyteNames_Are400_NothingIsStored_AndTheEleventhPostIs429WithRetryAfter()
    {
        await using var console = new ConsoleTestHost();
        _ = console.Server;
        var audit = console.Services.GetRequiredService<AuditLog>();
        var before = (await audit.RecentAsync(1000, CancellationToken.None)).Count;
        var storeBytes = StoreBytes(console);

        using var client = SecurityClients.Anonymous(console);
        var name = new string('A', 4 << 20);
        for (var i = 0; i < 10; i++)
        {
            var response = await client.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin", ["Input.UserName"] = name, ["Input.Password"] = "whatever",
            }));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("at most 100 characters", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(before, (await audit.RecentAsync(1000, CancellationToken.None)).Count);
        Assert.True(StoreBytes(console) - storeBytes < 256 * 1024, $"The store grew by {StoreBytes(console) - storeBytes} bytes");

        var eleventh = await SecurityClients.PostSignInAsync(client, "admin", TestAuth.AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, eleventh.StatusCode);
        Assert.True(int.Parse(eleventh.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);
        Assert.Equal("application/problem+json", eleventh.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AFloodFromOneClient_Is429_WhileAnotherClientStillSignsIn()
    {
        await using var plain = new ConsoleTestHost(new Dictionary<string, string?> { ["Auth:SignInAttemptsPerClient"] = "5" });
        await using var console = HardeningSupport.WithClientAddresses(plain);
        using var attacker = HardeningSupport.From(console, "203.0.113.7");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await SecurityClients.PostSignInAsync(attacker, "admin", "wrong-password-" + i)).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)], statuses);

        using var administrator = HardeningSupport.From(console, "198.51.100.20");
        var response = await SecurityClients.PostSignInAsync(administrator, "admin", TestAuth.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Theory]
    [InlineData("token:bootstrap")]
    [InlineData("system")]
    [InlineData("alice\nsignin.succeeded admin")]
    public async Task ANameThatPosesAsATokenOrTheSystem_IsRecordedAsAUser_Escaped(string typed)
    {
        await using var console = new ConsoleTestHost();
        using var client = SecurityClients.Anonymous(console);
        var response = await SecurityClients.PostSignInAsync(client, typed, "wrong-password");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var entry = Assert.Single(await console.Services.GetRequiredService<AuditLog>().RecentAsync(100, CancellationToken.None), e => e.Action == "signin.failed");
        Assert.Equal(AuditActorKind.User, entry.ActorKind);
        Assert.Equal(typed.Replace("\n", "\\n"), entry.Actor);
        Assert.DoesNotContain('\n', entry.Actor + entry.Target);
    }

    [Fact]
    public async Task UnknownTokens_AreThrottledPerClient_429WithRetryAfter_BeforeAnyLookup_OtherClientsUnaffected()
    {
        await using var plain = new ConsoleTestHost(new Dictionary<string, string?> { ["Auth:SignInAttemptsPerClient"] = "5" });
        await using var console = HardeningSupport.WithClientAddresses(plain);
        using var guesser = HardeningSupport.From(console, "203.0.113.9");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/estate");
            request.Headers.Authorization = new("Bearer", "apc_guess" + i);
            statuses.Add((await guesser.SendAsync(request)).StatusCode);
        }
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)], statuses);

        // The throttled client is refused even with a good token until its window ends; another client is not.
        using var withGoodToken = new HttpRequestMessage(HttpMethod.Get, "/api/estate");
        withGoodToken.Headers.Authorization = new("Bearer", TestAuth.BootstrapToken);
        var refused = await guesser.SendAsync(withGoodToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        using var other = HardeningSupport.From(console, "198.51.100.21");
        other.DefaultRequestHeaders.Authorization = new("Bearer", TestAuth.BootstrapToken);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/estate")).StatusCode);
    }

    [Fact]
    public async Task AnIPv6Client_IsItsSlash64_NotEachAddress()
    {
        await using var plain = new ConsoleTestHost(new Dictionary<string, string?> { ["Auth:SignInAttemptsPerClient"] = "3" });
        await using var console = HardeningSupport.WithClientAddresses(plain);
        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= 4; i++)
        {
            using var rotating = HardeningSupport.From(console, $"2001:db8:1:2::{i:x}");
            statuses.Add((await SecurityClients.PostSignInAsync(rotating, "admin", "wrong-password")).StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        using var neighbour = HardeningSupport.From(console, "2001:db8:1:3::1");
        Assert.Equal(HttpStatusCode.OK, (await SecurityClients.PostSignInAsync(neighbour, "admin", "wrong-password")).StatusCode);
    }

    [Fact]
    public async Task UnknownWallLinks_SpendTheSameBudget()
    {
        await using var plain = new ConsoleTestHost(new Dictionary<string, string?> { ["Auth:SignInAttemptsPerClient"] = "3" });
        await using var console = HardeningSupport.WithClientAddresses(plain);
        using var guesser = HardeningSupport.From(console, "203.0.113.10");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add((await guesser.GetAsync("/wall?token=apc_guess" + i)).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task UsersPage_RefusesNamesThatReadAsATokenOrTheSystem()
    {
        await using var console = new ConsoleTestHost();
        var users = console.Services.GetRequiredService<ConsoleUsers>();
        foreach (var name in new[] { "token:bootstrap", "System", "bad\nname" })
            Assert.NotNull(await users.CreateAsync(name, "Long-Enough-Password-1", ConsoleRoles.Viewer, [], "admin"));
        Assert.Null(await users.CreateAsync("tokenholder", "Long-Enough-Password-1", ConsoleRoles.Viewer, [], "admin"));
    }

    private static long StoreBytes(ConsoleTestHost console) =>
        Directory.GetFiles(console.DataFolder, "console.db*").Sum(f => new FileInfo(f).Length);
}
