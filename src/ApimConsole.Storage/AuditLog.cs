using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// Writes <see cref="AuditEntry"/> rows. A failed write is retried (<see cref="StoreWriter"/>), then throws
/// <see cref="ConsoleStoreUnavailableException"/>: an action that must be audited is not silently unaudited.
/// </summary>
public sealed class AuditLog(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer, TimeProvider time)
{
    /// <summary>
    /// Records an action of an actor named by the console itself (a principal's name, <c>system</c>): see
    /// <see cref="AuditActor.FromConsoleName"/>. Anything typed by someone not signed in goes through the other overload.
    /// </summary>
    public Task<AuditEntry> RecordAsync(string actor, string action, string target, string? details, CancellationToken cancellationToken) =>
        RecordAsync(AuditActor.FromConsoleName(actor), action, target, details, cancellationToken);

    /// <summary>
    /// Records an action. Every text is stored escaped and bounded (<see cref="AuditText"/>): whatever a caller passes,
    /// one entry is one line of at most a few kilobytes, and the actor's kind is its own column.
    /// </summary>
    public Task<AuditEntry> RecordAsync(AuditActor actor, string action, string target, string? details, CancellationToken cancellationToken)
    {
        var actorName = AuditText.Clean(actor.Name, AuditText.MaxActor);
        action = AuditText.Clean(action, AuditText.MaxAction);
        target = AuditText.Clean(target, AuditText.MaxTarget);
        details = AuditText.CleanOrNull(details, AuditText.MaxDetails);
        return writer.WriteAsync($"audit {action} on {target}", async ct =>
        {
            // A fresh row per attempt: a failed SaveChanges leaves the tracked one in an unknown state.
            var entry = new AuditEntry { At = time.GetUtcNow(), Actor = actorName, ActorKind = actor.Kind, Action = action, Target = target, Details = details };
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.AuditEntries.Add(entry);
            await db.SaveChangesAsync(ct);
            return entry;
        }, cancellationToken);
    }

    /// <summary>
    /// Stages an entry on <paramref name="db"/>, saved by the caller's next SaveChanges: with the change it records, in
    /// the same transaction. Cleaned as <see cref="RecordAsync(AuditActor, string, string, string?, CancellationToken)"/> cleans.
    /// </summary>
    public AuditEntry Add(ConsoleDbContext db, AuditActor actor, string action, string target, string? details)
    {
        var entry = new AuditEntry
        {
            At = time.GetUtcNow(),
            Actor = AuditText.Clean(actor.Name, AuditText.MaxActor),
            ActorKind = actor.Kind,
            Action = AuditText.Clean(action, AuditText.MaxAction),
            Target = AuditText.Clean(target, AuditText.MaxTarget),
            Details = AuditText.CleanOrNull(details, AuditText.MaxDetails),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <inheritdoc cref="Add(ConsoleDbContext, AuditActor, string, string, string?)"/>
    public AuditEntry Add(ConsoleDbContext db, string actor, string action, string target, string? details) =>
        Add(db, AuditActor.FromConsoleName(actor), action, target, details);

    /// <summary>
    /// A change and its audit entries as one unit: each attempt gets a fresh context and one transaction, in which
    /// <paramref name="unit"/> makes its change (it may save on its own, e.g. to learn a new row's id) and stages its
    /// entries with <see cref="Add(ConsoleDbContext, AuditActor, string, string, string?)"/>; then everything is saved and
    /// committed together. Retried as a whole (<see cref="StoreWriter"/>), then
    /// <see cref="ConsoleStoreUnavailableException"/>: a change is never stored without its audit entry, nor the reverse.
    /// A unit that finds nothing to do just returns: an empty transaction commits.
    /// </summary>
    public Task<T> WriteAsync<T>(string what, Func<ConsoleDbContext, CancellationToken, Task<T>> unit, CancellationToken cancellationToken) =>
        writer.WriteAsync(what, async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var result = await unit(db, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return result;
        }, cancellationToken);

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(count).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> entries matching <paramref name="query"/>, newest first, that come after entry
    /// <paramref name="before"/> in that order (from the newest when null). Null when there is no entry <paramref name="before"/>.
    /// </summary>
    public async Task<AuditPage?> PageAsync(AuditQuery query, long? before, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entries = Filtered(db, query);
        if (before is { } id)
        {
            var at = await db.AuditEntries.Where(e => e.Id == id).Select(e => (DateTimeOffset?)e.At).SingleOrDefaultAsync(cancellationToken);
            if (at is not { } cursor)
                return null;
            entries = entries.Where(e => e.At < cursor || (e.At == cursor && e.Id < id));
        }
        var rows = await Newest(entries).Take(limit + 1).AsNoTracking().ToListAsync(cancellationToken);
        return rows.Count > limit ? new AuditPage(rows[..limit], rows[limit - 1].Id) : new AuditPage(rows, null);
    }

    /// <summary>The entries matching <paramref name="query"/> from the <paramref name="skip"/>th newest: for a virtualized list that jumps.</summary>
    public async Task<IReadOnlyList<AuditEntry>> SliceAsync(AuditQuery query, int skip, int take, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Newest(Filtered(db, query)).Skip(skip).Take(take).AsNoTracking().ToListAsync(cancellationToken);
    }

    public async Task<int> CountAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Filtered(db, query).CountAsync(cancellationToken);
    }

    /// <summary>The newest entry's id, or 0 when there is none.</summary>
    public async Task<long> NewestIdAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
    }

