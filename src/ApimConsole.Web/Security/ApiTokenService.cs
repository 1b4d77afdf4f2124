using System.Collections.Concurrent;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>A token that is not revoked, as the authentication handlers see it (no secret, only its hash).</summary>
public sealed record ActiveToken(long Id, string Name, string Role, ApiTokenKind Kind, string SecretHash, DateTimeOffset? ExpiresAt = null)
{
    /// <summary>Expired at <paramref name="now"/>: refused like an unknown token.</summary>
    public bool ExpiredAt(DateTimeOffset now) => ExpiresAt is { } at && at <= now;

    /// <summary>How the token appears as an actor in the audit trail.</summary>
    public string ActorName => "token:" + Name;
}

/// <summary>
/// Creates, lists, revokes and checks API and wallboard tokens. The active tokens are read from the store at most once
/// per <see cref="AuthOptions.RevocationCheckInterval"/> (a revocation on this console is seen at once, one made by
/// another console sharing the store within that interval). A presented secret is hashed and compared against every
/// active token's hash in constant time.
/// </summary>
public sealed class ApiTokenService(IDbContextFactory<ConsoleDbContext> contexts, AuditLog audit, TimeProvider time, IOptions<AuthOptions> options)
{
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ConcurrentDictionary<long, DateTimeOffset> _lastUseNoted = new();
    private IReadOnlyList<ActiveToken> _active = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    /// <summary>The active token of <paramref name="kind"/> whose secret this is, or null.</summary>
    public async Task<ActiveToken?> FindAsync(string secret, ApiTokenKind kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length > 200)
            return null;
        var hash = TokenSecrets.Hash(secret.Trim());
        var now = time.GetUtcNow();
        ActiveToken? found = null;
        // Every hash is compared, so the time taken says nothing about which token came close.
        foreach (var token in await ActiveAsync(cancellationToken))
        {
            if (TokenSecrets.HashesEqual(token.SecretHash, hash) && token.Kind == kind)
                found = token;
        }
        // An expired token is refused exactly as an unknown one: the answer says nothing about which secrets once worked.
        return found is not null && found.ExpiredAt(now) ? null : found;
    }

    /// <summary>Whether token <paramref name="id"/> exists and is not revoked (as of at most one check interval ago).</summary>
    public async Task<bool> IsActiveAsync(long id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return (await ActiveAsync(cancellationToken)).Any(t => t.Id == id && !t.ExpiredAt(now));
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiTokens.AsNoTracking().OrderBy(t => t.RevokedAt != null).ThenBy(t => t.Name).ToListAsync(cancellationToken);
    }

    /// <summary>Creates a token and returns it with its secret, which is not kept and cannot be shown again.</summary>
    /// <param name="expiresAt">When the token stops working; null: never. Must be in the future.</param>
    /// <exception cref="ArgumentException">A missing or too long name, an unknown role, a wallboard token with a role other than Viewer, an expiry not in the future.</exception>
    public async Task<(ApiToken Token, string Secret)> CreateAsync(string name, string role, ApiTokenKind kind, string actor, CancellationToken cancellationToken,
        DateTimeOffset? expiresAt = null)
    {
        if (expiresAt is { } at && at <= time.GetUtcNow())
            throw new ArgumentException($"The expiry {at.ToUniversalTime():yyyy-MM-dd HH:mm} UTC is not in the future.");
        var secret = TokenSecrets.Generate();
        var token = await StoreAsync(name, role, kind, secret, actor, cancellationToken, expiresAt);
        return (token, secret);
    }

    private async Task<ApiToken> StoreAsync(string name, string role, ApiTokenKind kind, string secret, string actor, CancellationToken cancellationToken,
        DateTimeOffset? expiresAt = null)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 100)
            throw new ArgumentException("A token needs a name of 1 to 100 characters.");
        if (!ConsoleRoles.All.Contains(role))
            throw new ArgumentException($"Role '{role}' is unknown: use {string.Join(", ", ConsoleRoles.All)}.");
        if (kind == ApiTokenKind.Peer && role != ConsoleRoles.Viewer)
            throw new ArgumentException("A peer token is always Viewer: the other console only reads.");
        if (kind == ApiTokenKind.Wallboard && role != ConsoleRoles.Viewer)
            throw new ArgumentException("A wallboard token is always Viewer: a wall screen shows, it never acts.");
        // The token and its audit entry are one transaction: a store that refuses the entry leaves no token behind.
        var token = await audit.WriteAsync($"token.created token:{name}", async (db, ct) =>
        {
            // A fresh row per attempt: a failed SaveChanges leaves a tracked one in an unknown state.
            var token = new ApiToken
            {
                Name = name,
                Role = role,
                Kind = kind,
                SecretHash = TokenSecrets.Hash(secret),
                Prefix = TokenSecrets.Prefix(secret),
                CreatedAt = time.GetUtcNow(),
                CreatedBy = actor,
                ExpiresAt = expiresAt,
            };
            db.ApiTokens.Add(token);
            // Saved first, inside the transaction, so that the entry can name the token's id.
            await db.SaveChangesAsync(ct);
            audit.Add(db, actor, "token.created", $"token:{name}", $"id {token.Id}, {kind}, role {role}, prefix {token.Prefix}"
                + (expiresAt is { } at ? $", expires {at.ToUniversalTime():yyyy-MM-dd HH:mm} UTC" : ""));
            return token;
        }, cancellationToken);
        Invalidate();
        return token;
    }

    /// <summary>Revokes token <paramref name="id"/>; false when there is no such token or it was already revoked.</summary>
    public async Task<bool> RevokeAsync(long id, string actor, CancellationToken cancellationToken)
    {
        var revoked = await audit.WriteAsync($"token.revoked id {id}", async (db, ct) =>
        {
            var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == id, ct);
            if (token is null || token.RevokedAt is not null)
                return false;
            token.RevokedAt = time.GetUtcNow();
            token.RevokedBy = actor;
            audit.Add(db, actor, "token.revoked", $"token:{token.Name}", $"id {token.Id}, {token.Kind}");
            return true;
        }, cancellationToken);
        if (revoked)
            Invalidate();
        return revoked;
    }

    /// <summary>
    /// Makes <paramref name="secret"/> an active Administrator API token named "bootstrap": nothing changes when it
    /// already is one, so restarts with the same secret are idempotent. A revoked bootstrap token stays revoked.
    /// </summary>
    public Task<ApiToken> EnsureBootstrapAsync(string secret, CancellationToken cancellationToken) =>
        EnsureConfiguredAsync(secret, "bootstrap", ConsoleRoles.Administrator, ApiTokenKind.Api, cancellationToken);

    /// <summary>A token whose secret the configuration holds (the bootstrap token, the peer's Viewer token): created once, kept as it is after.</summary>
    public async Task<ApiToken> EnsureConfiguredAsync(string secret, string name, string role, ApiTokenKind kind, CancellationToken cancellationToken)
    {
        secret = secret.Trim();
        var hash = TokenSecrets.Hash(secret);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var existing = await db.ApiTokens.AsNoTracking().SingleOrDefaultAsync(t => t.SecretHash == hash, cancellationToken);
            if (existing is not null)
                return existing;
        }
        return await StoreAsync(name, role, kind, secret, "system", cancellationToken);
    }

    /// <summary>Records that a token was used: its last use, and an audit entry at most once a minute per token.</summary>
    public async Task NoteUseAsync(ActiveToken token, string where, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_lastUseNoted.TryGetValue(token.Id, out var last) && now - last < TimeSpan.FromMinutes(1))
            return;
        _lastUseNoted[token.Id] = now;
        await audit.WriteAsync($"token.used token:{token.Name}", async (db, ct) =>
        {
            await db.ApiTokens.Where(t => t.Id == token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
            audit.Add(db, token.ActorName, "token.used", where, $"id {token.Id}, {token.Kind}");
            return true;
        }, cancellationToken);
    }

    private void Invalidate() => _loadedAt = DateTimeOffset.MinValue;

    private async Task<IReadOnlyList<ActiveToken>> ActiveAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.RevocationCheckInterval;
        if (time.GetUtcNow() - _loadedAt < interval)
            return _active;
        await _reload.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (now - _loadedAt < interval)
                return _active;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            _active = await db.ApiTokens.AsNoTracking().Where(t => t.RevokedAt == null)
                .Select(t => new ActiveToken(t.Id, t.Name, t.Role, t.Kind, t.SecretHash, t.ExpiresAt)).ToListAsync(cancellationToken);
            _loadedAt = now;
            return _active;
        }
        finally
        {
            _reload.Release();
        }
    }
}
