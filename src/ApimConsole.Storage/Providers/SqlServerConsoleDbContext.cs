using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage.Providers;

/// <summary>SQL Server, for consoles that share a store. Migrations live in Migrations/SqlServer.</summary>
public sealed class SqlServerConsoleDbContext(DbContextOptions<SqlServerConsoleDbContext> options) : ConsoleDbContext(options);
