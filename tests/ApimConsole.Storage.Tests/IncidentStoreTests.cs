using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

public sealed class IncidentStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    private static Incident Open(string key, DateTimeOffset started) => new()
    {
        Key = key, Kind = "GatewayInstanceDown", DatacenterId = "dc2", Title = "Gateway instance down", Severity = "Warning", StartedAt = started,
    };

    [Fact]
    public async Task SecondOpenIncident_WithTheSameKey_IsRefusedByTheStore()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();

        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.Incidents.Add(Open("GatewayInstanceDown:dc2/instance-2", T0));
            await db.SaveChangesAsync();
        }

        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.Incidents.Add(Open("GatewayInstanceDown:dc2/instance-2", T0.AddMinutes(1)));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }

        await using (var db = await contexts.CreateDbContextAsync())
            Assert.Equal(1, await db.Incidents.CountAsync());
    }

    [Fact]
    public async Task ClosedIncidents_WithTheSameKey_MayBeManyBesideOneOpen()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();

        await using (var db = await contexts.CreateDbContextAsync())
        {
            var first = Open("DatacenterDown:dc2", T0);
            first.EndedAt = T0.AddMinutes(5);
            var second = Open("DatacenterDown:dc2", T0.AddMinutes(10));
            second.EndedAt = T0.AddMinutes(15);
            db.Incidents.AddRange(first, second, Open("DatacenterDown:dc2", T0.AddMinutes(20)), Open("DatacenterDown:dc1", T0));
            await db.SaveChangesAsync();
        }

        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(4, await db.Incidents.CountAsync());
            Assert.Equal(1, await db.Incidents.CountAsync(i => i.Key == "DatacenterDown:dc2" && i.EndedAt == null));
        }
    }

    [Fact]
    public async Task RepairCheck_IsUniquePerIncidentAndNode()
    {
        await using var store = new TempStore();
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var contexts = store.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        long id;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            var incident = Open("DatacenterDown:dc2", T0);
            db.Incidents.Add(incident);
            await db.SaveChangesAsync();
            id = incident.Id;
            db.RepairChecks.Add(new RepairCheck { IncidentId = id, NodeKey = "dc2/cassandra-1", Action = "repair", DoneBy = "alice", DoneAt = T0 });
            await db.SaveChangesAsync();
        }

        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.RepairChecks.Add(new RepairCheck { IncidentId = id, NodeKey = "dc2/cassandra-1", Action = "repair", DoneBy = "bob", DoneAt = T0 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }
}
