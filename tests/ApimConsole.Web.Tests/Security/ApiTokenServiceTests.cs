using System.Security.Cryptography;
using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Security;

/// <summary>Token storage, lookup, revocation and bootstrap, on a real SQLite store shared by two "consoles", on a fake clock.</summary>
public sealed class ApiTokenServiceTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-tokens-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly List<ServiceProvider> _consoles = [];

    private ServiceProvider Console()
    {
        var console = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .AddSingleton<ApiTokenService>()
            .Configure<AuthOptions>(o => o.RevocationCheckInterval = TimeSpan.FromSeconds(2))
            .BuildServiceProvider();
        _consoles.Add(console);
        return console;
    }

    public async Task InitializeAsync() => await Console().GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        foreach (var console in _consoles)
            await console.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static async Task<List<ApiToken>> RowsAsync(ServiceProvider console)
    {
        await using var db = await console.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        return await db.ApiTokens.AsNoTracking().ToListAsync();
    }

    [Fact]
    public async Task Create_StoresOnlyTheSha256OfA256BitSecret_AndFindsItByTheSecret()
    {
        var console = Console();
        var tokens = console.GetRequiredService<ApiTokenService>();
        var (token, secret) = await tokens.CreateAsync("pipeline", ConsoleRoles.Support, ApiTokenKind.Api, "alice", CancellationToken.None);

        Assert.StartsWith(TokenSecrets.Marker, secret);
        // 32 random bytes, base64url without padding: 43 characters.
        Assert.Equal(TokenSecrets.Marker.Length + 43, secret.Length);
        var row = Assert.Single(await RowsAsync(console));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), row.SecretHash);
        Assert.DoesNotContain(secret[TokenSecrets.PrefixLength..], row.SecretHash + row.Prefix + row.Name);
        Assert.Equal(secret[..TokenSecrets.PrefixLength], row.Prefix);
        Assert.Equal(("pipeline", ConsoleRoles.Support, "alice"), (row.Name, row.Role, row.CreatedBy));

        Assert.Equal(token.Id, (await tokens.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None))?.Id);
        Assert.Null(await tokens.FindAsync(secret + "x", ApiTokenKind.Api, CancellationToken.None));
        // An API token does not open a wall screen.
        Assert.Null(await tokens.FindAsync(secret, ApiTokenKind.Wallboard, CancellationToken.None));
    }

    [Fact]
    public async Task BadRequests_AreRefused_AndStoreNothing()
    {
        var console = Console();
        var tokens = console.GetRequiredService<ApiTokenService>();
        var wall = await Assert.ThrowsAsync<ArgumentException>(() => tokens.CreateAsync("screen", ConsoleRoles.Administrator, ApiTokenKind.Wallboard, "alice", CancellationToken.None));
        Assert.Contains("always Viewer", wall.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.CreateAsync("x", "Root", ApiTokenKind.Api, "alice", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.CreateAsync("  ", ConsoleRoles.Viewer, ApiTokenKind.Api, "alice", CancellationToken.None));
        Assert.Empty(await RowsAsync(console));
    }

    [Fact]
    public async Task RevokedOnAnotherConsole_IsSeenHereWithinTheCheckInterval()
    {
        var here = Console().GetRequiredService<ApiTokenService>();
        var there = Console().GetRequiredService<ApiTokenService>();
        var (token, secret) = await here.CreateAsync("screen", ConsoleRoles.Viewer, ApiTokenKind.Wallboard, "alice", CancellationToken.None);
        Assert.True(await here.IsActiveAsync(token.Id, CancellationToken.None));

        Assert.True(await there.RevokeAsync(token.Id, "bob", CancellationToken.None));
        // The console that revoked it knows at once.
        Assert.False(await there.IsActiveAsync(token.Id, CancellationToken.None));
        Assert.Null(await there.FindAsync(secret, ApiTokenKind.Wallboard, CancellationToken.None));

        // This one reads the store again once the interval has passed, not later.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(await here.IsActiveAsync(token.Id, CancellationToken.None));
        Assert.Null(await here.FindAsync(secret, ApiTokenKind.Wallboard, CancellationToken.None));
        // A second revocation changes nothing.
        Assert.False(await here.RevokeAsync(token.Id, "carol", CancellationToken.None));
        var row = Assert.Single(await RowsAsync(_consoles[0]));
        Assert.Equal("bob", row.RevokedBy);
    }

    [Fact]
    public async Task Bootstrap_IsIdempotentAcrossRestarts_AndARevokedOneStaysRevoked()
    {
        const string secret = "bootstrap-secret-0123456789abcdefghijklmnop";
        var first = await Console().GetRequiredService<ApiTokenService>().EnsureBootstrapAsync(secret, CancellationToken.None);
        var restarted = Console().GetRequiredService<ApiTokenService>();
        var second = await restarted.EnsureBootstrapAsync(secret, CancellationToken.None);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(ConsoleRoles.Administrator, second.Role);
        Assert.NotNull(await restarted.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None));

        await restarted.RevokeAsync(first.Id, "alice", CancellationToken.None);
        var third = await Console().GetRequiredService<ApiTokenService>().EnsureBootstrapAsync(secret, CancellationToken.None);
        Assert.NotNull(third.RevokedAt);
        Assert.Single(await RowsAsync(_consoles[0]));
    }

    [Fact]
    public async Task Use_IsAuditedOncePerMinutePerToken()
    {
        var console = Console();
        var tokens = console.GetRequiredService<ApiTokenService>();
        var (_, secret) = await tokens.CreateAsync("tool", ConsoleRoles.Viewer, ApiTokenKind.Api, "alice", CancellationToken.None);
        var active = (await tokens.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None))!;
        await tokens.NoteUseAsync(active, "GET /api/estate", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        await tokens.NoteUseAsync(active, "GET /api/estate", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(31));
        await tokens.NoteUseAsync(active, "GET /api/estate", CancellationToken.None);

        var audit = await console.GetRequiredService<AuditLog>().RecentAsync(10, CancellationToken.None);
        Assert.Equal(2, audit.Count(e => e.Action == "token.used" && e.Actor == "token:tool"));
        Assert.Equal(_time.GetUtcNow(), Assert.Single(await RowsAsync(console)).LastUsedAt);
    }
}
