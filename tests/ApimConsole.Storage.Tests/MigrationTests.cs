using ApimConsole.Core.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>Checks both providers' migrations without any database server: nothing here opens a connection.</summary>
public sealed class MigrationTests
{
    private static ConsoleDbContext CreateContext(string provider)
    {
        var options = new StorageOptions
        {
            Provider = provider,
            SqlitePath = "unused.db",
            ConnectionString = "Server=no-such-server;Database=ApimConsole;Integrated Security=false;User ID=x;Password=y",
        };
        var services = new ServiceCollection().AddConsoleStorage(options, Path.GetTempPath()).BuildServiceProvider();
        return services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContext();
    }

    [Theory]
    [InlineData(StorageOptions.Sqlite)]
    [InlineData(StorageOptions.SqlServer)]
    public void Model_HasNoChangesMissingFromTheMigrations(string provider)
    {
        using var db = CreateContext(provider);
        Assert.True(db.Database.GetMigrations().Any(), $"{provider} has no migrations");
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The model has changed since the last {provider} migration: add one with dotnet ef (see README).");
    }

    [Fact]
    public void SqlServerScript_CreatesBothTablesWithDateTimeOffsetColumns()
    {
        using var db = CreateContext(StorageOptions.SqlServer);
        var script = db.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CREATE TABLE [AuditEntries]", script);
        Assert.Contains("CREATE TABLE [ComponentStateChanges]", script);
        Assert.Contains("[At] datetimeoffset NOT NULL", script);
        Assert.Contains("CREATE INDEX [IX_ComponentStateChanges_DatacenterId_ComponentId_At]", script);
        Assert.Contains("[__EFMigrationsHistory]", script);
    }

    [Theory]
    [InlineData(StorageOptions.Sqlite, "CREATE UNIQUE INDEX \"IX_Incidents_Key_Open\" ON \"Incidents\" (\"Key\") WHERE EndedAt IS NULL;")]
    [InlineData(StorageOptions.SqlServer, "CREATE UNIQUE INDEX [IX_Incidents_Key_Open] ON [Incidents] ([Key]) WHERE EndedAt IS NULL;")]
    public void Script_AllowsOneOpenIncidentPerKey_OnBothProviders(string provider, string index)
    {
        using var db = CreateContext(provider);
        var script = db.GetService<IMigrator>().GenerateScript();
        Assert.Contains(index, script);
    }

    [Fact]
    public void SqliteScript_StoresInstantsAsIntegers()
    {
        using var db = CreateContext(StorageOptions.Sqlite);
        var script = db.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CREATE TABLE \"AuditEntries\"", script);
        Assert.Contains("\"At\" INTEGER NOT NULL", script);
    }
}
