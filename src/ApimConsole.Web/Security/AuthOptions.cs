namespace ApimConsole.Web.Security;

/// <summary>The <c>Auth</c> section: first start, the bootstrap token, lockout and the optional OpenID Connect sign-in.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The password of the first administrator ("admin"), used only when no user exists yet. Empty: one is generated and logged once.</summary>
    public string? InitialAdminPassword { get; set; }

    /// <summary>A secret that becomes (or stays) an Administrator API token at start-up, for automation driving a fresh console. At least 32 characters.</summary>
    public string? BootstrapAdminToken { get; set; }

    /// <summary>
    /// A secret that becomes (or stays) a Viewer API token named <c>peer</c> at start-up: the token the console in the
    /// other datacenter presents as its <c>Peer:Token</c> to read this console's view. At least 32 characters. Read-only.
    /// </summary>
    public string? PeerViewerToken { get; set; }

    /// <summary>Failed sign-ins before an account is locked.</summary>
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account stays locked.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Sign-in attempts (the form's POSTs, whatever their outcome) one client address may make per
    /// <see cref="SignInWindow"/>; beyond it the form answers 429 with Retry-After. The same budget bounds failed
    /// bearer tokens per client. Per client before per account: a flood from one address is stopped here, before it
    /// reaches any account's lockout.
    /// </summary>
    public int SignInAttemptsPerClient { get; set; } = 10;

    /// <summary>The window of <see cref="SignInAttemptsPerClient"/>.</summary>
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a wall screen's cookie lives after its token was presented once.</summary>
    public TimeSpan WallCookieLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// How stale the console's view of revoked tokens and ended sessions may be (every request, and every live circuit
    /// and hub connection): a sign-out, password change, role change, lock or deletion ends the user's other sign-in
    /// cookies within it (Identity's security stamp is checked this often).
    /// </summary>
    public TimeSpan RevocationCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The folder of the data-protection keys that sign the sign-in and wall cookies. Relative paths are resolved
    /// against the content root. Empty: a <c>keys</c> folder next to the SQLite file, or <c>data/keys</c> under the
    /// content root with SQL Server. Keep it across restarts, or every browser and wall screen must sign in again.
    /// </summary>
    public string? KeysPath { get; set; }

    public OidcOptions Oidc { get; set; } = new();

    /// <summary>Shortest bootstrap token accepted.</summary>
    public const int MinimumTokenLength = 32;

    /// <summary>Every problem with the section, each naming its key; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(BootstrapAdminToken) && BootstrapAdminToken.Trim().Length < MinimumTokenLength)
            errors.Add($"Auth:BootstrapAdminToken is too short ({BootstrapAdminToken.Trim().Length} characters): use at least {MinimumTokenLength} random characters, e.g. `openssl rand -base64 33`.");
        if (!string.IsNullOrEmpty(PeerViewerToken) && PeerViewerToken.Trim().Length < MinimumTokenLength)
            errors.Add($"Auth:PeerViewerToken is too short ({PeerViewerToken.Trim().Length} characters): use at least {MinimumTokenLength} random characters, e.g. `openssl rand -base64 33`.");
        if (!string.IsNullOrEmpty(PeerViewerToken) && string.Equals(PeerViewerToken.Trim(), BootstrapAdminToken?.Trim(), StringComparison.Ordinal))
            errors.Add("Auth:PeerViewerToken must differ from Auth:BootstrapAdminToken: the peer's token is read-only.");
        if (!string.IsNullOrEmpty(InitialAdminPassword) && InitialAdminPassword.Length < 12)
            errors.Add("Auth:InitialAdminPassword is too short: use at least 12 characters.");
        if (MaxFailedSignIns is < 1 or > 100)
            errors.Add($"Auth:MaxFailedSignIns {MaxFailedSignIns} is out of range (1-100).");
        if (LockoutDuration < TimeSpan.FromSeconds(1) || LockoutDuration > TimeSpan.FromDays(1))
            errors.Add($"Auth:LockoutDuration {LockoutDuration} is out of range (1 s to 1 day).");
        if (SignInAttemptsPerClient is < 1 or > 10_000)
            errors.Add($"Auth:SignInAttemptsPerClient {SignInAttemptsPerClient} is out of range (1-10000).");
        if (SignInWindow < TimeSpan.FromSeconds(1) || SignInWindow > TimeSpan.FromDays(1))
            errors.Add($"Auth:SignInWindow {SignInWindow} is out of range (1 s to 1 day).");
        if (RevocationCheckInterval < TimeSpan.FromMilliseconds(100) || RevocationCheckInterval > TimeSpan.FromSeconds(30))
            errors.Add($"Auth:RevocationCheckInterval {RevocationCheckInterval} is out of range (100 ms to 30 s).");
        if (Oidc.Enabled)
        {
            if (!Uri.TryCreate(Oidc.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
                errors.Add($"Auth:Oidc:Authority '{Oidc.Authority}' is not an absolute http(s) URL.");
            if (string.IsNullOrWhiteSpace(Oidc.ClientId))
                errors.Add("Auth:Oidc:ClientId is required when Auth:Oidc:Authority is set.");
            foreach (var (claim, role) in Oidc.RoleMap)
            {
                if (!ConsoleRoles.All.Contains(role))
                    errors.Add($"Auth:Oidc:RoleMap:{claim} '{role}' is not a role: use {string.Join(", ", ConsoleRoles.All)}.");
            }
        }
        return errors;
    }
}

/// <summary>Optional OpenID Connect sign-in (authorization code flow). On when <see cref="Authority"/> is set.</summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>The claim of the identity provider that carries its groups or roles.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Identity-provider role or group value to console role, e.g. <c>"apim-admins": "Administrator"</c>.</summary>
    public Dictionary<string, string> RoleMap { get; set; } = new(StringComparer.Ordinal);

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
