using ApimConsole.Core.Estate;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Components;
using ApimConsole.Web.Tests.Incidents;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Audit;

/// <summary>
/// Issue #18: a change that matters and its audit entry are one transaction. With the store refusing only the audit
/// insert, the user, token or repair mark is not there either ("done but not audited" cannot happen); with the store
/// healthy, both rows are.
/// </summary>
public sealed class AuditedWritesTests : IAsyncLifetime
{
    private const string Password = "Audited-Password-1";
    private readonly AuditInsertRefusal _refusal = new();
    private readonly ConsoleTestHost _host = new();
    private WebApplicationFactory<Program> _console = null!;

    public Task InitializeAsync()
    {
        // The audit trail refuses inserts on purpose: the console's errors about it are what the tests provoke.
        _console = _host.WithWebHostBuilder(b =>
        {
            b.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(_refusal));
            TestHostLogging.Configure(b, provokesFailures: true);
        });
        _ = _console.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _console.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<T> QueryAsync<T>(Func<ConsoleDbContext, Task<T>> query)
    {
        await using var db = await _console.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    private Task<List<AuditEntry>> EntriesAsync(string action) =>
        QueryAsync(db => db.AuditEntries.Where(e => e.Action == action).ToListAsync());

    private async Task<T> WithUsersAsync<T>(Func<UserManager<IdentityUser>, Task<T>> read)
    {
        await using var scope = _console.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>());
    }

    [Fact]
    public async Task UserCreated_WhoseAuditIsRefused_DoesNotExist_AndWithAHealthyStoreBothRowsDo()
    {
        var users = _console.Services.GetRequiredService<ConsoleUsers>();
        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => users.CreateAsync("dora", Password, ConsoleRoles.Support, ["dc2"], "admin"));
        Assert.Equal(StoreWriter.Delays.Count + 1, _refusal.RefusedCount);
        Assert.Null(await WithUsersAsync(u => u.FindByNameAsync("dora")));
        // (The first start's "admin" has its own entry.)
        Assert.DoesNotContain(await EntriesAsync("user.created"), e => e.Target == "dora");

