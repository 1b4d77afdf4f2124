using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ApimConsole.Storage.Providers;

// Used only by `dotnet ef migrations add ... --context <X>ConsoleDbContext` to build the model; neither
// connection is opened. See README "Storage" for the commands.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteConsoleDbContext>
{
    public SqliteConsoleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteConsoleDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerConsoleDbContext>
{
    public SqlServerConsoleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerConsoleDbContext>().UseSqlServer("Server=design-time;Database=ApimConsole").Options);
}
