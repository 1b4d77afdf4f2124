using ApimConsole.Core.Deployments;
using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// After a restart, settles each deployment the previous run left Pending or Running (it stopped, or was killed
/// mid-push): it is never pushed again; instead, for each datacenter whose upload was recorded, that datacenter's
/// ANM is asked which archive each instance of the group runs (<c>GET /deployment/domain/deployments</c>, its
/// deployed-versions view), and every instance not recorded as done becomes <see cref="DeploymentTargetOutcome.Loaded"/>
/// or <see cref="DeploymentTargetOutcome.NotApplied"/>, noted "reconciled after restart from the ANM at …". A
/// datacenter whose upload was never recorded had nothing pushed to its instances (pushes follow the recorded
/// upload). The deployment ends <see cref="DeploymentState.Succeeded"/> if every datacenter really has it, else
/// <see cref="DeploymentState.Interrupted"/>; an audit entry "deployment.reconciled" is appended, the earlier ones
/// are left as they are.
/// </summary>
public sealed class DeploymentReconciler(
    DeploymentStore store,
    AdminNodeManagerConnections anms,
    GroupArchivesReader archives,
    ILogger<DeploymentReconciler> logger)
{
    public const string AuditAction = "deployment.reconciled";

    /// <summary>Reconciles every unfinished deployment; returns their ids.</summary>
    public async Task<IReadOnlyList<long>> ReconcileAllAsync(CancellationToken cancellationToken)
    {
        var done = new List<long>();
        foreach (var deployment in await store.UnfinishedAsync(cancellationToken))
        {
            await ReconcileAsync(deployment, cancellationToken);
            done.Add(deployment.Id);
        }
        return done;
    }

    private async Task ReconcileAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        var resolutions = new List<TargetResolution>();
        var reached = new List<string>();
        var complete = new List<string>();
        int loaded = 0, expected = 0;
        var datacenters = deployment.Targets.Where(t => t.InstanceId is null).Select(t => t.DatacenterId)
            .Union(anms.DatacenterIds, StringComparer.Ordinal).ToList();

        foreach (var dc in datacenters)
        {
            var dcTarget = deployment.Targets.FirstOrDefault(t => t.DatacenterId == dc && t.InstanceId is null);
            var instanceTargets = deployment.Targets.Where(t => t.DatacenterId == dc && t.InstanceId is not null).ToList();
            if (dcTarget is { Outcome: not (DeploymentTargetOutcome.Pending or DeploymentTargetOutcome.Uploaded) })
            {
                // Recorded as finished before the stop: left as it is.
                loaded += instanceTargets.Count(t => t.Outcome == DeploymentTargetOutcome.Loaded);
                if (instanceTargets.Any(t => t.Outcome == DeploymentTargetOutcome.Loaded))
                    reached.Add(dc);
                if (dcTarget.Outcome == DeploymentTargetOutcome.Succeeded)
                    complete.Add(dc);
                expected++;
                continue;
            }
            expected++;
            var archiveId = dcTarget?.ArchiveId;
            if (archiveId is null)
            {
                // No upload recorded: no instance of it can have been pushed.
                resolutions.Add(new TargetResolution(dc, null, DeploymentTargetOutcome.NotPushed, null,
                    "Not pushed: the console stopped before this datacenter's upload was recorded; reconciled after restart."));
                foreach (var t in instanceTargets.Where(t => !IsFinal(t.Outcome)))
                    resolutions.Add(new TargetResolution(dc, t.InstanceId, DeploymentTargetOutcome.NotPushed, null,
                        "Not pushed: the console stopped before this datacenter's upload was recorded; reconciled after restart."));
                continue;
            }

            var (running, askedAt, problem) = await archives.ReadAsync(dc, deployment.GroupId, cancellationToken);
            if (running is null)
            {
                foreach (var t in instanceTargets.Where(t => !IsFinal(t.Outcome)))
                    resolutions.Add(new TargetResolution(dc, t.InstanceId, DeploymentTargetOutcome.Unknown, archiveId,
                        $"Unknown: the console stopped during this push and after the restart {dc}'s ANM could not be asked ({problem}); it keeps asking."));
                var known = instanceTargets.Count(t => t.Outcome == DeploymentTargetOutcome.Loaded);
                loaded += known;
                if (known > 0)
                    reached.Add(dc);
                resolutions.Add(new TargetResolution(dc, null, DeploymentTargetOutcome.Failed, archiveId,
                    $"Unknown: interrupted; {dc}'s ANM could not be asked after the restart ({problem}). {known} instance(s) were recorded as loaded before the stop."));
                continue;
            }

            var note = $"reconciled after restart from the ANM at {askedAt:u}";
            int dcLoaded = 0, dcInstances = 0;
            var instanceIds = instanceTargets.Select(t => t.InstanceId!).Union(running.Keys, StringComparer.Ordinal).ToList();
            foreach (var instanceId in instanceIds)
            {
                dcInstances++;
                var recorded = instanceTargets.FirstOrDefault(t => t.InstanceId == instanceId);
                if (recorded is not null && IsFinal(recorded.Outcome))
                {
                    if (recorded.Outcome == DeploymentTargetOutcome.Loaded)
                        dcLoaded++;
                    continue;
                }
                running.TryGetValue(instanceId, out var runs);
                var applied = string.Equals(runs, archiveId, StringComparison.Ordinal);
                if (applied)
                    dcLoaded++;
                resolutions.Add(new TargetResolution(dc, instanceId,
                    applied ? DeploymentTargetOutcome.Loaded : DeploymentTargetOutcome.NotApplied, archiveId,
                    applied ? $"Runs {archiveId}: {note}." : $"Does not run it (runs {runs ?? "no archive the ANM reports"}): {note}.", askedAt));
            }
            loaded += dcLoaded;
            if (dcLoaded > 0)
                reached.Add(dc);
            var dcOutcome = dcInstances > 0 && dcLoaded == dcInstances ? DeploymentTargetOutcome.Succeeded
                : dcLoaded == 0 ? DeploymentTargetOutcome.NotApplied : DeploymentTargetOutcome.PartiallyApplied;
            if (dcOutcome == DeploymentTargetOutcome.Succeeded)
                complete.Add(dc);
            resolutions.Add(new TargetResolution(dc, null, dcOutcome, archiveId, $"{dcLoaded} of {dcInstances} instances run it: {note}."));
        }

        var state = complete.Count == expected && expected > 0 ? DeploymentState.Succeeded : DeploymentState.Interrupted;
        var summary = state == DeploymentState.Succeeded
            ? $"The console stopped while it ran; after the restart every datacenter's ANM reports it loaded on all instances ({loaded})."
            : $"Interrupted: the console stopped while it ran and it was not pushed again. After the restart the ANMs report it on {loaded} instance(s); " +
              $"got it: {(reached.Count == 0 ? "no datacenter" : string.Join(", ", reached))}. Deploy it again to bring every datacenter to the same version.";
        await store.RecordReconciliationAsync(deployment.Id, resolutions, state, summary, new AuditNote("system", AuditAction, $"deployment {deployment.Id}",
            $"{state}: {summary} Per target: {string.Join("; ", resolutions.Select(r => $"{r.DatacenterId}{(r.InstanceId is null ? "" : "/" + r.InstanceId)} {r.Outcome}"))}."),
            cancellationToken);
        logger.LogWarning("Deployment {Id} was left unfinished by the previous run; reconciled from the ANMs as {State}", deployment.Id, state);
    }

    private static bool IsFinal(DeploymentTargetOutcome outcome) =>
        outcome is not (DeploymentTargetOutcome.Pending or DeploymentTargetOutcome.Uploaded);
}
