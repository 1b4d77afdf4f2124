using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

public sealed class SqliteStoreTests
{
    [Fact]
    public async Task Migrate_CreatesTheFileAndItsFolder_AndRecordsRoundTrip()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(store.Root, "data", "console.db")));

        var at = new DateTimeOffset(2024, 5, 17, 9, 30, 15, 123, TimeSpan.FromHours(2));
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.AuditEntries.Add(new AuditEntry { At = at, Actor = "alice", Action = "deployment.blocked", Target = "dc1/group-2", Details = "link down" });
            db.ComponentStateChanges.Add(new ComponentStateChange
            {
                At = at, DatacenterId = "dc2", ComponentId = "cassandra-3", ComponentKind = "CassandraNode",
                FromState = "Up", ToState = "Down", Reason = "connection refused",
            });
            await db.SaveChangesAsync();
        }

        await using (var db = await contexts.CreateDbContextAsync())
        {
            var audit = await db.AuditEntries.SingleAsync();
            // Same instant, read back in UTC (SQLite keeps UTC ticks).
            Assert.Equal((at, TimeSpan.Zero, "alice", "deployment.blocked", "dc1/group-2", "link down"),
                (audit.At, audit.At.Offset, audit.Actor, audit.Action, audit.Target, audit.Details));
            var change = await db.ComponentStateChanges.SingleAsync();
            Assert.Equal((at, "dc2", "cassandra-3", "CassandraNode", "Up", "Down", "connection refused"),
                (change.At, change.DatacenterId, change.ComponentId, change.ComponentKind, change.FromState, change.ToState, change.Reason));
        }
    }

    [Fact]
    public async Task DateTimeOffset_OrdersAndFiltersByInstant_NotByLocalClockTime()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();

        // Local clock times run 10:00, 09:00, 11:00 but the instants run 08:00Z, 09:00Z, 10:00Z.
        var first = new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.FromHours(2));
        var second = new DateTimeOffset(2024, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var third = new DateTimeOffset(2024, 1, 1, 11, 0, 0, TimeSpan.FromHours(1));
        await using (var db = await contexts.CreateDbContextAsync())
        {
            foreach (var (at, actor) in new[] { (third, "third"), (first, "first"), (second, "second") })
                db.AuditEntries.Add(new AuditEntry { At = at, Actor = actor, Action = "test", Target = "t" });
            await db.SaveChangesAsync();
        }

        await using (var db = await contexts.CreateDbContextAsync())
        {
            var ordered = await db.AuditEntries.OrderBy(e => e.At).Select(e => e.Actor).ToListAsync();
            Assert.Equal(["first", "second", "third"], ordered);
            var since = new DateTimeOffset(2024, 1, 1, 8, 30, 0, TimeSpan.Zero);
            var after = await db.AuditEntries.Where(e => e.At > since).OrderByDescending(e => e.At).Select(e => e.Actor).ToListAsync();
            Assert.Equal(["third", "second"], after);
        }
    }

    [Fact]
    public async Task Migrate_WhenTheFolderCannotBeCreated_NamesTheStoreAndTheCause()
    {
        await using var store = new TempStore("blocker/console.db");
        Directory.CreateDirectory(store.Root);
        await File.WriteAllTextAsync(Path.Combine(store.Root, "blocker"), "a file where the data folder should be");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None));
        Assert.Contains("Storage", error.Message);
        Assert.Contains(Path.Combine(store.Root, "blocker", "console.db"), error.Message);
    }
}
