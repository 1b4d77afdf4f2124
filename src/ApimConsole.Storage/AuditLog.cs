using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// Writes <see cref="AuditEntry"/> rows. A failed write is retried (<see cref="StoreWriter"/>), then throws
/// <see cref="ConsoleStoreUnavailableException"/>: an action that must be audited is not silently unaudited.
/// </summary>
public sealed class AuditLog(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer, TimeProvider time)
{
    public Task<AuditEntry> RecordAsync(string actor, string action, string target, string? details, CancellationToken cancellationToken) =>
        writer.WriteAsync($"audit {action} on {target}", async ct =>
        {
            // A fresh row per attempt: a failed SaveChanges leaves the tracked one in an unknown state.
            var entry = new AuditEntry { At = time.GetUtcNow(), Actor = actor, Action = action, Target = target, Details = details };
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.AuditEntries.Add(entry);
            await db.SaveChangesAsync(ct);
            return entry;
        }, cancellationToken);

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(count).AsNoTracking().ToListAsync(cancellationToken);
    }
}
