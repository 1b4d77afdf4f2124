using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>Brings the store's schema up to date; the host runs it once at start-up, before anything reads or writes.</summary>
public sealed class ConsoleStoreMigrator(IDbContextFactory<ConsoleDbContext> contexts, ConsoleStoreLocation location)
{
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
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The operator sees this at start-up: name the store and the underlying cause, not just "migration failed".
            throw new InvalidOperationException(
                $"Storage: cannot prepare the console's {location.Provider} store ({location.Description}): {e.GetBaseException().Message}", e);
        }
    }
}
