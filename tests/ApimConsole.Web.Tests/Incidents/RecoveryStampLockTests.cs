using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Incidents;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>
/// A recovery found complete is stamped on its incident through the store writer: on a SQLite file another connection
/// holds, it waits the lock out and is stamped once, or is refused, logged and stamped on the next call. Locks are
/// released on a signal (the store writer's first refused attempt), never after a fixed wait.
/// </summary>
public sealed class RecoveryStampLockTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-recovery-" + Guid.NewGuid().ToString("N"));
    private readonly CapturingLoggerProvider _logs = new();
    private ServiceProvider _services = null!;
    private RecoveryTracker _tracker = null!;
    private ConsoleStoreHealth _health = null!;
    private long _incident;

    private string File => Path.Combine(_root, "console.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(_logs))
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db", BusyTimeout = TimeSpan.FromMilliseconds(200) }, _root)
            .BuildServiceProvider();
        await _services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        _health = _services.GetRequiredService<ConsoleStoreHealth>();
        _tracker = ActivatorUtilities.CreateInstance<RecoveryTracker>(_services);

        // dc2 was down for ten minutes and is back: no repair is owed, so the recovery is complete once its nodes agree.
        var incident = new Incident
        {
            Key = "DatacenterDown:dc2", Kind = "DatacenterDown", DatacenterId = "dc2", Title = "dc2 down", Severity = "critical",
            StartedAt = TestEstate.T0, EndedAt = TestEstate.T0.AddMinutes(10), CassandraNodes = "dc2/cassandra-1,dc2/cassandra-2,dc2/cassandra-3",
        };
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            db.Incidents.Add(incident);
            await db.SaveChangesAsync();
        }
        _incident = incident.Id;
        _tracker.Track(incident);
        _tracker.Evaluate(TestEstate.AllUp(RecoveredAt));
        Assert.Empty(_tracker.Incomplete);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static DateTimeOffset RecoveredAt => TestEstate.T0.AddMinutes(11);

    // EF Core logs each refused command at Error too; what the console itself says is asserted.
    private IReadOnlyList<CapturedLog> ConsoleErrors() =>
        [.. _logs.AtLeast(LogLevel.Error).Where(e => e.Category.StartsWith("ApimConsole.", StringComparison.Ordinal))];

    private IDbContextFactory<ConsoleDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();

    private async Task<DateTimeOffset?> StampAsync()
    {
        await using var db = await Contexts.CreateDbContextAsync();
        return (await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == _incident)).RecoveredAt;
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastOneAttempt_TheRecoveryIsStampedByTheNextAttempt_Once()
    {
        var writer = await SqliteFileLock.WriterAsync(File);

        var stamping = _tracker.PersistCompletedAsync(CancellationToken.None);
        await Eventually.Until(() => _health.Current.FailedAttempts >= 1, TimeSpan.FromSeconds(60), "the stamp's first attempt waited out its busy timeout");
        await writer.ReleaseAsync();
        await stamping;

        Assert.Equal(RecoveredAt, await StampAsync());
        Assert.False(_health.Current.Failing);
        Assert.Empty(ConsoleErrors());

        // Stamped once: the tracker let it go, so a later call writes nothing, not even against a held file.
        var failedBefore = _health.Current.LastFailure;
        await using (await SqliteFileLock.WriterAsync(File))
            await _tracker.PersistCompletedAsync(CancellationToken.None);
        Assert.Equal(failedBefore, _health.Current.LastFailure);
        Assert.False(_health.Current.Failing);
    }

    [Fact]
    public async Task AWriterHoldingTheFilePastEveryAttempt_TheStampIsRefusedAndLogged_NothingWritten_AndStampedOnTheNextCall()
    {
        await using (await SqliteFileLock.WriterAsync(File))
            await _tracker.PersistCompletedAsync(CancellationToken.None);

        Assert.Equal(StoreWriter.Delays.Count + 1, _health.Current.FailedAttempts);
        var refusal = Assert.Single(ConsoleErrors());
        Assert.Contains("refused stamp 1 completed recoveries 4 times", refusal.Message);
        Assert.Contains(_logs.Messages, m => m.Contains("1 completed recoveries are not stamped yet (SQLite Error 5: 'database is locked'", StringComparison.Ordinal));
        Assert.Null(await StampAsync());

        // The recovery stayed complete in memory: the next call, on a free file, stamps it with when it was found complete.
        await _tracker.PersistCompletedAsync(CancellationToken.None);
        Assert.Equal(RecoveredAt, await StampAsync());
        Assert.False(_health.Current.Failing);
    }
}
