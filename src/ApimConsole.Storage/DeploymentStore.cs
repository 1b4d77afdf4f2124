using ApimConsole.Core.Deployments;
using ApimConsole.Core.Live;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// Deployments and their per-datacenter, per-instance results. Every step is its own short unit of work, written as
/// it happens, so that after a restart the record shows exactly what was reached.
/// </summary>
/// <remarks>
/// Writes go through <see cref="StoreWriter"/>: retried a few times, then <see cref="ConsoleStoreUnavailableException"/>.
/// A write that matters to a post-mortem (a request stored, a deployment finished, reconciled or learned) takes its
/// audit entries (<see cref="AuditNote"/>) into the same transaction: it is never stored unaudited, nor audited unstored.
/// </remarks>
public sealed class DeploymentStore(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer, TimeProvider time, AuditLog audit)
{
    public const int MaxMessageLength = 2000;

    private readonly LiveFeed<long> _writes = new(0);

    /// <summary>How many writes this store has made, live: it moves after every write (pages watch it and reload).</summary>
    public ILiveFeed<long> Writes => _writes;

    private void Written() => _writes.Update(writes => writes + 1);

    public Task<Deployment> AddAsync(Deployment deployment, CancellationToken cancellationToken) =>
        AddAsync(deployment, _ => [], cancellationToken);