        _refusal.Failing = false;
        Assert.Null(await users.CreateAsync("dora", Password, ConsoleRoles.Support, ["dc2"], "admin"));
        var dora = await WithUsersAsync(u => u.FindByNameAsync("dora"));
        Assert.NotNull(dora);
        Assert.Equal([ConsoleRoles.Support], await WithUsersAsync(u => u.GetRolesAsync(dora!)));
        var entry = Assert.Single(await EntriesAsync("user.created"), e => e.Target == "dora");
        Assert.Equal(("admin", AuditActorKind.User, "role Support, datacenters dc2"), (entry.Actor, entry.ActorKind, entry.Details));
    }

    [Fact]
    public async Task RoleChange_AndLock_WhoseAuditIsRefused_LeaveTheUserAsItWas()
    {
        var users = _console.Services.GetRequiredService<ConsoleUsers>();
        Assert.Null(await users.CreateAsync("erin", Password, ConsoleRoles.Viewer, [], "admin"));
        var stamp = (await WithUsersAsync(u => u.FindByNameAsync("erin")))!.SecurityStamp;

        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => users.ChangeRoleAsync("erin", ConsoleRoles.Administrator, "admin"));
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => users.SetLockedAsync("erin", locked: true, "admin"));

        var erin = (await WithUsersAsync(u => u.FindByNameAsync("erin")))!;
        Assert.Equal([ConsoleRoles.Viewer], await WithUsersAsync(u => u.GetRolesAsync(erin)));
        Assert.Null(erin.LockoutEnd);
        // Not even the security stamp moved: nobody was signed out by a change that did not happen.
        Assert.Equal(stamp, erin.SecurityStamp);
        Assert.Empty(await EntriesAsync("user.role-changed"));
        Assert.Empty(await EntriesAsync("user.locked"));

        _refusal.Failing = false;
        Assert.Null(await users.ChangeRoleAsync("erin", ConsoleRoles.Administrator, "admin"));
        Assert.Null(await users.SetLockedAsync("erin", locked: true, "admin"));
        erin = (await WithUsersAsync(u => u.FindByNameAsync("erin")))!;
        Assert.Equal([ConsoleRoles.Administrator], await WithUsersAsync(u => u.GetRolesAsync(erin)));
        Assert.NotNull(erin.LockoutEnd);
        Assert.Equal("Viewer -> Administrator", Assert.Single(await EntriesAsync("user.role-changed")).Details);
        Assert.Single(await EntriesAsync("user.locked"));
    }

    [Fact]
    public async Task PasswordChange_WhoseAuditIsRefused_LeavesTheOldPassword()
    {
        var users = _console.Services.GetRequiredService<ConsoleUsers>();
        Assert.Null(await users.CreateAsync("fred", Password, ConsoleRoles.Viewer, [], "admin"));
        var fred = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, (await WithUsersAsync(u => u.FindByNameAsync("fred")))!.Id)], "test"));

        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => users.ChangePasswordAsync(fred, Password, "Changed-Password-2"));
        Assert.True(await WithUsersAsync(async u => await u.CheckPasswordAsync((await u.FindByNameAsync("fred"))!, Password)));
        Assert.Empty(await EntriesAsync("user.password-changed"));

        _refusal.Failing = false;
        Assert.Null(await users.ChangePasswordAsync(fred, Password, "Changed-Password-2"));
        Assert.True(await WithUsersAsync(async u => await u.CheckPasswordAsync((await u.FindByNameAsync("fred"))!, "Changed-Password-2")));
        var changed = Assert.Single(await EntriesAsync("user.password-changed"));
        Assert.Equal(("fred", "fred"), (changed.Actor, changed.Target));
    }

    [Fact]
    public async Task PasswordPage_ChangesThePassword_AuditsIt_AndKeepsTheBrowserSignedIn()
    {
        var users = _console.Services.GetRequiredService<ConsoleUsers>();
        Assert.Null(await users.CreateAsync("gina", Password, ConsoleRoles.Viewer, [], "admin"));
        using var browser = await ApimConsole.Web.Tests.Security.SecurityClients.SignedInAsync(_console, "gina", Password);

        var form = await browser.GetStringAsync("/account/password");
        var fields = System.Text.RegularExpressions.Regex.Matches(form, "<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]+)\"[^>]*value=\"(?<value>[^\"]*)\"")
            .ToDictionary(m => System.Net.WebUtility.HtmlDecode(m.Groups["name"].Value), m => System.Net.WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields["Input.Current"] = Password;
        fields["Input.New"] = "Changed-Password-3";
        using var response = await browser.PostAsync("/account/password", new FormUrlEncodedContent(fields));
        var page = await response.Content.ReadAsStringAsync();

        Assert.True(page.Contains("Your password is changed."), page);
        Assert.Equal("gina", Assert.Single(await EntriesAsync("user.password-changed")).Actor);
        Assert.True(await WithUsersAsync(async u => await u.CheckPasswordAsync((await u.FindByNameAsync("gina"))!, "Changed-Password-3")));
        // The refreshed cookie carries the new security stamp: still signed in after the stamp check.
        using var estate = await browser.GetAsync("/api/estate");
        Assert.Equal(System.Net.HttpStatusCode.OK, estate.StatusCode);
    }

    [Fact]
    public async Task FirstStart_AuditsTheAdministrator_AsTheSystem()
    {
        var entry = Assert.Single(await EntriesAsync("user.created"), e => e.Target == "admin");
        Assert.Equal(("system", AuditActorKind.System), (entry.Actor, entry.ActorKind));
        Assert.NotNull(await WithUsersAsync(u => u.FindByNameAsync("admin")));
    }

    [Fact]
    public async Task TokenCreated_OrRevoked_WhoseAuditIsRefused_IsNotStored()
    {
        var tokens = _console.Services.GetRequiredService<ApiTokenService>();
        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => tokens.CreateAsync("refused", ConsoleRoles.Support, ApiTokenKind.Api, "admin", CancellationToken.None));
        Assert.False(await QueryAsync(db => db.ApiTokens.AnyAsync(t => t.Name == "refused")));
        // (The bootstrap token has its own entry.)
        Assert.DoesNotContain(await EntriesAsync("token.created"), e => e.Target == "token:refused");

        _refusal.Failing = false;
        var (token, secret) = await tokens.CreateAsync("kept", ConsoleRoles.Support, ApiTokenKind.Api, "admin", CancellationToken.None);
        var created = Assert.Single(await EntriesAsync("token.created"), e => e.Target == "token:kept");
        Assert.Equal(("token:kept", $"id {token.Id}, Api, role Support, prefix {token.Prefix}"), (created.Target, created.Details));

        _refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => tokens.RevokeAsync(token.Id, "admin", CancellationToken.None));
        Assert.Null(await QueryAsync(db => db.ApiTokens.Where(t => t.Id == token.Id).Select(t => t.RevokedAt).SingleAsync()));
        Assert.NotNull(await tokens.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None));

        _refusal.Failing = false;
        Assert.True(await tokens.RevokeAsync(token.Id, "admin", CancellationToken.None));
        Assert.NotNull(await QueryAsync(db => db.ApiTokens.Where(t => t.Id == token.Id).Select(t => t.RevokedAt).SingleAsync()));
        Assert.Equal("token:kept", Assert.Single(await EntriesAsync("token.revoked")).Target);
    }
}

