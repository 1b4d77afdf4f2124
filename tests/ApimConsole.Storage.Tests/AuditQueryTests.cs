using ApimConsole.Core.Configuration;
using ApimConsole.Storage.Records;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Storage.Tests;

/// <summary>Issue #18: the audit trail read back, filtered and paged newest first; and a change written with its entry or not at all.</summary>
public sealed class AuditQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-auditq-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(T0);
    private readonly AuditInsertRefusal _refusal = new();
    private ServiceProvider _services = null!;

    private AuditLog Audit => _services.GetRequiredService<AuditLog>();

    public async Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton<IInterceptor>(_refusal)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        await _services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Six entries a minute apart, oldest first.</summary>
    private async Task SeedAsync()
    {
        await Record(AuditActor.User("alice"), "deployment.override", "group-2 (Internal)", "Reason: dc2 is down, hotfix");
        await Record(AuditActor.User("bob"), "repair.marked-done", "dc2/cassandra-1", "Incident 1: repair done");
        await Record(AuditActor.Token("pipeline"), "runbook.restart", "dc1/instance-2", "Done: restarted");
        await Record(AuditActor.System, "deployment.finished", "deployment 7", "Succeeded: 100%_done");
        await Record(AuditActor.User("alice"), "user.created", "carol", "role Support");
        await Record(AuditActor.User("dc1x"), "signin.succeeded", "dc1x", "from 127.0.0.1");
    }

    private async Task Record(AuditActor actor, string action, string target, string details)
    {
        await Audit.RecordAsync(actor, action, target, details, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
    }

    private async Task<List<string>> Actions(AuditQuery query) =>
        (await Audit.PageAsync(query, null, 100, CancellationToken.None))!.Entries.Select(e => e.Action).ToList();

    [Fact]
    public async Task NoFilter_IsEveryEntry_NewestFirst()
    {
        await SeedAsync();
        Assert.Equal(["signin.succeeded", "user.created", "deployment.finished", "runbook.restart", "repair.marked-done", "deployment.override"], await Actions(AuditQuery.All));
        Assert.Equal(6, await Audit.CountAsync(AuditQuery.All, CancellationToken.None));
    }

    [Fact]
    public async Task EachFilter_Narrows()
    {
        await SeedAsync();
        Assert.Equal(["user.created", "deployment.override"], await Actions(new() { Actor = "ALI" }));
        Assert.Equal(["runbook.restart"], await Actions(new() { Kind = AuditActorKind.Token }));
        Assert.Equal(["deployment.finished"], await Actions(new() { Kind = AuditActorKind.System }));
        Assert.Equal(["deployment.finished", "deployment.override"], await Actions(new() { Action = "deployment." }));
        Assert.Equal(["deployment.override"], await Actions(new() { Action = "deployment.override" }));
        // A prefix, not a substring.
        Assert.Empty(await Actions(new() { Action = "override" }));
        Assert.Equal(["repair.marked-done"], await Actions(new() { Target = "cassandra" }));
        Assert.Equal(["repair.marked-done"], await Actions(new() { Datacenter = "dc2" }));
        // dc1: its instance, not the user whose name starts with dc1.
        Assert.Equal(["runbook.restart"], await Actions(new() { Datacenter = "dc1" }));
        Assert.Equal(["deployment.finished", "runbook.restart"], await Actions(new() { From = T0.AddMinutes(2), To = T0.AddMinutes(4) }));
        Assert.Equal(["deployment.override"], await Actions(new() { Text = "hotfix" }));
        Assert.Equal(["user.created"], await Actions(new() { Text = "CAROL" }));
    }

    [Fact]
    public async Task Filters_Combine_AsAnd()
    {
        await SeedAsync();
        Assert.Equal(["user.created", "deployment.override"], await Actions(new() { Actor = "alice" }));
        Assert.Equal(["deployment.override"], await Actions(new() { Actor = "alice", Action = "deployment." }));
        Assert.Empty(await Actions(new() { Actor = "alice", Action = "deployment.", Kind = AuditActorKind.System }));
        Assert.Equal(["user.created"], await Actions(new() { Actor = "alice", From = T0.AddMinutes(1) }));
    }

    [Fact]
    public async Task LikeWildcards_InAFilter_MatchOnlyThemselves()
    {
        await SeedAsync();
        await Record(AuditActor.User("x"), "a.b", "t[1]", "plain");
        Assert.Equal(["deployment.finished"], await Actions(new() { Text = "%_" }));
        Assert.Empty(await Actions(new() { Actor = "_" }));
        Assert.Empty(await Actions(new() { Text = "\\" }));
        Assert.Equal(["a.b"], await Actions(new() { Target = "[1]" }));
        Assert.Empty(await Actions(new() { Target = "[12]" }));
    }

    [Fact]
    public async Task Pages_FollowOneAnother_WithoutGapOrRepeat_AndTheLastSaysSo()
    {
        await SeedAsync();
        var seen = new List<long>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = (await Audit.PageAsync(AuditQuery.All, before, 4, CancellationToken.None))!;
            seen.AddRange(page.Entries.Select(e => e.Id));
            before = page.NextBefore;
            pages++;
        }
        while (before is not null);
        Assert.Equal(2, pages);
        Assert.Equal(Enumerable.Range(1, 6).Reverse().Select(i => (long)i), seen);
        Assert.Null(await Audit.PageAsync(AuditQuery.All, 999, 4, CancellationToken.None));

        var streamed = new List<long>();
        await foreach (var entry in Audit.StreamAsync(AuditQuery.All, CancellationToken.None, chunk: 2))
            streamed.Add(entry.Id);
        Assert.Equal(seen, streamed);
        Assert.Equal([5L, 4L], (await Audit.SliceAsync(AuditQuery.All, 1, 2, CancellationToken.None)).Select(e => e.Id));
    }

    [Fact]
    public async Task AnAuditedChange_WhoseEntryIsRefused_IsNotStoredEither()
    {
        // The retries wait on the real clock (about 1.5 s in all), not on this class's fake one.
        await using var services = new ServiceCollection()
            .AddSingleton<IInterceptor>(_refusal)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        var audit = services.GetRequiredService<AuditLog>();
        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => audit.WriteAsync("test token", async (db, ct) =>
        {
            db.ApiTokens.Add(Token("refused"));
            await db.SaveChangesAsync(ct);
            audit.Add(db, "alice", "token.created", "token:refused", null);
            return true;
        }, CancellationToken.None));
        Assert.Equal(StoreWriter.Delays.Count + 1, _refusal.RefusedCount);

        _refusal.Failing = false;
        await audit.WriteAsync("test token", async (db, ct) =>
        {
            db.ApiTokens.Add(Token("stored"));
            await db.SaveChangesAsync(ct);
            audit.Add(db, "alice", "token.created", "token:stored", null);
            return true;
        }, CancellationToken.None);

        await using var read = await services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        Assert.Equal(["stored"], await read.ApiTokens.Select(t => t.Name).ToListAsync());
        Assert.Equal(["token:stored"], await read.AuditEntries.Select(e => e.Target).ToListAsync());
    }

    private ApiToken Token(string name) => new()
    {
        Name = name, Role = "Viewer", Kind = ApiTokenKind.Api, SecretHash = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
        Prefix = "apc_x", CreatedAt = _time.GetUtcNow(), CreatedBy = "alice",
    };
}
