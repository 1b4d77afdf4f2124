using ApimConsole.Core.Deployments;
using ApimConsole.Storage;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// Stored deployments counted per state, for <c>/metrics</c>: counted at start and again after each write of the
/// deployment store (its <see cref="DeploymentStore.Writes"/> feed), so a scrape reads a number in memory and never
/// waits on the store. While the store cannot be counted the tally is unknown (null), not the last numbers seen.
/// </summary>
public sealed class DeploymentTally(IDbContextFactory<ConsoleDbContext> contexts, DeploymentStore store, TimeProvider time, ILogger<DeploymentTally> logger)
    : BackgroundService
{
    /// <summary>How long after a failed count the tally tries again when no write comes first.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private IReadOnlyDictionary<DeploymentState, long>? _counts;

    /// <summary>The latest count; null before the first and while the store could not be read.</summary>
    public IReadOnlyDictionary<DeploymentState, long>? Current => Volatile.Read(ref _counts);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Subscribed before the first count, so a write in between is counted again.
        using var writes = store.Writes.Subscribe(capacity: 1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var counted = await CountAsync(stoppingToken);
            try
            {
                if (counted)
                    await writes.Updates.ReadAsync(stoppingToken);
                else
                    await Task.WhenAny(writes.Updates.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(RetryAfter, time, stoppingToken));
                while (writes.Updates.TryRead(out _))
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> CountAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var rows = await db.Deployments.GroupBy(d => d.State).Select(g => new { State = g.Key, Count = g.LongCount() }).ToListAsync(cancellationToken);
            Volatile.Write(ref _counts, rows.ToDictionary(r => r.State, r => r.Count));
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _counts, null);
            logger.LogWarning(ex, "Counting the stored deployments for /metrics failed; apimconsole_deployments is absent until a count succeeds");
            return false;
        }
    }
}