/// <summary>The same for repair marks, on the incident services as the host registers them.</summary>
public sealed class AuditedRepairMarkTests
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;

    [Fact]
    public async Task RepairMark_WhoseAuditIsRefused_IsNotStored_AndWithAHealthyStoreBothRowsAre()
    {
        await using var store = new IncidentStore();
        var refusal = new AuditInsertRefusal();
        var status = new FakeEstateStatus(TestEstate.AllUp(T0));
        var (console, recorder) = await store.StartRecorderAsync(status, interceptor: refusal);
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(T0.AddMinutes(1)).WithDatacenterDown("dc2", T0.AddMinutes(1)));
        store.Time.SetUtcNow(T0.AddHours(3));
        await IncidentStore.PublishAndWaitAsync(status, recorder, TestEstate.AllUp(T0.AddHours(3)));
        var id = (await store.QueryAsync(db => db.Incidents.SingleAsync(i => i.Key == "DatacenterDown:dc2"))).Id;
        var checklist = console.GetRequiredService<RepairChecklist>();

        refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => Retried(store, checklist.MarkDoneAsync(id, "dc2/cassandra-1", "alice", "nodetool repair", CancellationToken.None)));
        Assert.Equal(StoreWriter.Delays.Count + 1, refusal.RefusedCount);
        Assert.False(await store.QueryAsync(db => db.RepairChecks.AnyAsync()));
        Assert.False(await store.QueryAsync(db => db.AuditEntries.AnyAsync(e => e.Action.StartsWith("repair."))));
        Assert.Null((await checklist.GetAsync(id, CancellationToken.None)).Items.Single(i => i.NodeKey == "dc2/cassandra-1").DoneBy);

        refusal.Failing = false;
        await checklist.MarkDoneAsync(id, "dc2/cassandra-1", "alice", "nodetool repair", CancellationToken.None);
        Assert.Equal("alice", (await store.QueryAsync(db => db.RepairChecks.SingleAsync())).DoneBy);
        Assert.Equal("dc2/cassandra-1", (await store.QueryAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "repair.marked-done"))).Target);

        // Taking the mark back is audited the same way: refused, the mark stands.
        refusal.Failing = true;
        await Assert.ThrowsAsync<ConsoleStoreUnavailableException>(() => Retried(store, checklist.MarkNotDoneAsync(id, "dc2/cassandra-1", "alice", CancellationToken.None)));
        Assert.True(await store.QueryAsync(db => db.RepairChecks.AnyAsync()));
    }

    /// <summary>The store writer's pauses between retries run on the store's fake clock: move it until the write gives up.</summary>
    private static async Task<T> Retried<T>(IncidentStore store, Task<T> write)
    {
        await Eventually.Until(() =>
        {
            store.Time.Advance(TimeSpan.FromSeconds(1));
            return write.IsCompleted;
        }, TimeSpan.FromSeconds(30), "the refused write to give up after its retries");
        return await write;
    }
}