    /// <summary>
    /// Stores a request and, in the same transaction, the audit entries <paramref name="notes"/> makes of it once its id is
    /// known ("Deployment 12: ..."): both or neither.
    /// </summary>
    public async Task<Deployment> AddAsync(Deployment deployment, Func<Deployment, IReadOnlyList<AuditNote>> notes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notes);
        await audit.WriteAsync("store the deployment request", async (db, ct) =>
        {
            // A failed attempt may have left generated ids behind: start each attempt from new rows.
            deployment.Id = 0;
            foreach (var target in deployment.Targets)
                (target.Id, target.DeploymentId) = (0, 0);
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync(ct);
            Stage(db, notes(deployment));
            return deployment.Id;
        }, cancellationToken);
        Written();
        return deployment;
    }

    private void Stage(ConsoleDbContext db, IEnumerable<AuditNote> notes)
    {
        foreach (var note in notes)
            audit.Add(db, note.Actor, note.Action, note.Target, note.Details);
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

    public Task SetStateAsync(long id, DeploymentState state, string? summary, CancellationToken cancellationToken) =>
        SetStateAsync(id, state, summary, null, cancellationToken);

    /// <summary>Records the deployment's state (and summary), with <paramref name="note"/> audited in the same transaction.</summary>
    public async Task SetStateAsync(long id, DeploymentState state, string? summary, AuditNote? note, CancellationToken cancellationToken)
    {
        await audit.WriteAsync($"record deployment {id} as {state}", async (db, ct) =>
        {
            await SetStateOnceAsync(db, id, state, summary, ct);
            Stage(db, note is null ? [] : [note]);
            return id;
        }, cancellationToken);
        Written();
    }

    private async Task SetStateOnceAsync(ConsoleDbContext db, long id, DeploymentState state, string? summary, CancellationToken cancellationToken)
    {
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
    }

    /// <summary>Records the outcome for a datacenter (<paramref name="instanceId"/> null) or an instance, adding the row the first time.</summary>
    public Task SetTargetAsync(long deploymentId, string datacenterId, string? instanceId, DeploymentTargetOutcome outcome,
        string? archiveId, string? message, CancellationToken cancellationToken) =>
        SetTargetAsync(deploymentId, datacenterId, instanceId, outcome, archiveId, message, new TargetLearning(null, false), cancellationToken);

    /// <summary>As the other overload, with when the outcome was learned from the estate and whether the load was in flight when Block was published.</summary>
    public async Task SetTargetAsync(long deploymentId, string datacenterId, string? instanceId, DeploymentTargetOutcome outcome,
        string? archiveId, string? message, TargetLearning learning, CancellationToken cancellationToken)
    {
        await writer.WriteAsync($"record deployment {deploymentId}'s {datacenterId}{(instanceId is null ? "" : "/" + instanceId)} as {outcome}",
            ct => SetTargetOnceAsync(deploymentId, datacenterId, instanceId, outcome, archiveId, message, learning, ct), cancellationToken);
        Written();
    }

    private async Task SetTargetOnceAsync(long deploymentId, string datacenterId, string? instanceId, DeploymentTargetOutcome outcome,
        string? archiveId, string? message, TargetLearning learning, CancellationToken cancellationToken)
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
        target.LearnedAt = learning.LearnedAt ?? target.LearnedAt;
        target.InFlightWhenBlocked |= learning.InFlightWhenBlocked;
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Finished deployments with an instance whose outcome is still <see cref="DeploymentTargetOutcome.Unknown"/>, oldest first, with their targets.</summary>
    public async Task<IReadOnlyList<Deployment>> WithUnknownOutcomesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = await db.DeploymentTargets.Where(t => t.Outcome == DeploymentTargetOutcome.Unknown && t.InstanceId != null)
            .Select(t => t.DeploymentId).Distinct().ToListAsync(cancellationToken);
        var deployments = await db.Deployments.Include(d => d.Targets).Where(d => ids.Contains(d.Id)).ToListAsync(cancellationToken);
        return deployments.Where(d => d.State.IsFinished()).OrderBy(d => d.Id).ToList();
    }

    /// <summary>Deployments left Pending or Running (by a console that stopped or was killed), oldest first, with their targets.</summary>
    public async Task<IReadOnlyList<Deployment>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var list = await db.Deployments.AsNoTracking().Include(d => d.Targets)
            .Where(d => d.State == DeploymentState.Pending || d.State == DeploymentState.Running)
            .OrderBy(d => d.Id).ToListAsync(cancellationToken);
        foreach (var d in list)
            d.Targets.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>
    /// Writes, in one transaction, what an unfinished deployment was found to have reached: each given target
    /// (added when it has no row yet), and the deployment's final <paramref name="state"/>. Targets not given are
    /// left as they were recorded.
    /// </summary>
    public Task RecordReconciliationAsync(long id, IReadOnlyList<TargetResolution> targets, DeploymentState state, string summary,
        AuditNote note, CancellationToken cancellationToken) =>
        RecordResolutionsAsync(id, targets, state, summary, finish: true, note, cancellationToken);

    /// <summary>
    /// Writes, in one transaction, outcomes learned later from the estate (an instance that was <see cref="DeploymentTargetOutcome.Unknown"/>),
    /// the deployment's state and its summary; when it finished stays as recorded.
    /// </summary>
    public Task RecordLearnedAsync(long id, IReadOnlyList<TargetResolution> targets, DeploymentState state, string summary,
        AuditNote note, CancellationToken cancellationToken) =>
        RecordResolutionsAsync(id, targets, state, summary, finish: false, note, cancellationToken);

    private async Task RecordResolutionsAsync(long id, IReadOnlyList<TargetResolution> targets, DeploymentState state, string summary,
        bool finish, AuditNote note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(note);
        await audit.WriteAsync($"record deployment {id}'s {(finish ? "reconciliation" : "learned outcomes")}", async (db, ct) =>
        {
            var deployment = await db.Deployments.Include(d => d.Targets).FirstAsync(d => d.Id == id, ct);
            var now = time.GetUtcNow();
            foreach (var resolution in targets)
            {
                var target = deployment.Targets.FirstOrDefault(t => t.DatacenterId == resolution.DatacenterId && t.InstanceId == resolution.InstanceId);
                if (target is null)
                {
                    target = new DeploymentTarget { DeploymentId = id, DatacenterId = resolution.DatacenterId, InstanceId = resolution.InstanceId };
                    deployment.Targets.Add(target);
                }
                target.Outcome = resolution.Outcome;
                target.ArchiveId = resolution.ArchiveId ?? target.ArchiveId;
                target.Message = Clip(resolution.Message);
                target.UpdatedAt = now;
                target.LearnedAt = resolution.LearnedAt ?? target.LearnedAt;
            }
            deployment.State = state;
            deployment.Summary = Clip(summary);
            if (finish || deployment.FinishedAt is null)
                deployment.FinishedAt = now;
            Stage(db, [note]);
            return id;
        }, cancellationToken);
        Written();
    }

    private static string Clip(string text) => text.Length <= MaxMessageLength ? text : text[..(MaxMessageLength - 1)] + "…";
}

/// <summary>An audit entry to write in the same transaction as the change it is about (see <see cref="AuditLog.Add(ConsoleDbContext, string, string, string, string?)"/>).</summary>
/// <param name="Actor">A name the console gives (a principal's name, <c>system</c>).</param>
public sealed record AuditNote(string Actor, string Action, string Target, string? Details);

/// <summary>What one target of an unfinished deployment was found to have reached (see <see cref="DeploymentStore.RecordReconciliationAsync"/>).</summary>
public sealed record TargetResolution(string DatacenterId, string? InstanceId, DeploymentTargetOutcome Outcome, string? ArchiveId, string Message,
    DateTimeOffset? LearnedAt = null);

/// <summary>When an instance's outcome was learned from the estate (null: not learned, or nothing to learn), and whether its load was in flight when Block was published.</summary>
public sealed record TargetLearning(DateTimeOffset? LearnedAt, bool InFlightWhenBlocked);
