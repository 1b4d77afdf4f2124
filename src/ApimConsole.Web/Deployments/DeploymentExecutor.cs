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
/// Before each datacenter it asks the guardrail again, for that datacenter, against the current state, and it takes a
/// permit (<see cref="IDeploymentGate.Enter"/>) around the upload and around each instance's load: a Block (or a Warn
/// nobody confirmed) stops the deployment there, even part-way through a datacenter, nothing more is pushed, and the
/// record says which datacenters and instances got it. A permit revoked mid-call (the guardrail turned and the call
/// outlasted the turn's bound) leaves that instance Failed with an unknown outcome and stops the deployment too. A
/// datacenter where some instance did not load the archive also stops it: the next datacenter is not given an archive
/// that already failed. Every step is written to the store as it happens.
/// </summary>
public sealed class DeploymentExecutor(
    DeploymentStore store,
    AuditLog audit,
    DeploymentReconciler reconciler,
    DeploymentGateAccess gate,
    AdminNodeManagerConnections anms,
    IOptions<DeploymentOptions> options,
    ILogger<DeploymentExecutor> logger) : BackgroundService
{
    private readonly Channel<DeploymentWork> _queue = Channel.CreateUnbounded<DeploymentWork>(new UnboundedChannelOptions { SingleReader = true });

    private int _enqueued;

    /// <summary>Deployments handed to the executor since it was created (what tests read to see nothing was queued).</summary>
    public int Enqueued => Volatile.Read(ref _enqueued);

    public void Enqueue(DeploymentWork work)
    {
        Interlocked.Increment(ref _enqueued);
        if (!_queue.Writer.TryWrite(work))
            throw new InvalidOperationException("The deployment executor has stopped.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A deployment the previous run left unfinished cannot go on (its archive was in memory) and is never pushed
        // again: the ANMs say where it got to. Done before the first new deployment runs, not while the host starts,
        // so a slow ANM delays nothing else.
        try
        {
            await reconciler.ReconcileAllAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Could not reconcile the deployments the previous run left unfinished; they stay as recorded until the next start");
        }
        catch (OperationCanceledException)
        {
            return;
        }

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
            loaded += result.Loaded;
            notLoaded += result.NotLoaded;
            if (result.Loaded > 0)
                reached.Add(dc);
            if (result.Refused is { } verdict)
            {
                gateStopped = true;
                var when = result.Loaded > 0 ? "during" : "before";
                stopReason = $"the guardrail turned to {verdict.Decision} {when} {dc}'s push";
                await audit.RecordAsync("system", "deployment.stopped", $"deployment {id}",
                    $"{(result.Loaded > 0 ? "During" : "Before")} {dc}: {DeploymentRequests.Describe(verdict)}. Datacenters that got it: {(reached.Count == 0 ? "none" : string.Join(", ", reached))}.", cancellationToken);
                continue;
            }
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
            if (!Refuses(work, verdict))
                return false;
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Blocked, null,
                $"Not pushed: the guardrail says {verdict.Decision}: {string.Join("; ", verdict.Reasons)}", cancellationToken);
            return true;
        }

        // A first look before reading the topology (read-only, so no permit); the permits below decide for real.
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

        // From here every call that changes the estate runs under its own permit: decided at that moment, against the
        // current state, and the guardrail publishes no turn to Block for this datacenter while the permit is held.
        string archiveId;
        string? note;
        var uploadPermit = gate.Enter(work.Kind, [dc]);
        try
        {
            if (await RefusedAsync(uploadPermit.Verdict))
                return new DatacenterResult(0, 0, uploadPermit.Verdict);
            note = uploadPermit.Verdict.Decision == GuardrailDecision.Allow ? null : $"Pushed although the guardrail said {DeploymentRequests.Describe(uploadPermit.Verdict)}";
            using var deadline = Deadline(settings.UploadTimeout, cancellationToken, uploadPermit.Revoked);
            var files = work.Archive.Files.Select(f => new AnmArchiveFile(f.FileName, f.Content)).ToList();
            archiveId = await anm.UploadConfigurationAsync(work.GroupId, files, deadline.Token);
        }
        catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
        {
            uploadPermit.Dispose();
            var revoked = uploadPermit.Revoked.IsCancellationRequested;
            var why = revoked ? RevokedMessage : Describe(ex, settings.UploadTimeout);
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Failed, null, $"Upload to {dc}'s ANM failed: {why}", cancellationToken);
            foreach (var instance in instances)
                await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.NotPushed, null, "Not pushed: the upload failed.", cancellationToken);
            return revoked ? new DatacenterResult(0, 0, Turned(work.Kind)) : new DatacenterResult(0, instances.Count);
        }
        finally
        {
            uploadPermit.Dispose();
        }
        await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Uploaded, archiveId, note, cancellationToken);
        foreach (var instance in instances)
            await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.Pending, archiveId, null, cancellationToken);

        int loaded = 0, notLoaded = 0, attempted = 0;
        var failures = new List<string>();
        GuardrailVerdict? refused = null;
        foreach (var instance in instances)
        {
            DeploymentTargetOutcome outcome;
            string? message;
            var permit = gate.Enter(work.Kind, [dc]);
            try
            {
                if (Refuses(work, permit.Verdict))
                {
                    refused = permit.Verdict;
                    break;
                }
                attempted++;
                using var deadline = Deadline(settings.PushTimeout, cancellationToken, permit.Revoked);
                var push = await anm.PushConfigurationAsync(instance.Id, archiveId, deadline.Token);
                (outcome, message) = push.Status == AnmLoadStatus.Loaded
                    ? (DeploymentTargetOutcome.Loaded, (string?)null)
                    : (DeploymentTargetOutcome.RolledBack, $"Failed to load; rolled back to {push.LiveArchiveId ?? "its previous configuration"}" + (push.Message is null ? "." : $": {push.Message}"));
            }
            catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
            {
                if (permit.Revoked.IsCancellationRequested)
                {
                    // Its outcome is unknown: the instance may have loaded it just before the call was abandoned.
                    refused = Turned(work.Kind);
                    (outcome, message) = (DeploymentTargetOutcome.Failed, $"Unknown: {RevokedMessage}");
                }
                else
                {
                    (outcome, message) = (DeploymentTargetOutcome.Failed, Describe(ex, settings.PushTimeout));
                }
            }
            finally
            {
                // Released as soon as the one call it covers has completed, before anything else is done.
                permit.Dispose();
            }
            await store.SetTargetAsync(id, dc, instance.Id, outcome, archiveId, message, cancellationToken);
            if (outcome == DeploymentTargetOutcome.Loaded)
                loaded++;
            else
            {
                notLoaded++;
                failures.Add($"{instance.Id} {outcome}");
            }
            if (refused is not null)
                break;
        }

        if (refused is not null)
        {
            // The decision turned part-way through this datacenter: the instances not reached get nothing.
            var why = $"Not pushed: the guardrail turned to {refused.Decision}: {string.Join("; ", refused.Reasons)}";
            foreach (var instance in instances.Skip(attempted))
                await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.NotPushed, null, why, cancellationToken);
            var partial = loaded == 0 ? DeploymentTargetOutcome.Blocked : DeploymentTargetOutcome.PartiallyApplied;
            await store.SetTargetAsync(id, dc, null, partial, archiveId,
                $"Stopped part-way: {loaded} of {instances.Count} instances loaded it{(failures.Count == 0 ? "" : $" ({string.Join(", ", failures)})")}. {why}", cancellationToken);
            return new DatacenterResult(loaded, notLoaded, refused);
        }

        var dcOutcome = notLoaded == 0 ? DeploymentTargetOutcome.Succeeded : loaded == 0 ? DeploymentTargetOutcome.Failed : DeploymentTargetOutcome.PartiallyApplied;
        var summary = $"{loaded} of {instances.Count} instances loaded it" + (failures.Count == 0 ? "." : $"; {string.Join(", ", failures)}.");
        await store.SetTargetAsync(id, dc, null, dcOutcome, archiveId, note is null ? summary : $"{summary} {note}", cancellationToken);
        return new DatacenterResult(loaded, notLoaded);
    }

    private static string RevokedMessage =>
        $"the guardrail turned while this call ran and it outlasted the turn's bound ({GuardrailBound.TotalSeconds:0.#} s); it was abandoned";

    private static readonly TimeSpan GuardrailBound = ApimConsole.Web.Guardrails.GuardrailService.TurnBound;

    /// <summary>The verdict recorded when a permit was revoked mid-call: the guardrail turned, to Block or stricter than it was.</summary>
    private static GuardrailVerdict Turned(ChangeKind kind) => new(kind, GuardrailDecision.Block, [RevokedMessage], DateTimeOffset.UtcNow);

    /// <summary>Whether this deployment may not go ahead under <paramref name="verdict"/>.</summary>
    private static bool Refuses(DeploymentWork work, GuardrailVerdict verdict) =>
        verdict.Decision == GuardrailDecision.Block && !work.Overridden
        || verdict.Decision == GuardrailDecision.Warn && !work.WarningsConfirmed && !work.Overridden;

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken, CancellationToken revoked = default)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, revoked);
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
            logger.LogError(ex, "Could not record the end of deployment {Id}; the next start reconciles it from the ANMs", id);
        }
    }
}
