using ApimConsole.Core.Deployments;
using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Core.Estate;
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
/// Asks every datacenter's ANM (<c>GET /deployment/domain/deployments</c>) at once and answers with what it has within
/// <see cref="DeploymentOptions.ReadTimeout"/>: a datacenter's ANMs are asked together (the first answer is used), all
/// under one deadline, so a hung ANM costs at most the read timeout, never one timeout per ANM. An ANM the status engine
/// already reports Down is not asked: its datacenter is unread at once, with the engine's reason. That answer names
/// groups and instances by id only; their names come from the topology the status engine last read.
/// </summary>
public sealed class DeployedVersionsReader(AdminNodeManagerConnections anms, IOptions<DeploymentOptions> options, TimeProvider time, IEstateStatus status)
{
    public async Task<DeployedVersions> ReadAsync(CancellationToken cancellationToken)
    {
        var snapshot = status.Current;
        using var deadline = new CancellationTokenSource(options.Value.ReadTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var reads = anms.DatacenterIds.Select(dc => ReadDatacenterAsync(dc, snapshot, linked.Token, cancellationToken)).ToList();
        var results = await Task.WhenAll(reads);
        var estate = snapshot;
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

    private async Task<(string Datacenter, IReadOnlyList<AnmGroupDeployments>? Groups, string? Problem)> ReadDatacenterAsync(
        string dc, EstateSnapshot? snapshot, CancellationToken deadline, CancellationToken caller)
    {
        var problems = new List<string>();
        // The ANMs still asking when one has answered are cancelled.
        using var others = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        try
        {
            return await ReadFirstAsync(dc, snapshot, others.Token, caller, problems);
        }
        finally
        {
            await others.CancelAsync();
        }
    }

    private async Task<(string Datacenter, IReadOnlyList<AnmGroupDeployments>? Groups, string? Problem)> ReadFirstAsync(
        string dc, EstateSnapshot? snapshot, CancellationToken deadline, CancellationToken caller, List<string> problems)
    {
        var asked = new List<(AdminNodeManagerClient Client, Task<IReadOnlyList<AnmGroupDeployments>> Read)>();
        var known = snapshot?.Find(dc);
        foreach (var (componentId, client) in anms.WithComponentIds(dc))
        {
            if (known?.AdminNodeManagers.FirstOrDefault(a => a.Id == componentId) is { State: ComponentState.Down } down)
            {
                problems.Add($"not asked: the ANM is Down ({down.Reason ?? "no reason given"})");
                continue;
            }
            asked.Add((client, client.GetDeploymentsAsync(deadline)));
        }
        var pending = asked.Select(a => a.Read).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            try
            {
                // The ANM's node manager group has no gateways and so no archive.
                var groups = (await done).Where(g => g.Instances.Count > 0 && g.GroupId != "group-1").ToList();
                return (dc, groups, null);
            }
            // (A bare SocketException out of HttpClient arrives as an HttpRequestException: TransportFailureHandler.)
            catch (Exception ex) when (ex is HttpRequestException or AnmProtocolException or IOException
                                       || ex is OperationCanceledException && !caller.IsCancellationRequested)
            {
                problems.Add(ex is OperationCanceledException ? $"no answer within {options.Value.ReadTimeout.TotalSeconds:0.###} s" : ProbeOutcome.Describe(ex));
            }
        }
        caller.ThrowIfCancellationRequested();
        return (dc, null, problems.Count == 0 ? "no ANM is configured" : string.Join("; ", problems.Distinct()));
    }
}
