using ApimConsole.Core.Guardrails;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// The deployment guardrail's turns (<see cref="GuardrailTurn"/>), kept like the incidents they explain: a post-mortem
/// of any stored incident can show them. Writes go through <see cref="StoreWriter"/> (retried, reported to
/// <see cref="ConsoleStoreHealth"/>, then <see cref="ConsoleStoreUnavailableException"/>).
/// </summary>
public sealed class GuardrailTurnStore(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer)
{
    /// <summary>Stores <paramref name="turns"/> in one transaction: all of them or none.</summary>
    public Task AddAsync(IReadOnlyCollection<GuardrailTransition> turns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turns);
        return writer.WriteAsync($"store {turns.Count} guardrail turns", async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            db.GuardrailTurns.AddRange(turns.Select(GuardrailTurn.From));
            await db.SaveChangesAsync(ct);
        }, cancellationToken);
    }

    /// <summary>The turns from <paramref name="from"/> to <paramref name="to"/> (both included), oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<GuardrailTransition>> DuringAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.GuardrailTurns.AsNoTracking().Where(t => t.At >= from && t.At <= to)
            .OrderBy(t => t.At).ThenBy(t => t.Id).Take(max).ToListAsync(cancellationToken);
        return rows.Select(r => r.ToTransition()).ToList();
    }
}
