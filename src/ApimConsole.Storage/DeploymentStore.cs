using ApimConsole.Core.Deployments;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// Deployments and their per-datacenter, per-instance results. Every step is its own short unit of work, written as
/// it happens, so that after a restart the record shows exactly what was reached.
/// </summary>
public sealed class DeploymentStore(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time)
{
    public const int MaxMessageLength = 2000;

    /// <summary>Raised after every write, with the deployment's id (pages refresh on it).</summary>
    public event Action<long>? Changed;

    public async Task<Deployment> AddAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Deployments.Add(deployment);
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke(deployment.Id);
        return deployment;
    }

    public async Task<Deployment?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Deployments.AsNoTracking().Include(d => d.Targets).FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        deployment?.Targets.Sort((a, b) => a.Id.CompareTo(b.Id));
        return deployment;
    }

    /// <summary>Newest first, with their targets.</summary>
    public async Task<IReadOnlyList<Deployment>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var list = await db.Deployments.AsNoTracking().Include(d => d.Targets)
            .OrderByDescending(d => d.Id).Take(count).ToListAsync(cancellationToken);
        foreach (var d in list)
            d.Targets.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    public async Task SetStateAsync(long id, DeploymentState state, string? summary, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Deployments.FirstAsync(d => d.Id == id, cancellationToken);
        var now = time.GetUtcNow();
        deployment.State = state;
        if (summary is not null)
            deployment.Summary = Clip(summary);
        if (state == DeploymentState.Running)
            deployment.StartedAt ??= now;
        if (state.IsFinished())
            deployment.FinishedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke(id);
    }

    /// <summary>Records the outcome for a datacenter (<paramref name="instanceId"/> null) or an instance, adding the row the first time.</summary>
    public async Task SetTargetAsync(long deploymentId, string datacenterId, string? instanceId, DeploymentTargetOutcome outcome,
        string? archiveId, string? message, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var target = await db.DeploymentTargets.FirstOrDefaultAsync(
            t => t.DeploymentId == deploymentId && t.DatacenterId == datacenterId && t.InstanceId == instanceId, cancellationToken);
        if (target is null)
        {
            target = new DeploymentTarget { DeploymentId = deploymentId, DatacenterId = datacenterId, InstanceId = instanceId };
            db.DeploymentTargets.Add(target);
        }
        target.Outcome = outcome;
        target.ArchiveId = archiveId ?? target.ArchiveId;
        target.Message = message is null ? target.Message : Clip(message);
        target.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke(deploymentId);
    }

    /// <summary>
    /// Deployments left Pending or Running by a console that stopped: their archive was in memory only, so they cannot
    /// go on. They become Stopped, and their targets show how far they got. Returns their ids.
    /// </summary>
    public async Task<IReadOnlyList<long>> StopUnfinishedAsync(string reason, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Deployments.Include(d => d.Targets)
            .Where(d => d.State == DeploymentState.Pending || d.State == DeploymentState.Running).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var d in unfinished)
        {
            d.State = DeploymentState.Stopped;
            d.Summary = Clip(reason);
            d.FinishedAt = now;
            foreach (var t in d.Targets.Where(t => t.Outcome is DeploymentTargetOutcome.Pending or DeploymentTargetOutcome.Uploaded))
            {
                t.Outcome = t.Outcome == DeploymentTargetOutcome.Uploaded && t.InstanceId is null ? DeploymentTargetOutcome.PartiallyApplied : DeploymentTargetOutcome.NotPushed;
                t.UpdatedAt = now;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var d in unfinished)
            Changed?.Invoke(d.Id);
        return unfinished.Select(d => d.Id).ToList();
    }

    private static string Clip(string text) => text.Length <= MaxMessageLength ? text : text[..(MaxMessageLength - 1)] + "…";
}
