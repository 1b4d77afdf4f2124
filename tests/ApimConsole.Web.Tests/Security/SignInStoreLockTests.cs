using System.Net;
using ApimConsole.Storage;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Sign-in and sign-out on a SQLite file another connection holds (issue: "SQLite Error 5: 'database is locked'" made
/// a wrong password answer 500 under load). Locks are taken and released on signals, never after a fixed wait; each
/// attempt waits one second for the file (<c>Storage:BusyTimeout</c>).
/// </summary>
public sealed class SignInStoreLockTests : IAsyncLifetime
{
    private const string User = "mallory-target";
    private const string Password = "Right-Password-1";
    private const string CountUpdate = "UPDATE \"AspNetUsers\"";

    private readonly ConsoleTestHost _settings = new(new Dictionary<string, string?> { ["Storage:BusyTimeout"] = "00:00:01" });
    private readonly LockedCommands _locked = new();
    private readonly CapturingLoggerProvider _logs = new();
    private WebApplicationFactory<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _host = _settings.WithWebHostBuilder(b =>
        {
            b.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(_locked));
            b.ConfigureLogging(l => l.AddProvider(_logs));
            // The store refuses on purpose: what the console says about it is asserted below.
            TestHostLogging.Configure(b, provokesFailures: true);
        });
        await SecurityClients.CreateUserAsync(_host, User, Password, ConsoleRoles.Support);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _settings.DisposeAsync();
    }

    private async Task<int> FailedCountAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return await users.GetAccessFailedCountAsync((await users.FindByNameAsync(User))!);
    }

    private async Task<int> AuditedAsync(string action) =>
        (await _host.Services.GetRequiredService<AuditLog>().RecentAsync(100, CancellationToken.None)).Count(e => e.Action == action && e.Target == User);

    private static async Task AssertWrongPasswordAnswerAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("Wrong user name or password", body);
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_AWrongPasswordGetsTheNormalAnswer_CountedOnce()
    {
        using var client = SecurityClients.Anonymous(_host);
        var writer = await SqliteFileLock.WriterAsync(_settings.DatabaseFile);

        var signingIn = SecurityClients.PostSignInAsync(client, User, "wrong-password");
        // The failed-attempt count's update waited out one attempt's busy timeout; before the fix this was the 500.
        await Eventually.Until(() => _locked.Count(CountUpdate) >= 1, TimeSpan.FromSeconds(60), "the count's update was refused as locked once");
        await writer.ReleaseAsync();

        await AssertWrongPasswordAnswerAsync(await signingIn);
        Assert.Equal(1, await FailedCountAsync());
        Assert.Equal(1, await AuditedAsync("signin.failed"));
        Assert.False(_host.Services.GetRequiredService<ConsoleStoreHealth>().Current.Failing);
    }

    [Fact]
    public async Task AReaderHoldingTheFile_DoesNotHoldUpTheSignIn()
    {
        using var client = SecurityClients.Anonymous(_host);
        // A long read (a report, a page's query) in progress: in rollback-journal mode it kept the count from committing.
        await using var reader = await SqliteFileLock.ReaderAsync(_settings.DatabaseFile, "AspNetUsers");

        await AssertWrongPasswordAnswerAsync(await SecurityClients.PostSignInAsync(client, User, "wrong-password"));

        Assert.Empty(_locked.Refused);
        Assert.Equal(1, await FailedCountAsync());
        Assert.Equal(1, await AuditedAsync("signin.failed"));
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastEveryAttempt_TheFormSaysTheStoreIsFailing_As503_AndNothingChanges()
    {
        using var client = SecurityClients.Anonymous(_host);
        var response = default(HttpResponseMessage);
        await using (await SqliteFileLock.WriterAsync(_settings.DatabaseFile))
            response = await SecurityClients.PostSignInAsync(client, User, "wrong-password");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("store is failing", body);
        Assert.Contains("You were not signed in", body);
        Assert.Contains("database is locked", body);
        Assert.DoesNotContain("   at ", body);
        Assert.Equal(StoreWriter.Delays.Count + 1, _locked.Count(CountUpdate));
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            c => c.StartsWith(ConsoleSecurityExtensions.IdentityCookieName, StringComparison.Ordinal));
        Assert.Equal(0, await FailedCountAsync());
        Assert.Equal(0, await AuditedAsync("signin.failed"));

        // Once the file is free the same attempt is counted as usual.
        await AssertWrongPasswordAnswerAsync(await SecurityClients.PostSignInAsync(client, User, "wrong-password"));
        Assert.Equal(1, await FailedCountAsync());
        Assert.False(_host.Services.GetRequiredService<ConsoleStoreHealth>().Current.Failing);
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_TheRightPasswordSignsIn()
    {
        using var client = SecurityClients.Anonymous(_host);
        await AssertWrongPasswordAnswerAsync(await SecurityClients.PostSignInAsync(client, User, "wrong-password"));
        var writer = await SqliteFileLock.WriterAsync(_settings.DatabaseFile);

        // A right password after a wrong one resets the count: that update waits the lock out like the wrong one's.
        var signingIn = SecurityClients.PostSignInAsync(client, User, Password);
        await Eventually.Until(() => _locked.Count(CountUpdate) >= 1, TimeSpan.FromSeconds(60), "the count's reset was refused as locked once");
        await writer.ReleaseAsync();

        var response = await signingIn;
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await FailedCountAsync());
        Assert.Equal(1, await AuditedAsync("signin.succeeded"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_SignOutStillMovesTheStampAndIsAudited()
    {
        using var client = await SecurityClients.SignedInAsync(_host, User, Password);
        string? StampOf(IdentityUser? user) => user?.SecurityStamp;
        await using var scope = _host.Services.CreateAsyncScope();
        var before = StampOf(await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync(User));
        var writer = await SqliteFileLock.WriterAsync(_settings.DatabaseFile);

        var signingOut = HardeningSupport.SignOutAsync(client);
        // The stamp and the audit entry are one transaction, whose begin waits for the write lock: the store writer's
        // warning about the sign-out's first attempt is the signal.
        await Eventually.Until(() => _logs.Messages.Any(m => m.Contains($"refused signout {User} (attempt 1)", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the sign-out's first attempt was refused as locked");
        await writer.ReleaseAsync();

        var response = await signingOut;
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await using var after = _host.Services.CreateAsyncScope();
        Assert.NotEqual(before, StampOf(await after.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByNameAsync(User)));
        Assert.Equal(1, await AuditedAsync("signout"));
        Assert.False(_host.Services.GetRequiredService<ConsoleStoreHealth>().Current.Failing);
    }
}
