using System.Diagnostics;
using ApimConsole.Core.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>
/// <c>Storage:BusyTimeout</c> on a real SQLite file held locked by another connection (<c>BEGIN EXCLUSIVE</c>), with no
/// interceptor shortening anything: each write attempt gives up on the lock after the setting, not Microsoft.Data.Sqlite's
/// 30 s, so an action the store cannot record is refused within seconds.
/// </summary>
public sealed class BusyTimeoutTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-busy-" + Guid.NewGuid().ToString("N"));
    private ServiceProvider _services = null!;

    private string File => Path.Combine(_root, "console.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _services = new ServiceCollection()
            .AddConsoleStorage(new StorageOptions
            {
                Provider = StorageOptions.Sqlite, SqlitePath = "console.db", BusyTimeout = TimeSpan.FromMilliseconds(200),
            }, _root)
            .BuildServiceProvider();
        await _services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<SqliteConnection> LockAsync()
    {
        var blocker = new SqliteConnection($"Data Source={File}");
        await blocker.OpenAsync();
        await using var begin = blocker.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE";
        await begin.ExecuteNonQueryAsync();
        return blocker;
    }

    private static async Task ReleaseAsync(SqliteConnection blocker)
    {
        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        await blocker.DisposeAsync();
    }

    [Theory]
    [InlineData("00:00:00.200", 1)]
    [InlineData("00:00:05", 5)]
    [InlineData("00:00:12.5", 13)]
    public void TheSetting_IsTheConnectionsDefaultTimeout_InWholeSecondsRoundedUp(string busy, int seconds)
    {
        using var services = new ServiceCollection()
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "x.db", BusyTimeout = TimeSpan.Parse(busy) }, _root)
            .BuildServiceProvider();
        using var db = services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContext();

        Assert.Equal(seconds, new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DefaultTimeout);
    }

    [Fact]
    public void WithoutTheSetting_AttemptsWaitFiveSeconds_NotSqlites30()
    {
        using var services = new ServiceCollection()
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "x.db" }, _root)
            .BuildServiceProvider();
        using var db = services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContext();

        Assert.Equal(5, new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DefaultTimeout);
    }

    [Fact]
    public async Task LockedFile_AuditIsRefusedAfterItsAttempts_WithinSeconds_NothingStored_AndTheNextWriteAfterTheLockSucceeds()
    {
        var audit = _services.GetRequiredService<AuditLog>();
        var health = _services.GetRequiredService<ConsoleStoreHealth>();
        var blocker = await LockAsync();

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() =>
            audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None));
        clock.Stop();

        Assert.Contains("locked", refused.Message);
        Assert.Equal(StoreWriter.Delays.Count + 1, health.Current.FailedAttempts);
        // 4 attempts × 1 s (the 200 ms setting in SQLite's whole seconds) + 1.5 s of pauses ≈ 5.5 s; with SQLite's
        // default 30 s per attempt it took over two minutes. The bound is loose on purpose: a loaded machine is slow.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"refused after {clock.Elapsed}: the lock was waited out at SQLite's default");

        await ReleaseAsync(blocker);
        await using (var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync())
            Assert.Equal(0, await db.AuditEntries.CountAsync());

        var entry = await audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None);
        Assert.True(entry.Id > 0);
        Assert.False(health.Current.Failing);
        await using (var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync())
            Assert.Equal(1, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task LockedFile_DeploymentRecordIsRefusedWithinSeconds_NothingStored_AndStoredOnceTheLockGoes()
    {
        var store = _services.GetRequiredService<DeploymentStore>();
        Records.Deployment Request() => new()
        {
            RequestedBy = "carol", GroupId = "group-2", GroupName = "Internal", FileNames = "prod.fed", Sha256 = new string('a', 64),
            Targets = [new Records.DeploymentTarget { DatacenterId = "dc1" }],
        };
        var blocker = await LockAsync();

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => store.AddAsync(Request(), CancellationToken.None));
        clock.Stop();

        Assert.Contains("locked", refused.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"refused after {clock.Elapsed}: the lock was waited out at SQLite's default");
        await ReleaseAsync(blocker);
        Assert.Empty(await store.RecentAsync(10, CancellationToken.None));

        var stored = await store.AddAsync(Request(), CancellationToken.None);
        Assert.Equal(stored.Id, Assert.Single(await store.RecentAsync(10, CancellationToken.None)).Id);
    }
}
