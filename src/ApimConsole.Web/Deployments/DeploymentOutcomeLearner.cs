using ApimConsole.Core.Deployments;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// Keeps asking the ANMs about every instance whose load outcome is still Unknown (its call ended without an answer,
/// or the ANM could not be read), every <see cref="DeploymentOptions.LearnInterval"/>, until the estate says: then the
/// instance is recorded Loaded or Not loaded with when that was learned, and the deployment's state and per-datacenter
/// summary are counted again. Nothing is guessed in between: the record says unknown until it knows.
/// </summary>
public sealed class DeploymentOutcomeLearner(
    DeploymentStore store,
    GroupArchivesReader archives,
    AdminNodeManagerConnections anms,
    IOptions<DeploymentOptions> options,
    TimeProvider time,
    ILogger<DeploymentOutcomeLearner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LearnInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await LearnAllAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Learning deployment outcomes from the ANMs failed; tried again in {Interval}", options.Value.LearnInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round over every deployment with an Unknown instance; returns how many instances were learned.</summary>
    public async Task<int> LearnAllAsync(CancellationToken cancellationToken)
    {
        var learned = 0;
        foreach (var deployment in await store.WithUnknownOutcomesAsync(cancellationToken))
            learned += await LearnAsync(deployment, cancellationToken);
        return learned;
    }

    private async Task<int> LearnAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        var resolutions = new List<TargetResolution>();
        var unknown = deployment.Targets.Where(t => t.InstanceId is not null && t.Outcome == DeploymentTargetOutcome.Unknown && t.ArchiveId is not null).ToList();
        foreach (var dc in unknown.GroupBy(t => t.DatacenterId))
        {
            var read = await archives.ReadAsync(dc.Key, deployment.GroupId, cancellationToken);
            foreach (var target in dc)
            {
                if (LoadOutcomes.Later(read, dc.Key, target.InstanceId!, target.ArchiveId!, target.UpdatedAt, target.Message, options.Value.PushTimeout) is { } outcome)
                    resolutions.Add(new TargetResolution(dc.Key, target.InstanceId, outcome.Outcome, target.ArchiveId, outcome.Message ?? "", outcome.LearnedAt));
            }
        }
        if (resolutions.Count == 0)
            return 0;

        var instances = deployment.Targets.Where(t => t.InstanceId is not null)
            .Select(t => resolutions.FirstOrDefault(r => r.DatacenterId == t.DatacenterId && r.InstanceId == t.InstanceId) is { } r
                ? new InstanceOutcome(t.DatacenterId, t.InstanceId!, r.Outcome)
                : new InstanceOutcome(t.DatacenterId, t.InstanceId!, t.Outcome))
            .ToList();
        var datacenters = DatacentersOf(deployment, anms.DatacenterIds);
        var state = deployment.State is DeploymentState.Stopped or DeploymentState.Interrupted
            ? deployment.State
            : DeploymentSummary.Conclude(stopped: false, datacenters.Count, instances);
        var summary = DeploymentSummary.Recount(deployment.Summary, datacenters, instances);
        await store.RecordLearnedAsync(deployment.Id, resolutions, state, summary, new AuditNote("system", "deployment.learned", $"deployment {deployment.Id}",
            $"Learned from the ANMs: {string.Join("; ", resolutions.Select(r => $"{r.DatacenterId}/{r.InstanceId} {r.Outcome} at {r.LearnedAt:u}"))}. {summary}"), cancellationToken);
        return resolutions.Count;
    }

    /// <summary>The deployment's datacenters in the estate's order, then any the record names that the estate no longer has.</summary>
    internal static IReadOnlyList<string> DatacentersOf(Deployment deployment, IEnumerable<string> estate) =>
        estate.Union(deployment.Targets.Select(t => t.DatacenterId), StringComparer.OrdinalIgnoreCase).ToList();
}
