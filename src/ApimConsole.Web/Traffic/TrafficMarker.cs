using ApimConsole.Core.Deployments;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Traffic;

/// <summary>A moment marked on the traffic charts: a deployment, or a break-glass deployment against the guardrail (an override).</summary>
public sealed record TrafficMarker(DateTimeOffset At, string Kind, string Label, string Detail, IReadOnlyList<string> Datacenters)
{
    public const string Deployment = "deployment";
    public const string Override = "override";

    /// <summary>
    /// The markers of recorded deployments: at the moment each started pushing (when it was requested, if it never
    /// started), in the datacenters it reached (every datacenter while its targets are not recorded yet; none that the
    /// guardrail blocked or it never reached).
    /// </summary>
    public static IReadOnlyList<TrafficMarker> Of(IEnumerable<Deployment> deployments, IReadOnlyList<string> datacenters)
    {
        ArgumentNullException.ThrowIfNull(deployments);
        return deployments.Select(d =>
        {
            var kind = d.OverrideReason is null ? Deployment : Override;
            // Where it went: a datacenter the guardrail blocked, or the deployment never reached, got nothing to mark.
            var reached = d.Targets.Where(t => t.Outcome is not (DeploymentTargetOutcome.Blocked or DeploymentTargetOutcome.NotPushed))
                .Select(t => t.DatacenterId).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var what = $"#{d.Id} {d.FileNames} to {d.GroupName} by {d.RequestedBy}: {d.State}";
            return new TrafficMarker(d.StartedAt ?? d.RequestedAt, kind,
                kind == Override ? $"override #{d.Id}" : $"deploy #{d.Id}",
                kind == Override ? $"Break-glass deployment {what} (reason: {d.OverrideReason})" : $"Deployment {what}",
                d.Targets.Count > 0 ? reached : datacenters);
        }).OrderBy(m => m.At).ToList();
    }
}

/// <summary>Reads the deployment records the traffic page marks on its charts; the page refreshes them when deployments are written.</summary>
public sealed class TrafficMarkers(DeploymentStore store)
{
    /// <summary>How many recent deployments are read: more than a 5-day window holds in practice.</summary>
    public const int MaxDeployments = 200;

    public ApimConsole.Core.Live.ILiveFeed<long> Writes => store.Writes;

    /// <summary>The markers from <paramref name="from"/> on. A store that cannot be read throws; the page says so beside the charts.</summary>
    public async Task<IReadOnlyList<TrafficMarker>> ReadAsync(DateTimeOffset from, IReadOnlyList<string> datacenters, CancellationToken cancellationToken)
    {
        var deployments = await store.RecentAsync(MaxDeployments, cancellationToken);
        return TrafficMarker.Of(deployments, datacenters).Where(m => m.At >= from).ToList();
    }
}
