using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>Writes <see cref="AuditEntry"/> rows. A failed write throws: an action that must be audited is not silently unaudited.</summary>
public sealed class AuditLog(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time)
{
    public async Task<AuditEntry> RecordAsync(string actor, string action, string target, string? details, CancellationToken cancellationToken)
    {
        var entry = new AuditEntry { At = time.GetUtcNow(), Actor = actor, Action = action, Target = target, Details = details };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return entry;
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(count).AsNoTracking().ToListAsync(cancellationToken);
    }
}