    /// <summary>
    /// Every entry matching <paramref name="query"/>, newest first, read <paramref name="chunk"/> at a time (a context
    /// per chunk, no reader held open between them): for an export of any size.
    /// </summary>
    public async IAsyncEnumerable<AuditEntry> StreamAsync(AuditQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, int chunk = 500)
    {
        long? before = null;
        do
        {
            var page = await PageAsync(query, before, chunk, cancellationToken);
            if (page is null)
                yield break;
            foreach (var entry in page.Entries)
                yield return entry;
            before = page.NextBefore;
        }
        while (before is not null);
    }

    private static IQueryable<AuditEntry> Newest(IQueryable<AuditEntry> entries) =>
        entries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id);

    private static IQueryable<AuditEntry> Filtered(ConsoleDbContext db, AuditQuery query)
    {
        IQueryable<AuditEntry> entries = db.AuditEntries;
        if (query.UpToId is { } upTo)
            entries = entries.Where(e => e.Id <= upTo);
        if (query.From is { } from)
            entries = entries.Where(e => e.At >= from);
        if (query.To is { } to)
            entries = entries.Where(e => e.At < to);
        if (query.Kind is { } kind)
            entries = entries.Where(e => e.ActorKind == kind);
        if (!string.IsNullOrEmpty(query.Actor))
        {
            var pattern = Contains(query.Actor);
            entries = entries.Where(e => EF.Functions.Like(e.Actor, pattern, Escape));
        }
        if (!string.IsNullOrEmpty(query.Action))
        {
            var pattern = Like(query.Action) + "%";
            entries = entries.Where(e => EF.Functions.Like(e.Action, pattern, Escape));
        }
        if (!string.IsNullOrEmpty(query.Target))
        {
            var pattern = Contains(query.Target);
            entries = entries.Where(e => EF.Functions.Like(e.Target, pattern, Escape));
        }
        if (!string.IsNullOrEmpty(query.Datacenter))
        {
            var datacenter = query.Datacenter;
            var under = Like(datacenter) + "/%";
            entries = entries.Where(e => e.Target == datacenter || EF.Functions.Like(e.Target, under, Escape));
        }
        if (!string.IsNullOrEmpty(query.Text))
        {
            var pattern = Contains(query.Text);
            entries = entries.Where(e => EF.Functions.Like(e.Actor, pattern, Escape) || EF.Functions.Like(e.Action, pattern, Escape)
                || EF.Functions.Like(e.Target, pattern, Escape) || (e.Details != null && EF.Functions.Like(e.Details, pattern, Escape)));
        }
        return entries;
    }

    private const string Escape = "\\";

    private static string Contains(string text) => "%" + Like(text) + "%";

    /// <summary>The text as a LIKE pattern that matches it literally: its wildcards and the escape character escaped.</summary>
    private static string Like(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);
}
