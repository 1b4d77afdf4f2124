using System.Threading.Channels;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Storage;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>An accepted deployment waiting for the executor. The archive lives in memory only, never in the store.</summary>
public sealed record DeploymentWork(long DeploymentId, ChangeKind Kind, string GroupId, DeploymentArchive Archive, bool Overridden, bool WarningsConfirmed);

/// <summary>
/// Runs accepted deployments one at a time, in the background, over the ANMs' documented two-step API: per
/// datacenter, upload the archive to the group, then <c>PUT .../api/configuration?archiveId=</c> on each instance.
/// Before each datacenter it asks the guardrail again, for that datacenter, against the current state: a Block (or a
/// Warn nobody confirmed) stops the deployment there, nothing more is pushed, and the record says which datacenters
/// got it. A datacenter where some instance did not load the archive also stops it: the next datacenter is not given
/// an archive that already failed. Every step is written to the store as it happens.
/// </summary>
public sealed class DeploymentExecutor(
    DeploymentStore store,
    AuditLog audit,
    DeploymentGateAccess gate,
    AdminNodeManagerConnections anms,
    IOptions<DeploymentOptions> options,
    ILogger<DeploymentExecutor> logger) : BackgroundService
{
    private readonly Channel<DeploymentWork> _queue = Channel.CreateUnbounded<DeploymentWork>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(DeploymentWork work)
    {
        if (!_queue.Writer.TryWrite(work))
            throw new InvalidOperationException("The deployment executor has stopped.");
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // A deployment the previous run left unfinished cannot go on (its archive was in memory): say where it got to.
        foreach (var id in await store.StopUnfinishedAsync(
                     "Stopped: the console stopped while this deployment ran. The targets show what each datacenter and instance reached.", cancellationToken))
        {
            logger.LogWarning("Deployment {Id} was left unfinished by the previous run; marked Stopped", id);
            await audit.RecordAsync("system", "deployment.stopped", $"deployment {id}", "The console stopped while it ran.", cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var work in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await RunAsync(work, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await FinishQuietlyAsync(work.DeploymentId, DeploymentState.Stopped, "Stopped: the console shut down while this deployment ran.");
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Deployment {Id} failed in the console itself", work.DeploymentId);
                await FinishQuietlyAsync(work.DeploymentId, DeploymentState.Failed, $"Failed in the console: {ex.Message}");
            }
        }
    }

    private async Task RunAsync(DeploymentWork work, CancellationToken cancellationToken)
    {
        var id = work.DeploymentId;
        await store.SetStateAsync(id, DeploymentState.Running, null, cancellationToken);
        var reached = new List<string>();
        string? stopReason = null;
        var gateStopped = false;
        int loaded = 0, notLoaded = 0;

        foreach (var dc in anms.DatacenterIds)
        {
            if (stopReason is not null)
            {
                await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.NotPushed, null, $"Not pushed: {stopReason}", cancellationToken);
                continue;
            }

            var result = await DeployToDatacenterAsync(work, dc, cancellationToken);
            if (result.Refused is { } verdict)
            {
                gateStopped = true;
                stopReason = $"the guardrail turned to {verdict.Decision} before {dc}'s push";
                await audit.RecordAsync("system", "deployment.stopped", $"deployment {id}",
                    $"Before {dc}: {DeploymentRequests.Describe(verdict)}. Datacenters that got it: {(reached.Count == 0 ? "none" : string.Join(", ", reached))}.", cancellationToken);
                continue;
            }
            loaded += result.Loaded;
            notLoaded += result.NotLoaded;
            if (result.Loaded > 0)
                reached.Add(dc);
            if (result.NotLoaded > 0)
                stopReason = $"{dc} did not load it on every instance";
        }

        var state = DeploymentStateRules.Conclude(gateStopped, loaded, notLoaded);
        var summary = state switch
        {
            DeploymentState.Succeeded => $"Loaded on all {loaded} instances in {string.Join(" and ", reached)}.",
            DeploymentState.Stopped => $"Stopped: {stopReason}. Got it: {(reached.Count == 0 ? "no datacenter" : string.Join(", ", reached))}; the group now differs between datacenters until it is deployed again.",
            DeploymentState.Failed => $"No instance loaded it{(stopReason is null ? "" : $" ({stopReason})")}.",
            _ => $"{loaded} instance(s) loaded it, {notLoaded} did not{(stopReason is null ? "" : $"; {stopReason}, so no further datacenter was pushed")}. Got it: {string.Join(", ", reached)}.",
        };
        await store.SetStateAsync(id, state, summary, cancellationToken);
        await audit.RecordAsync("system", "deployment.finished", $"deployment {id}", $"{state}: {summary}", cancellationToken);
    }

    /// <summary>
    /// A datacenter that could not be deployed to at all counts as one target without the archive. <see cref="Refused"/>:
    /// the guardrail's verdict that stopped the deployment before anything was sent to this datacenter.
    /// </summary>
    private sealed record DatacenterResult(int Loaded, int NotLoaded, GuardrailVerdict? Refused = null);

    private async Task<DatacenterResult> DeployToDatacenterAsync(DeploymentWork work, string dc, CancellationToken cancellationToken)
    {
        var id = work.DeploymentId;
        var settings = options.Value;

        // The decision is taken again here, for this datacenter, against the state as it is now.
        async Task<bool> RefusedAsync(GuardrailVerdict verdict)
        {
            if (!(verdict.Decision == GuardrailDecision.Block && !work.Overridden
                  || verdict.Decision == GuardrailDecision.Warn && !work.WarningsConfirmed && !work.Overridden))
                return false;
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Blocked, null,
                $"Not pushed: the guardrail says {verdict.Decision}: {string.Join("; ", verdict.Reasons)}", cancellationToken);
            return true;
        }

        var verdict = gate.Evaluate(work.Kind, [dc]);
        if (await RefusedAsync(verdict))
            return new DatacenterResult(0, 0, verdict);

        // The group's instances as this DC's ANM knows them now; the first ANM that answers does the deployment.
        AdminNodeManagerClient? anm = null;
        AnmTopology? topology = null;
        var problems = new List<string>();
        foreach (var client in anms.For(dc))
        {
            try
            {
                using var deadline = Deadline(settings.ReadTimeout, cancellationToken);
                topology = await client.GetTopologyAsync(deadline.Token);
                anm = client;
                break;
            }
            catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
            {
                problems.Add($"{client.BaseUrl}: {Describe(ex, settings.ReadTimeout)}");
            }
        }
        if (anm is null || topology is null)
        {
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Failed, null,
                $"No ANM of {dc} answered: {string.Join("; ", problems.DefaultIfEmpty("none is configured"))}", cancellationToken);
            return new DatacenterResult(0, 1);
        }
        var instances = topology.Groups.FirstOrDefault(g => g.Id == work.GroupId)?.Gateways.ToList() ?? [];
        if (instances.Count == 0)
        {
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Failed, null,
                $"{dc}'s ANM has no gateway instance in group {work.GroupId}.", cancellationToken);
            return new DatacenterResult(0, 1);
        }

        // Asked again just before anything is sent: reading the topology took time, and the state may have turned.
        verdict = gate.Evaluate(work.Kind, [dc]);
        if (await RefusedAsync(verdict))
            return new DatacenterResult(0, 0, verdict);
        var note = verdict.Decision == GuardrailDecision.Allow ? null : $"Pushed although the guardrail said {DeploymentRequests.Describe(verdict)}";

        foreach (var instance in instances)
            await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.Pending, null, null, cancellationToken);

        string archiveId;
        try
        {
            using var deadline = Deadline(settings.UploadTimeout, cancellationToken);
            var files = work.Archive.Files.Select(f => new AnmArchiveFile(f.FileName, f.Content)).ToList();
            archiveId = await anm.UploadConfigurationAsync(work.GroupId, files, deadline.Token);
        }
        catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
        {
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Failed, null, $"Upload to {dc}'s ANM failed: {Describe(ex, settings.UploadTimeout)}", cancellationToken);
            foreach (var instance in instances)
                await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.NotPushed, null, "Not pushed: the upload failed.", cancellationToken);
            return new DatacenterResult(0, instances.Count);
        }
        await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Uploaded, archiveId, note, cancellationToken);

        int loaded = 0, notLoaded = 0;
        var failures = new List<string>();
        foreach (var instance in instances)
        {
            DeploymentTargetOutcome outcome;
            string? message;
            try
            {
                using var deadline = Deadline(settings.PushTimeout, cancellationToken);
                var push = await anm.PushConfigurationAsync(instance.Id, archiveId, deadline.Token);
                (outcome, message) = push.Status == AnmLoadStatus.Loaded
                    ? (DeploymentTargetOutcome.Loaded, (string?)null)
                    : (DeploymentTargetOutcome.RolledBack, $"Failed to load; rolled back to {push.LiveArchiveId ?? "its previous configuration"}" + (push.Message is null ? "." : $": {push.Message}"));
            }
            catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
            {
                (outcome, message) = (DeploymentTargetOutcome.Failed, Describe(ex, settings.PushTimeout));
            }
            await store.SetTargetAsync(id, dc, instance.Id, outcome, archiveId, message, cancellationToken);
            if (outcome == DeploymentTargetOutcome.Loaded)
                loaded++;
            else
            {
                notLoaded++;
                failures.Add($"{instance.Id} {outcome}");
            }
        }

        var dcOutcome = notLoaded == 0 ? DeploymentTargetOutcome.Succeeded : loaded == 0 ? DeploymentTargetOutcome.Failed : DeploymentTargetOutcome.PartiallyApplied;
        var summary = $"{loaded} of {instances.Count} instances loaded it" + (failures.Count == 0 ? "." : $"; {string.Join(", ", failures)}.");
        await store.SetTargetAsync(id, dc, null, dcOutcome, archiveId, note is null ? summary : $"{summary} {note}", cancellationToken);
        return new DatacenterResult(loaded, notLoaded);
    }

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        return cts;
    }

    /// <summary>A peer that failed, refused, answered nonsense or ran out of time; not the console shutting down.</summary>
    private static bool IsPeerFailure(Exception ex, CancellationToken stopping) =>
        ex is HttpRequestException or AnmProtocolException or IOException
        || ex is OperationCanceledException && !stopping.IsCancellationRequested;

    private static string Describe(Exception ex, TimeSpan timeout) =>
        ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.###} s" : ProbeOutcome.Describe(ex);

    private async Task FinishQuietlyAsync(long id, DeploymentState state, string summary)
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await store.SetStateAsync(id, state, summary, deadline.Token);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not record the end of deployment {Id}; the next start marks it Stopped", id);
        }
    }
}
