using ApimConsole.Core.Alerts;
using ApimConsole.Core.Deployments;
using ApimConsole.Storage;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Alerts;

/// <summary>
/// Raises an alert for each deployment that was refused, overrode the guardrail, stopped, failed, was interrupted or
/// landed only partly. It reads what the deployment code already records (the audit trail's <c>deployment.refused</c>
/// and <c>deployment.override</c> entries, the deployments' final states) rather than hooking into it, so it needs no
/// change there. Each fact is raised once (<see cref="AlertStore.RaiseOnceAsync"/>), also across restarts.
/// </summary>
public sealed class DeploymentAlertWatch(IDbContextFactory<ConsoleDbContext> contexts, AlertStore store, TimeProvider time)
{
    /// <summary>How far back a starting console looks: facts from before it are history, not news.</summary>
    public static readonly TimeSpan LookBack = TimeSpan.FromHours(1);

    private long _auditMark = -1;
    private DateTimeOffset? _finishedMark;

    public async Task RaiseNewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now - LookBack;
        List<Storage.Records.AuditEntry> entries;
        List<Storage.Records.Deployment> finished;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var mark = _auditMark;
            entries = await db.AuditEntries.Where(e => e.Id > mark && e.At >= since && (e.Action == "deployment.refused" || e.Action == "deployment.override"))
                .OrderBy(e => e.Id).Take(200).AsNoTracking().ToListAsync(cancellationToken);
            var from = _finishedMark ?? since;
            finished = await db.Deployments.Where(d => d.FinishedAt != null && d.FinishedAt >= from
                    && (d.State == DeploymentState.Stopped || d.State == DeploymentState.PartiallyApplied || d.State == DeploymentState.Failed || d.State == DeploymentState.Interrupted))
                .OrderBy(d => d.FinishedAt).Take(200).AsNoTracking().ToListAsync(cancellationToken);
        }
        foreach (var entry in entries)
        {
            var refused = entry.Action == "deployment.refused";
            await store.RaiseOnceAsync(new AlertSignal(AlertKind.Deployment, $"deployment:{(refused ? "refused" : "override")}:audit-{entry.Id}",
                AlertSeverity.Warning, null, refused ? $"Deployment refused: {entry.Target}" : $"Guardrail overridden by {entry.Actor}: {entry.Target}",
                entry.Details ?? entry.Action, entry.At), cancellationToken);
            _auditMark = entry.Id;
        }
        foreach (var deployment in finished)
        {
            var severity = deployment.State is DeploymentState.PartiallyApplied or DeploymentState.Interrupted ? AlertSeverity.Critical : AlertSeverity.Warning;
            var what = deployment.State switch
            {
                DeploymentState.PartiallyApplied => "landed only partly (the datacenters now differ)",
                DeploymentState.Stopped => "stopped",
                DeploymentState.Interrupted => "was interrupted",
                _ => "failed",
            };
            await store.RaiseOnceAsync(new AlertSignal(AlertKind.Deployment, $"deployment:{deployment.Id}:{deployment.State}", severity, null,
                $"Deployment {deployment.Id} to {deployment.GroupName} {what}", deployment.Summary ?? deployment.State.ToString(), deployment.FinishedAt!.Value), cancellationToken);
            _finishedMark = deployment.FinishedAt;
        }
    }
}
