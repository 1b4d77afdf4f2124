using System.Data.Common;
using ApimConsole.Core.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>
/// Counts failed commands, and can make every connection the store opens read-only (<c>PRAGMA query_only</c>: SQLite
/// itself then refuses writes with SQLITE_READONLY) and every command give up on a lock after 1 s.
/// </summary>
internal sealed class SqliteTrouble : DbCommandInterceptor, IDbConnectionInterceptor
{
    private int _failed;
    public volatile bool ReadOnly;
    public int FailedCommands => Volatile.Read(ref _failed);

    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        result.CommandTimeout = 1;
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Interlocked.Increment(ref _failed);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _failed);
        return Task.CompletedTask;
    }

    public async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        // A lock is waited for 1 s, not the default 30 s, so each attempt gives up quickly.
        ((SqliteConnection)connection).DefaultTimeout = 1;
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = ReadOnly ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
    }

    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        ((SqliteConnection)connection).DefaultTimeout = 1;
        using var pragma = connection.CreateCommand();
        pragma.CommandText = ReadOnly ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF";
        pragma.ExecuteNonQuery();
    }
}

/// <summary>The console's store on a real SQLite file that is locked by another connection, or read-only.</summary>
public sealed class StoreFailureTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-storefail-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteTrouble _trouble = new();
    private ServiceProvider _services = null!;

    private string File => Path.Combine(_root, "console.db");

    public async Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(_trouble)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        Directory.CreateDirectory(_root);
        await _services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<int> AuditCountAsync()
    {
        await using var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.CountAsync();
    }

    [Fact]
    public async Task ReadOnlyStore_AuditIsRetriedThenRefusedLoudly_AndHealthSaysFailingUntilAWriteSucceeds()
    {
        var audit = _services.GetRequiredService<AuditLog>();
        var health = _services.GetRequiredService<ConsoleStoreHealth>();
        _trouble.ReadOnly = true;
        SqliteConnection.ClearAllPools();

        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() =>
            audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None));

        Assert.StartsWith("The console's store cannot record this action (audit deployment.requested on group-2 (Internal))", refused.Message);
        Assert.Contains("readonly", refused.Message);
        Assert.Equal(StoreWriter.Delays.Count + 1, health.Current.FailedAttempts);
        Assert.True(health.Current.Failing);
        Assert.Contains("readonly", health.Current.Problem);
        var since = health.Current.FailingSince;

        _trouble.ReadOnly = false;
        SqliteConnection.ClearAllPools();
        Assert.Equal(0, await AuditCountAsync());
        await audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None);
        Assert.Equal(1, await AuditCountAsync());
        Assert.False(health.Current.Failing);
        Assert.NotNull(since);
        Assert.NotNull(health.Current.LastFailure);
    }

    [Fact]
    public async Task LockedStore_AnAuditWriteWaitsOutTheLockByRetrying_AndIsStoredOnceTheLockGoes()
    {
        var audit = _services.GetRequiredService<AuditLog>();
        var health = _services.GetRequiredService<ConsoleStoreHealth>();
        await using var blocker = new SqliteConnection($"Data Source={File}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        var write = audit.RecordAsync("bob", "gateway.restart", "dc1/instance-2", null, CancellationToken.None);
        // Wait until the store has refused at least once (locked), then let the lock go.
        await Eventually.Until(() => health.Current.Failing || write.IsCompleted, TimeSpan.FromSeconds(20),
            "the locked store to refuse the write (or the write to end)");
        Assert.True(health.Current.Failing, "the locked store never refused the write");
        Assert.Contains("locked", health.Current.Problem);
        await using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }

        var entry = await write;
        Assert.True(entry.Id > 0);
        Assert.Equal(1, await AuditCountAsync());
        Assert.False(health.Current.Failing);
    }

    [Fact]
    public async Task LockHeldThroughEveryRetry_RefusesTheDeploymentRecord_AndNothingIsStored()
    {
        var store = _services.GetRequiredService<DeploymentStore>();
        await using var blocker = new SqliteConnection($"Data Source={File}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => store.AddAsync(new Records.Deployment
        {
            RequestedBy = "carol", GroupId = "group-2", GroupName = "Internal", FileNames = "prod.fed", Sha256 = new string('a', 64),
            Targets = [new Records.DeploymentTarget { DatacenterId = "dc1" }],
        }, CancellationToken.None));
        Assert.Contains("locked", refused.Message);
        Assert.Equal(StoreWriter.Delays.Count + 1, _services.GetRequiredService<ConsoleStoreHealth>().Current.FailedAttempts);

        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        Assert.Empty(await store.RecentAsync(10, CancellationToken.None));
    }
}
