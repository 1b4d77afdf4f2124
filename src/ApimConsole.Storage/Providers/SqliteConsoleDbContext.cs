using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage.Providers;

/// <summary>The default store: a SQLite file. Migrations live in Migrations/Sqlite.</summary>
public sealed class SqliteConsoleDbContext(DbContextOptions<SqliteConsoleDbContext> options) : ConsoleDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no DateTimeOffset type and EF cannot translate ORDER BY or comparisons on its text form.
        // Stored as UTC ticks, values sort and compare in instant order.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }
}
