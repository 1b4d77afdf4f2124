using ApimConsole.Storage;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// The console's roles, and the first administrator created when the console listens with no user, on a SQLite file
/// another connection holds.
/// The console under test has started (and created its administrator); the test removes every user and runs the
/// first-start step again, as a console whose store is empty does. Locks are released on a signal (the store writer's
/// warning about the first attempt), never after a fixed wait; each attempt waits one second (<c>Storage:BusyTimeout</c>).
/// </summary>
public sealed class FirstStartStoreLockTests : IAsyncLifetime
{
    private const string Admin = "admin";
    private const string Password = "First-Admin-Password-1";

    private readonly ConsoleTestHost _settings = new(new Dictionary<string, string?>
    {
        ["Storage:BusyTimeout"] = "00:00:01", ["Auth:InitialAdminPassword"] = Password,
    });
    private readonly CapturingLoggerProvider _logs = new();
    private WebApplicationFactory<Program> _host = null!;
    private IHostedLifecycleService _firstStart = null!;

    public async Task InitializeAsync()
    {
        _host = _settings.WithWebHostBuilder(b =>
        {
            b.ConfigureLogging(l => l.AddProvider(_logs));
            // The store refuses on purpose: what the console says about it is asserted below.
            TestHostLogging.Configure(b, provokesFailures: true);
            // Its Critical line too: the test provokes it and asserts it from the captured log (not the run's log).
            b.ConfigureLogging(l => l.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>("ApimConsole.Web.Security.FirstStartService", LogLevel.None));
        });
        _ = _host.Server;
        _firstStart = _host.Services.GetServices<IHostedService>().OfType<IHostedLifecycleService>().Single(s => s.GetType().Name == "FirstStartService");
        Assert.Equal(1, await AdminsAuditedAsync());
        await using var scope = _host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        Assert.True((await users.DeleteAsync((await users.FindByNameAsync(Admin))!)).Succeeded);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _settings.DisposeAsync();
    }

    private async Task<int> AdminsAuditedAsync() =>
        (await _host.Services.GetRequiredService<AuditLog>().RecentAsync(100, CancellationToken.None))
        .Count(e => e.Action == "user.created" && e.Target == Admin);

    /// <summary>Every user's name, and whether it is an Administrator.</summary>
    private async Task<List<(string Name, bool Administrator)>> UsersAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var result = new List<(string, bool)>();
        foreach (var user in await users.Users.ToListAsync())
            result.Add((user.UserName!, await users.IsInRoleAsync(user, ConsoleRoles.Administrator)));
        return result;
    }

    /// <summary>Runs <paramref name="step"/> on a file held until the store writer has refused the first attempt of <paramref name="what"/>.</summary>
    private async Task HeldPastOneAttemptAsync(string what, Func<Task> step)
    {
        var writer = await SqliteFileLock.WriterAsync(_settings.DatabaseFile);
        var running = step();
        await Eventually.Until(() => _logs.Messages.Any(m => m.Contains($"refused {what} (attempt 1)", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), $"the first attempt to {what} waited out its busy timeout");
        await writer.ReleaseAsync();
        await running;
    }

    private int CreatedLogs() => _logs.Messages.Count(m => m.Contains("FIRST START: no user existed, so the console created", StringComparison.Ordinal));

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_TheAdministratorIsCreatedByTheNextAttempt_Once()
    {
        await HeldPastOneAttemptAsync("create the first administrator", () => _firstStart.StartedAsync(CancellationToken.None));

        Assert.Equal([(Admin, true)], await UsersAsync());
        // One more entry than the host's own first start, and one more "created" line: not two.
        Assert.Equal(2, await AdminsAuditedAsync());
        Assert.Equal(2, CreatedLogs());
        Assert.False(_host.Services.GetRequiredService<ConsoleStoreHealth>().Current.Failing);
        using var client = await SecurityClients.SignedInAsync(_host, Admin, Password);

        // With a user there, the step creates nothing.
        await _firstStart.StartedAsync(CancellationToken.None);
        Assert.Single(await UsersAsync());
        Assert.Equal(2, await AdminsAuditedAsync());
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastEveryAttempt_TheStartStopsNamingTheStore_AndNothingIsCreated()
    {
        ConsoleStoreUnavailableException refused;
        await using (await SqliteFileLock.WriterAsync(_settings.DatabaseFile))
            refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => _firstStart.StartedAsync(CancellationToken.None));

        Assert.Contains("create the first administrator", refused.Message);
        Assert.Contains("database is locked", refused.Message);
        // Every attempt was made (other writers of the running console may fail meanwhile too: counted by what).
        Assert.Equal(StoreWriter.Delays.Count, _logs.Messages.Count(m => m.Contains("refused create the first administrator (attempt", StringComparison.Ordinal)));
        Assert.Single(_logs.Messages, m => m.Contains($"refused create the first administrator {StoreWriter.Delays.Count + 1} times", StringComparison.Ordinal));
        var critical = Assert.Single(_logs.AtLeast(LogLevel.Critical));
        Assert.Contains("could not be created: SQLite Error 5: 'database is locked'", critical.Message);
        Assert.Contains("Nothing was created", critical.Message);
        // Nothing half-written: no user, no role, no audit entry, and no password announced for an account that does not exist.
        Assert.Empty(await UsersAsync());
        Assert.Equal(1, await AdminsAuditedAsync());
        Assert.Equal(1, CreatedLogs());

        // Started again on a free file, the administrator is created.
        await _firstStart.StartedAsync(CancellationToken.None);
        Assert.Equal([(Admin, true)], await UsersAsync());
        Assert.Equal(2, await AdminsAuditedAsync());
    }

    private async Task<List<string>> RolesAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>().Roles.Select(r => r.Name!).OrderBy(n => n).ToListAsync();
    }

    /// <summary>Removes the Viewer and Support roles, as a store that never had them.</summary>
    private async Task RemoveTwoRolesAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var name in new[] { ConsoleRoles.Viewer, ConsoleRoles.Support })
            Assert.True((await roles.DeleteAsync((await roles.FindByNameAsync(name))!)).Succeeded);
        Assert.Equal([ConsoleRoles.Administrator], await RolesAsync());
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_TheMissingRolesAreCreatedByTheNextAttempt_Once()
    {
        await RemoveTwoRolesAsync();

        await HeldPastOneAttemptAsync("create the console's roles", () => _firstStart.StartAsync(CancellationToken.None));

        Assert.Equal([ConsoleRoles.Administrator, ConsoleRoles.Support, ConsoleRoles.Viewer], await RolesAsync());
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastEveryAttempt_TheStartStopsNamingTheStore_AndNoRoleIsCreated()
    {
        await RemoveTwoRolesAsync();

        ConsoleStoreUnavailableException refused;
        await using (await SqliteFileLock.WriterAsync(_settings.DatabaseFile))
            refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => _firstStart.StartAsync(CancellationToken.None));

        Assert.Contains("create the console's roles", refused.Message);
        Assert.Contains("database is locked", refused.Message);
        Assert.Equal([ConsoleRoles.Administrator], await RolesAsync());
        await _firstStart.StartAsync(CancellationToken.None);
        Assert.Equal([ConsoleRoles.Administrator, ConsoleRoles.Support, ConsoleRoles.Viewer], await RolesAsync());
    }
}
