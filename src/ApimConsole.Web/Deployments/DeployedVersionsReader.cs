using ApimConsole.Core.Deployments;
using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>Per group, which archive each instance of each datacenter runs, and where they drift apart.</summary>
/// <param name="Unread">Datacenters whose ANM could not be read, with why.</param>
public sealed record DeployedVersions(DateTimeOffset AsOf, IReadOnlyList<GroupDeploymentState> Groups, IReadOnlyDictionary<string, string> Unread)
{
    public bool Drift => Groups.Any(g => g.Drift);
}

/// <summary>
/// Asks every datacenter's ANM (<c>GET /deployment/domain/deployments</c>) at once, each call under its deadline. That
/// answer names groups and instances by id only; their names come from the topology the status engine last read.
/// </summary>
public sealed class DeployedVersionsReader(AdminNodeManagerConnections anms, IOptions<DeploymentOptions> options, TimeProvider time, IEstateStatus status)
{
    public async Task<DeployedVersions> ReadAsync(CancellationToken cancellationToken)
    {
        var reads = anms.DatacenterIds.Select(dc => ReadDatacenterAsync(dc, cancellationToken)).ToList();
        var results = await Task.WhenAll(reads);
        var estate = status.Current;
        var instances = results.Where(r => r.Groups is not null)
            .SelectMany(r =>
            {
                var known = estate.Find(r.Datacenter)?.Groups ?? [];
                return r.Groups!.SelectMany(g =>
                {
                    var group = known.FirstOrDefault(k => k.Id == g.GroupId);
                    return g.Instances.Select(i => new DeployedInstance(r.Datacenter, g.GroupId, group?.Name ?? g.GroupName,
                        i.InstanceId, group?.Instances.FirstOrDefault(k => k.Id == i.InstanceId)?.Name ?? i.InstanceName, i.ArchiveId));
                });
            })
            .ToList();
        var unread = results.Where(r => r.Groups is null).ToDictionary(r => r.Datacenter, r => r.Problem!);
        return new DeployedVersions(time.GetUtcNow(), DeploymentDrift.Assess(instances, unread.Keys), unread);
    }

    private async Task<(string Datacenter, IReadOnlyList<AnmGroupDeployments>? Groups, string? Problem)> ReadDatacenterAsync(string dc, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var client in anms.For(dc))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Value.ReadTimeout);
            try
            {
                // The ANM's node manager group has no gateways and so no archive.
                var groups = (await client.GetDeploymentsAsync(deadline.Token)).Where(g => g.Instances.Count > 0 && g.GroupId != "group-1").ToList();
                return (dc, groups, null);
            }
            catch (Exception ex) when (ex is HttpRequestException or AnmProtocolException or IOException
                                       || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add(ex is OperationCanceledException ? $"no answer within {options.Value.ReadTimeout.TotalSeconds:0.###} s" : ProbeOutcome.Describe(ex));
            }
        }
        return (dc, null, problems.Count == 0 ? "no ANM is configured" : string.Join("; ", problems));
    }
}
