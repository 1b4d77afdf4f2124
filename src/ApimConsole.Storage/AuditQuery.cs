using ApimConsole.Storage.Records;

namespace ApimConsole.Storage;

/// <summary>
/// Which audit entries to read; every filter set narrows (they are ANDed), an unset one does not. Text filters match the
/// stored (escaped) text, ignoring case (ASCII letters on SQLite; the collation's rules on SQL Server).
/// </summary>
public sealed record AuditQuery
{
    /// <summary>The actor's name contains this (<c>alice</c>, <c>token:pipeline</c>).</summary>
    public string? Actor { get; init; }

    /// <summary>The actor is of this kind.</summary>
    public AuditActorKind? Kind { get; init; }

    /// <summary>The action starts with this: <c>deployment.override</c>, or <c>user.</c> for every user action.</summary>
    public string? Action { get; init; }

    /// <summary>The target contains this.</summary>
    public string? Target { get; init; }

    /// <summary>
    /// The target is in this datacenter: the id itself or under it (<c>dc1/instance-2</c>, <c>dc1/cassandra-1</c>).
    /// Estate-wide actions (deployments, users, tokens, sign-ins) name no datacenter and never match.
    /// </summary>
    public string? Datacenter { get; init; }

    /// <summary>At or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>The actor, action, target or details contain this.</summary>
    public string? Text { get; init; }

    /// <summary>Only entries with an id up to this: a page holds its rows still while new ones are written.</summary>
    public long? UpToId { get; init; }

    public static AuditQuery All { get; } = new();
}

/// <summary>One page of audit entries, newest first; <see cref="NextBefore"/> is the id to pass as <c>before</c> for the next page, null on the last.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? NextBefore);
