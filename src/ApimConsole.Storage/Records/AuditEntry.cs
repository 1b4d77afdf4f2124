namespace ApimConsole.Storage.Records;

/// <summary>Who did what to which part of the estate, kept for the Audit page.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>The signed-in user, <c>token:&lt;name&gt;</c> for an API or wallboard token, or <c>system</c> for the console's own actions. Escaped and bounded (<see cref="AuditText"/>).</summary>
    public required string Actor { get; set; }
    /// <summary>
    /// What kind of actor <see cref="Actor"/> names, decided by how the actor was authenticated, never by the name:
    /// a failed sign-in as <c>token:bootstrap</c> is a <see cref="AuditActorKind.User"/>.
    /// </summary>
    public AuditActorKind ActorKind { get; set; } = AuditActorKind.User;
    /// <summary>A short verb such as <c>deployment.blocked</c>.</summary>
    public required string Action { get; set; }
    /// <summary>What the action was about, e.g. <c>dc1/instance-2</c>.</summary>
    public required string Target { get; set; }
    public string? Details { get; set; }
}

/// <summary>The kind of an audit actor, kept in its own column so that no name can pose as a token or the system.</summary>
public enum AuditActorKind
{
    /// <summary>A person: a local account, a single sign-on user, or a name someone tried to sign in with.</summary>
    User,
    /// <summary>An API or wallboard token (the actor is <c>token:&lt;name&gt;</c>).</summary>
    Token,
    /// <summary>The console itself (start-up, the executor, the reconciler).</summary>
    System,
}

/// <summary>An audit actor: its kind and its name.</summary>
public readonly record struct AuditActor(AuditActorKind Kind, string Name)
{
    public const string TokenPrefix = "token:";
    public const string SystemName = "system";

    public static AuditActor System { get; } = new(AuditActorKind.System, SystemName);
    public static AuditActor User(string name) => new(AuditActorKind.User, name);
    public static AuditActor Token(string tokenName) => new(AuditActorKind.Token, TokenPrefix + tokenName);

    /// <summary>
    /// The kind of an actor name the console itself produced: <c>system</c>, <c>token:&lt;name&gt;</c> (the name of a
    /// token principal), or a user name. Only for names taken from an authenticated principal or the console's own code:
    /// the console refuses user names that look like either (<see cref="IsReservedUserName"/>). A name typed by someone
    /// not signed in (a failed sign-in) is recorded with <see cref="User(string)"/>, never through this.
    /// </summary>
    public static AuditActor FromConsoleName(string name) =>
        name == SystemName ? System
        : name.StartsWith(TokenPrefix, StringComparison.Ordinal) ? new(AuditActorKind.Token, name)
        : User(name);

    /// <summary>User names a person may not have: they would read as a token or the console in the audit trail.</summary>
    public static bool IsReservedUserName(string name) =>
        name.Trim().Equals(SystemName, StringComparison.OrdinalIgnoreCase)
        || name.Trim().StartsWith(TokenPrefix, StringComparison.OrdinalIgnoreCase);
}
