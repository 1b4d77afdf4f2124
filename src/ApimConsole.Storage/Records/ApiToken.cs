namespace ApimConsole.Storage.Records;

/// <summary>What a token is for: pipelines and tools (a Bearer header) or one wall screen (<c>/wall?token=</c>, then a cookie).</summary>
public enum ApiTokenKind
{
    Api,
    Wallboard,
    /// <summary>
    /// The console in the other datacenter (<c>Auth:PeerViewerToken</c>): a Bearer token, always Viewer, that may also read
    /// this console's own datacenter's logs and traffic through the peer endpoints (<c>/api/peer/…</c>), nothing else.
    /// </summary>
    Peer,
}

/// <summary>
/// A token an administrator created. Only the SHA-256 hash of its secret is stored; the secret is shown once when the
/// token is created. A revoked token stays for the record (and the audit trail) with who revoked it and when.
/// </summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>One of the console's roles (Administrator, Support, Viewer).</summary>
    public required string Role { get; set; }
    public ApiTokenKind Kind { get; set; }
    /// <summary>SHA-256 of the secret, lowercase hex (64 characters).</summary>
    public required string SecretHash { get; set; }
    /// <summary>The first characters of the secret, to tell tokens apart in lists.</summary>
    public required string Prefix { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>From this moment the token is refused like an unknown one; null: it does not expire.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    public string? RevokedBy { get; set; }
}
