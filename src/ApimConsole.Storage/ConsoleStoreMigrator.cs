using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ApimConsole.Storage;

/// <summary>Brings the store's schema up to date; the host runs it once at start-up, before anything reads or writes.</summary>
public sealed class ConsoleStoreMigrator(IDbContextFactory<ConsoleDbContext> contexts, ConsoleStoreLocation location)
{
    /// <summary>
    /// The pre-release migrations, squashed into one InitialCreate per provider (December 2026). A store they made holds
    /// all five of its provider's in its history and has exactly the schema InitialCreate makes.
    /// </summary>
    private static readonly IReadOnlyList<string> SqliteBeforeSquash =
        ["20261123165006_InitialCreate", "20261123181156_Deployments", "20261123190814_Incidents", "20261123192233_Traffic", "20261123202317_Security"];

    private static readonly IReadOnlyList<string> SqlServerBeforeSquash =
        ["20261123165019_InitialCreate", "20261123181204_Deployments", "20261123190831_Incidents", "20261123192243_Traffic", "20261123202333_Security"];

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Password hashes and the audit trail: readable by the console's account only (700 folder, 600 file; SQLite
            // gives its -wal and -shm files the database file's mode).
            if (location.SqliteDirectory is not null)
                OwnerOnly.CreateFolder(location.SqliteDirectory);
            if (location.SqliteFile is not null)
                OwnerOnly.CreateFile(location.SqliteFile);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (location.SqliteFile is not null)
                await UseWriteAheadLogAsync(db, cancellationToken);
            await AdoptHistoryBeforeSquashAsync(db, cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The operator sees this at start-up: name the store and the underlying cause, not just "migration failed".
            throw new InvalidOperationException(
                $"Storage: cannot prepare the console's {location.Provider} store ({location.Description}): {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>
    /// Puts the SQLite file in write-ahead-log mode (it stays so: the mode is kept in the file). In SQLite's default
    /// rollback-journal mode every reader blocks every writer's commit and a committing writer blocks every reader, so a
    /// page read slow under load made writes (a sign-in's failed-attempt count, an audit entry) time out with
    /// "database is locked". With the log, readers and the one writer do not wait for each other; writers still take
    /// turns, each transaction taking the write lock when it begins (Microsoft.Data.Sqlite begins EF Core's
    /// transactions IMMEDIATE), never by upgrading a read, which no wait could resolve.
    /// </summary>
    private static async Task UseWriteAheadLogAsync(ConsoleDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite keeps the file in journal mode '{mode}' instead of write-ahead logging (WAL); the file must be on a local file system");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A store made before the squash keeps its data: with all five old migrations applied its schema is InitialCreate's,
    /// so the five history rows become one. A store that stopped part-way cannot be brought up to date from here.
    /// </summary>
    private static async Task AdoptHistoryBeforeSquashAsync(ConsoleDbContext db, CancellationToken cancellationToken)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var before = SqliteBeforeSquash.Any(applied.Contains) ? SqliteBeforeSquash
            : SqlServerBeforeSquash.Any(applied.Contains) ? SqlServerBeforeSquash
            : null;
        if (before is null)
            return;
        if (!before.All(applied.Contains))
        {
            throw new InvalidOperationException(
                $"the store was made by a pre-release build and has only {string.Join(", ", before.Where(applied.Contains))} of its migrations; " +
                "delete it (for SQLite, the file) and start the console again to create it afresh");
        }

        var history = db.GetService<IHistoryRepository>();
        var initialCreate = db.Database.GetMigrations().First();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var migration in before)
            await db.Database.ExecuteSqlRawAsync(history.GetDeleteScript(migration), cancellationToken);
        await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(initialCreate, ProductInfo.GetVersion())), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
