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
/// record says which datacenters and instances got it. A load cannot be recalled once on the wire: one still in flight
/// when the guardrail publishes Block (past the turn's bound) is named on that turn, waited for, and its outcome learned
/// from the estate (<see cref="LoadOutcomes"/>: the archive the ANM reports the instance runs), with when it was
/// learned, or recorded Unknown until <see cref="DeploymentOutcomeLearner"/> learns it; the deployment stops there. A
/// datacenter where some instance did not load the archive also stops it: the next datacenter is not given an archive
/// that already failed. Every step is written to the store as it happens.
/// </summary>
public sealed class DeploymentExecutor(
    DeploymentStore store,
    AuditLog audit,
    DeploymentReconciler reconciler,
    DeploymentGateAccess gate,
    AdminNodeManagerConnections anms,
    LoadOutcomes outcomes,
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

        foreach (var dc in anms.DatacenterIds)
        {
            if (stopReason is not null)
            {
                await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.NotPushed, null, $"Not pushed: {stopReason}", cancellationToken);
                continue;
            }

            var result = await DeployToDatacenterAsync(work, dc, cancellationToken);
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

        // Counted from the record itself, per datacenter, so the summary says what the targets say.
        var recorded = await store.GetAsync(id, cancellationToken);
        var instances = (recorded?.Targets ?? []).Where(t => t.InstanceId is not null)
            .Select(t => new InstanceOutcome(t.DatacenterId, t.InstanceId!, t.Outcome)).ToList();
        var datacenters = anms.DatacenterIds.ToList();
        var state = DeploymentSummary.Conclude(gateStopped, datacenters.Count, instances);
        var headline = state switch
        {
            DeploymentState.Succeeded => "Loaded on every instance.",
            DeploymentState.Stopped => $"Stopped: {stopReason}. The group differs between datacenters until it is deployed again.",
            DeploymentState.Failed => $"No instance loaded it{(stopReason is null ? "" : $" ({stopReason})")}.",
            _ => $"Partly applied{(stopReason is null ? "" : $": {stopReason}, so no further datacenter was pushed")}.",
        };
        var summary = DeploymentSummary.Compose(headline, datacenters, instances);
        await store.SetStateAsync(id, state, summary, new AuditNote("system", "deployment.finished", $"deployment {id}", $"{state}: {summary}"), cancellationToken);
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
        var uploadPermit = gate.Enter(work.Kind, [dc], $"upload of deployment {id} to {dc}");
        try
        {
            if (await RefusedAsync(uploadPermit.Verdict))
                return new DatacenterResult(0, 0, uploadPermit.Verdict);
            note = uploadPermit.Verdict.Decision == GuardrailDecision.Allow ? null : $"Pushed although the guardrail said {DeploymentRequests.Describe(uploadPermit.Verdict)}";
            using var deadline = Deadline(settings.UploadTimeout, cancellationToken);
            var files = work.Archive.Files.Select(f => new AnmArchiveFile(f.FileName, f.Content)).ToList();
            archiveId = await anm.UploadConfigurationAsync(work.GroupId, files, deadline.Token);
        }
        catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
        {
            uploadPermit.Dispose();
            var revoked = uploadPermit.Revoked.IsCancellationRequested;
            var why = Describe(ex, settings.UploadTimeout) + (revoked ? $"; {InFlightMessage}" : "");
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Failed, null, $"Upload to {dc}'s ANM failed: {why}", cancellationToken);
            foreach (var instance in instances)
                await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.NotPushed, null, "Not pushed: the upload failed.", cancellationToken);
            return revoked ? new DatacenterResult(0, 0, InFlightWhenBlocked(work.Kind)) : new DatacenterResult(0, instances.Count);
        }
        finally
        {
            uploadPermit.Dispose();
        }
        if (uploadPermit.Revoked.IsCancellationRequested)
        {
            // Block was published while the upload was on the wire: the archive is on the ANM, but no load starts.
            await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Blocked, archiveId, $"Uploaded, not loaded: {InFlightMessage}", cancellationToken);
            foreach (var instance in instances)
                await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.NotPushed, null, $"Not pushed: {InFlightMessage}", cancellationToken);
            return new DatacenterResult(0, 0, InFlightWhenBlocked(work.Kind));
        }
        await store.SetTargetAsync(id, dc, null, DeploymentTargetOutcome.Uploaded, archiveId, note, cancellationToken);
        foreach (var instance in instances)
            await store.SetTargetAsync(id, dc, instance.Id, DeploymentTargetOutcome.Pending, archiveId, null, cancellationToken);

        int loaded = 0, notLoaded = 0, attempted = 0;
        var failures = new List<string>();
        GuardrailVerdict? refused = null;
        foreach (var instance in instances)
        {
            // The gate is asked right before each load is sent: none starts under Block.
            var permit = gate.Enter(work.Kind, [dc], $"load of {archiveId} on {dc}/{instance.Id} (deployment {id})");
            AnmPushResult? answer = null;
            string? failure = null, refusal = null;
            try
            {
                if (Refuses(work, permit.Verdict))
                {
                    refused = permit.Verdict;
                    break;
                }
                attempted++;
                // Never cut off by the guardrail: a load on the wire cannot be recalled, only waited for and learned.
                using var deadline = Deadline(settings.PushTimeout, cancellationToken);
                answer = await anm.PushConfigurationAsync(instance.Id, archiveId, deadline.Token);
            }
            catch (HttpRequestException ex) when (ex.StatusCode is not null)
            {
                // The ANM answered with an error status: it refused or failed the load, a definite answer.
                refusal = Describe(ex, settings.PushTimeout);
            }
            catch (Exception ex) when (IsPeerFailure(ex, cancellationToken))
            {
                failure = Describe(ex, settings.PushTimeout);
            }
            finally
            {
                // Released as soon as the one call it covers has completed, before anything else is done.
                permit.Dispose();
            }
            var inFlight = permit.Revoked.IsCancellationRequested;
            var learned = refusal is not null
                ? new LearnedOutcome(DeploymentTargetOutcome.Failed, (inFlight ? LoadOutcomes.InFlightNote + " " : "") + refusal, outcomes.Now)
                : await outcomes.AfterLoadAsync(dc, work.GroupId, instance.Id, archiveId, answer, failure, inFlight, cancellationToken);
            await store.SetTargetAsync(id, dc, instance.Id, learned.Outcome, archiveId, learned.Message, new TargetLearning(learned.LearnedAt, inFlight), cancellationToken);
            if (learned.Outcome == DeploymentTargetOutcome.Loaded)
                loaded++;
            else
            {
                notLoaded++;
                failures.Add($"{instance.Id} {(learned.Outcome == DeploymentTargetOutcome.Unknown ? "unknown (still learning)" : learned.Outcome.ToString())}");
            }
            if (inFlight)
            {
                refused = InFlightWhenBlocked(work.Kind);
                break;
            }
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

    private static string InFlightMessage =>
        $"the guardrail published Block while the call was on the wire (it waits {GuardrailBound.TotalSeconds:0.#} s for calls in flight, then names them on the turn)";

    private static readonly TimeSpan GuardrailBound = ApimConsole.Web.Guardrails.GuardrailService.TurnBound;

    /// <summary>The verdict recorded when Block was published while a call of this deployment was in flight.</summary>
    private static GuardrailVerdict InFlightWhenBlocked(ChangeKind kind) => new(kind, GuardrailDecision.Block, [InFlightMessage], DateTimeOffset.UtcNow);

    /// <summary>Whether this deployment may not go ahead under <paramref name="verdict"/>.</summary>
    private static bool Refuses(DeploymentWork work, GuardrailVerdict verdict) =>
        verdict.Decision == GuardrailDecision.Block && !work.Overridden
        || verdict.Decision == GuardrailDecision.Warn && !work.WarningsConfirmed && !work.Overridden;

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
            await store.SetStateAsync(id, state, summary, new AuditNote("system", "deployment.finished", $"deployment {id}", $"{state}: {summary}"), deadline.Token);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not record the end of deployment {Id}; the next start reconciles it from the ANMs", id);
        }
    }
}
