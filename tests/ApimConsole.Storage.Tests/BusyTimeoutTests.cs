using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Deployments;
using ApimConsole.Storage.Records;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SQLitePCL;

namespace ApimConsole.Storage.Tests;

/// <summary>
/// <c>Storage:BusyTimeout</c> on a real SQLite file held locked by another connection, with no interceptor shortening
/// anything: each write attempt gives up on the lock after the setting, not Microsoft.Data.Sqlite's 30 s, so an action
/// the store cannot record is refused within seconds. And how the file is shared (issue "database is locked"):
/// write-ahead logging, SQLite's own busy handler at the setting, write transactions that take the write lock when
/// they begin. Locks are released on a signal (a command refused as locked), never after a fixed wait.
/// </summary>
public sealed class BusyTimeoutTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-busy-" + Guid.NewGuid().ToString("N"));
    private readonly LockedCommands _locked = new();
    private readonly WriteLockProbe _probe = new();
    private ServiceProvider _services = null!;

    private string File => Path.Combine(_root, "console.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _services = new ServiceCollection()
            .AddSingleton<IInterceptor>(_locked)
            .AddSingleton<IInterceptor>(_probe)
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

    private async Task<int> AuditCountAsync()
    {
        await using var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.CountAsync();
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
        var blocker = await SqliteFileLock.WriterAsync(File);

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() =>
            audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None));
        clock.Stop();

        Assert.Contains("locked", refused.Message);
        Assert.Equal(StoreWriter.Delays.Count + 1, health.Current.FailedAttempts);
        // 4 attempts × 1 s (the 200 ms setting in SQLite's whole seconds) + 1.5 s of pauses ≈ 5.5 s; with SQLite's
        // default 30 s per attempt it took over two minutes. The bound is loose on purpose: a loaded machine is slow.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"refused after {clock.Elapsed}: the lock was waited out at SQLite's default");

        await blocker.ReleaseAsync();
        Assert.Equal(0, await AuditCountAsync());

        var entry = await audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None);
        Assert.True(entry.Id > 0);
        Assert.False(health.Current.Failing);
        Assert.Equal(1, await AuditCountAsync());
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
        var blocker = await SqliteFileLock.WriterAsync(File);

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => store.AddAsync(Request(), CancellationToken.None));
        clock.Stop();

        Assert.Contains("locked", refused.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"refused after {clock.Elapsed}: the lock was waited out at SQLite's default");
        await blocker.ReleaseAsync();
        Assert.Empty(await store.RecentAsync(10, CancellationToken.None));

        var stored = await store.AddAsync(Request(), CancellationToken.None);
        Assert.Equal(stored.Id, Assert.Single(await store.RecentAsync(10, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task TheFileIsInWriteAheadLogMode_AndEveryConnectionWaitsTheBusyTimeoutInsideSqlite()
    {
        await using (var plain = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            await plain.OpenAsync();
            await using var mode = plain.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", await mode.ExecuteScalarAsync());
        }

        await using var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var busy = db.Database.GetDbConnection().CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout;";
        // The 200 ms setting in SQLite's whole seconds, as the connection's Default Timeout.
        Assert.Equal(1000L, await busy.ExecuteScalarAsync());
    }

    [Fact]
    public async Task EfCoreTransactions_TakeTheWriteLockWhenTheyBegin_ExplicitOnesAndSaveChangesOwn()
    {
        await using var db = await _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        await using (var transaction = await db.Database.BeginTransactionAsync())
            Assert.Equal(raw.SQLITE_BUSY, WriteLockProbe.TryBeginImmediate(File));
        Assert.Equal(raw.SQLITE_OK, WriteLockProbe.TryBeginImmediate(File));

        // Two rows: SaveChanges opens a transaction of its own around them.
        db.AuditEntries.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Actor = "a", ActorKind = AuditActorKind.User, Action = "x", Target = "1" });
        db.AuditEntries.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Actor = "a", ActorKind = AuditActorKind.User, Action = "x", Target = "2" });
        _probe.Watching = File;
        await db.SaveChangesAsync();
        _probe.Watching = null;
        Assert.Equal([raw.SQLITE_BUSY], _probe.Results);
    }

    [Fact]
    public async Task AReaderHoldingTheFile_DoesNotHoldUpAWriteThatMatters()
    {
        var audit = _services.GetRequiredService<AuditLog>();
        var health = _services.GetRequiredService<ConsoleStoreHealth>();
        // In SQLite's rollback-journal mode this reader kept the audit entry from committing: refused after its attempts.
        await using var reader = await SqliteFileLock.ReaderAsync(File, "AuditEntries");

        var entry = await audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None);

        Assert.True(entry.Id > 0);
        Assert.Empty(_locked.Refused);
        Assert.Equal(0, health.Current.FailedAttempts);
        Assert.Null(health.Current.LastFailure);
        Assert.Equal(1, await AuditCountAsync());
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_TheAuditEntryIsStoredByTheNextAttempt_Once()
    {
        var audit = _services.GetRequiredService<AuditLog>();
        var health = _services.GetRequiredService<ConsoleStoreHealth>();
        var writer = await SqliteFileLock.WriterAsync(File);

        var recording = audit.RecordAsync("alice", "deployment.requested", "group-2 (Internal)", "test", CancellationToken.None);
        await Eventually.Until(() => _locked.Count("INSERT INTO \"AuditEntries\"") >= 1, TimeSpan.FromSeconds(60), "the first attempt waited out its busy timeout");
        await writer.ReleaseAsync();
        var entry = await recording;

        Assert.True(entry.Id > 0);
        Assert.False(health.Current.Failing);
        Assert.NotNull(health.Current.LastFailure);
        Assert.Equal(1, await AuditCountAsync());
    }

    [Fact]
    public async Task LockedFile_ATrafficFlushStoresNoCell_AndTheSameCellsLandOnceAfterTheLockGoes()
    {
        // The collector keeps a refused flush's cells and writes them again at the next flush: that holds only if a
        // refused write stored none of them (else the next one would count them twice).
        var store = _services.GetRequiredService<ApimConsole.Core.Traffic.ITrafficStore>();
        var minute = new DateTimeOffset(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
        KeyValuePair<ApimConsole.Core.Traffic.TrafficMinuteKey, ApimConsole.Core.Traffic.TrafficStats> Cell(string instance)
        {
            var stats = new ApimConsole.Core.Traffic.TrafficStats();
            stats.Add(new ApimConsole.Core.Traffic.TrafficTransaction("dc1", instance, "ab", minute, 12, 200, "GET", "/orders/v1", null, "Pass"));
            return new(new ApimConsole.Core.Traffic.TrafficMinuteKey("dc1", instance, "/orders/v1", minute), stats);
        }
        async Task<List<(string, long)>> StoredAsync()
        {
            var cells = new List<(string, long)>();
            await foreach (var cell in store.ReadCellsAsync(minute, CancellationToken.None))
                cells.Add((cell.InstanceId, cell.Stats.Count));
            return [.. cells.Order()];
        }

        await using (await SqliteFileLock.WriterAsync(File))
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => store.AddCellsAsync([Cell("instance-1"), Cell("instance-2")], CancellationToken.None));
            Assert.Contains("locked", StoreWriter.Describe(refused));
        }
        Assert.Empty(await StoredAsync());

        await store.AddCellsAsync([Cell("instance-1"), Cell("instance-2")], CancellationToken.None);
        Assert.Equal([("instance-1", 1L), ("instance-2", 1L)], await StoredAsync());
    }

    /// <summary>
    /// Whether a connection of its own could take the file's write lock, asked without any busy wait through SQLite's
    /// own API: <c>SQLITE_BUSY</c> while someone holds it. Asked of every transaction EF Core starts while watching.
    /// </summary>
    private sealed class WriteLockProbe : DbTransactionInterceptor
    {
        private readonly ConcurrentQueue<int> _results = new();

        public volatile string? Watching;

        public IReadOnlyList<int> Results => [.. _results];

        public static int TryBeginImmediate(string file)
        {
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_open_v2(file, out var db, raw.SQLITE_OPEN_READWRITE, null));
            using (db)
            {
                var rc = raw.sqlite3_exec(db, "BEGIN IMMEDIATE;");
                if (rc == raw.SQLITE_OK)
                    raw.sqlite3_exec(db, "ROLLBACK;");
                return rc;
            }
        }

        public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
        {
            if (Watching is { } file)
                _results.Enqueue(TryBeginImmediate(file));
            return ValueTask.FromResult(result);
        }
    }
}
