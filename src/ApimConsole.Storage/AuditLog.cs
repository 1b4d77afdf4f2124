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

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(count).AsNoTracking().ToListAsync(cancellationToken);
    }
}
