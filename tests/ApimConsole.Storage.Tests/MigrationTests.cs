using ApimConsole.Core.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace ApimConsole.Storage.Tests;

/// <summary>Checks both providers' migrations without any database server: only the SQLite history tests open a (file) store.</summary>
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

    [Fact]
    public void SqlServerScripts_AreValidTSql_AndCreateEveryTableOfTheModel()
    {
        // No SQL Server runs here: the scripts a DBA would run are parsed by SQL Server's own parser instead.
        using var db = CreateContext(StorageOptions.SqlServer);
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct().ToList();

        var migrations = db.GetService<IMigrator>().GenerateScript();
        Assert.Equal(tables.Append("__EFMigrationsHistory").Order(StringComparer.Ordinal), CreatedTables(migrations).Order(StringComparer.Ordinal));
        Assert.Equal(tables.Order(StringComparer.Ordinal), CreatedTables(db.Database.GenerateCreateScript()).Order(StringComparer.Ordinal));
    }

    private static List<string> CreatedTables(string script)
    {
        var fragment = new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(script), out var errors);
        Assert.Empty(errors.Select(e => $"line {e.Line}: {e.Message}"));
        var tables = new CreateTableNames();
        fragment.Accept(tables);
        return tables.Names;
    }

    private sealed class CreateTableNames : TSqlFragmentVisitor
    {
        public List<string> Names { get; } = [];

        public override void Visit(CreateTableStatement node) => Names.Add(node.SchemaObjectName.BaseIdentifier.Value);
    }

    // The history of a SQLite store made before the migrations were squashed into InitialCreate (December 2026).
    private static readonly string[] SqliteBeforeSquash =
        ["20261123165006_InitialCreate", "20261123181156_Deployments", "20261123190814_Incidents", "20261123192233_Traffic", "20261123202317_Security"];

    [Fact]
    public async Task StoreMadeBeforeTheSquash_IsAdoptedWithItsData_AndOneThatStoppedPartWay_IsRefusedSayingDeleteIt()
    {
        await using var store = new TempStore();
        var migrator = store.Services.GetRequiredService<ConsoleStoreMigrator>();
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        string initialCreate;
        string[] all;
        Directory.CreateDirectory(Path.Combine(store.Root, "data"));
        // The schema an old store has is the squashed InitialCreate's (the migrations after it came later): build only that.
        await using (var db = await contexts.CreateDbContextAsync())
        {
            all = db.Database.GetMigrations().ToArray();
            initialCreate = Assert.Single(all, m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));
            Assert.Equal(initialCreate, all[0]);
            await db.GetService<IMigrator>().MigrateAsync(initialCreate);
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"AuditEntries\" (\"At\", \"Actor\", \"Action\", \"Target\", \"Details\") VALUES (0, 'alice', 'deployment.requested', 'group-2 (Internal)', 'kept')");
        }

        // All five old migrations applied: the same schema; the history becomes InitialCreate's, the later migrations
        // run on it, and the data stays.
        await RewriteHistoryAsync(contexts, SqliteBeforeSquash);
        await migrator.MigrateAsync(CancellationToken.None);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
            Assert.Equal("kept", Assert.Single(await db.AuditEntries.ToListAsync()).Details);
        }

        // Stopped after two of them: refused at start-up, naming what to do.
        await RewriteHistoryAsync(contexts, SqliteBeforeSquash[..2]);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(CancellationToken.None));
        Assert.Contains("pre-release build", refused.Message);
        Assert.Contains("delete it", refused.Message);
    }

    private static async Task RewriteHistoryAsync(IDbContextFactory<ConsoleDbContext> contexts, IEnumerable<string> migrations)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsHistory\"");
        foreach (var migration in migrations)
            await db.Database.ExecuteSqlAsync($"INSERT INTO \"__EFMigrationsHistory\" VALUES ({migration}, {"10.0.0"})");
    }
}
