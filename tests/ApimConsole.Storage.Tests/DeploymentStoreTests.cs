using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

public sealed class DeploymentStoreTests
{
    private static Deployment NewDeployment() => new()
    {
        RequestedAt = DateTimeOffset.UtcNow, RequestedBy = "anonymous", Kind = ChangeKind.KpsTableStructure, GroupId = "group-3",
        GroupName = "DMZ", Format = DeploymentArchiveFormat.PolicyAndEnvironment, FileNames = "a.pol + a.env", Bytes = 10,
        Sha256 = new string('a', 64), RequestDecision = GuardrailDecision.Warn, RequestReasons = "dc2/cassandra-1 is down",
        WarningsConfirmed = true, State = DeploymentState.Pending,
    };

    [Fact]
    public async Task Deployment_AndItsTargets_RoundTrip_InTheOrderTheyHappened()
    {
        await using var temp = new TempStore();
        await temp.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var store = temp.Services.GetRequiredService<DeploymentStore>();
        using var writes = store.Writes.Subscribe(capacity: 100);

        var id = (await store.AddAsync(NewDeployment(), CancellationToken.None)).Id;
        await store.SetStateAsync(id, DeploymentState.Running, null, CancellationToken.None);
        await store.SetTargetAsync(id, "dc1", null, DeploymentTargetOutcome.Uploaded, "arch-1", null, CancellationToken.None);
        await store.SetTargetAsync(id, "dc1", "instance-3", DeploymentTargetOutcome.Loaded, "arch-1", null, CancellationToken.None);
        await store.SetTargetAsync(id, "dc1", "instance-4", DeploymentTargetOutcome.RolledBack, "arch-1", new string('x', 5000), CancellationToken.None);
        await store.SetTargetAsync(id, "dc1", null, DeploymentTargetOutcome.PartiallyApplied, null, "1 of 2 loaded", CancellationToken.None);
        await store.SetStateAsync(id, DeploymentState.PartiallyApplied, "dc1 partially", CancellationToken.None);

        var read = await store.GetAsync(id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal((ChangeKind.KpsTableStructure, DeploymentArchiveFormat.PolicyAndEnvironment, GuardrailDecision.Warn, DeploymentState.PartiallyApplied),
            (read.Kind, read.Format, read.RequestDecision, read.State));
        Assert.NotNull(read.StartedAt);
        Assert.NotNull(read.FinishedAt);
        Assert.Equal([(null, DeploymentTargetOutcome.PartiallyApplied, "arch-1"), ("instance-3", DeploymentTargetOutcome.Loaded, "arch-1"), ("instance-4", DeploymentTargetOutcome.RolledBack, "arch-1")],
            read.Targets.Select(t => (t.InstanceId, t.Outcome, t.ArchiveId)));
        Assert.Equal(DeploymentStore.MaxMessageLength, read.Targets[2].Message!.Length);
        // Every write is published: seven writes, seven values, counting up.
        var published = new List<long>();
        while (writes.Updates.TryRead(out var count))
            published.Add(count);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => writes.Snapshot + i), published);
    }

    [Fact]
    public async Task AStateOrRequestWhoseAuditEntryIsRefused_IsNotStoredEither_AndWithTheEntryBothAre()
    {
        await using var temp = new TempStore();
        await temp.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        var store = temp.Services.GetRequiredService<DeploymentStore>();
        var audit = temp.Services.GetRequiredService<AuditLog>();
        var id = (await store.AddAsync(NewDeployment(), CancellationToken.None)).Id;
        await store.SetStateAsync(id, DeploymentState.Running, null, CancellationToken.None);

        // SQLite itself refuses every audit entry from now on.
        await ExecuteAsync(temp, "CREATE TRIGGER refuse_audit BEFORE INSERT ON AuditEntries BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END");
        var finished = new AuditNote("system", "deployment.finished", $"deployment {id}", "Succeeded: loaded on every instance.");
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() =>
            store.SetStateAsync(id, DeploymentState.Succeeded, "Loaded on every instance.", finished, CancellationToken.None));
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() =>
            store.AddAsync(NewDeployment(), d => [new AuditNote("alice", "deployment.requested", "group-3 (DMZ)", $"Deployment {d.Id}: a.pol + a.env")], CancellationToken.None));
        var unchanged = await store.GetAsync(id, CancellationToken.None);
        Assert.Equal((DeploymentState.Running, null), (unchanged!.State, unchanged.FinishedAt));
        Assert.Equal([id], (await store.RecentAsync(10, CancellationToken.None)).Select(d => d.Id));
        Assert.Empty(await audit.RecentAsync(10, CancellationToken.None));

        // Once entries are taken again, the change and its entry are stored together; a new request's entry names its id.
        await ExecuteAsync(temp, "DROP TRIGGER refuse_audit");
        await store.SetStateAsync(id, DeploymentState.Succeeded, "Loaded on every instance.", finished, CancellationToken.None);
        var added = await store.AddAsync(NewDeployment(), d => [new AuditNote("alice", "deployment.requested", "group-3 (DMZ)", $"Deployment {d.Id}: a.pol + a.env")], CancellationToken.None);
        Assert.Equal(DeploymentState.Succeeded, (await store.GetAsync(id, CancellationToken.None))!.State);
        Assert.Equal([("deployment.requested", $"Deployment {added.Id}: a.pol + a.env"), ("deployment.finished", "Succeeded: loaded on every instance.")],
            (await audit.RecentAsync(10, CancellationToken.None)).Select(e => (e.Action, e.Details)));
    }

    private static async Task ExecuteAsync(TempStore temp, string sql)
    {
        await using var db = await temp.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database, sql);
    }
}
