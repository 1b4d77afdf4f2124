using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// Which archive each instance of a group runs in one datacenter, as its ANM reported it at <paramref name="AskedAt"/>;
/// <paramref name="Running"/> null when no ANM of the datacenter could be read, with <paramref name="Problem"/> saying why.
/// </summary>
public sealed record GroupArchives(IReadOnlyDictionary<string, string?>? Running, DateTimeOffset AskedAt, string? Problem);

/// <summary>
/// Reads a group's deployed archives from a datacenter's ANMs (<c>GET /deployment/domain/deployments</c>, the same
/// view <see cref="DeployedVersionsReader"/> reads), the first ANM that answers, each within
/// <see cref="DeploymentOptions.ReadTimeout"/>. What the console learns a load's outcome from.
/// </summary>
public sealed class GroupArchivesReader(AdminNodeManagerConnections anms, IOptions<DeploymentOptions> options, TimeProvider time)
{
    public async Task<GroupArchives> ReadAsync(string dc, string groupId, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var client in anms.For(dc))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Value.ReadTimeout);
            try
            {
                var groups = await client.GetDeploymentsAsync(deadline.Token);
                var group = groups.FirstOrDefault(g => g.GroupId == groupId);
                var running = (group?.Instances ?? []).ToDictionary(i => i.InstanceId, i => i.ArchiveId, StringComparer.Ordinal);
                return new GroupArchives(running, time.GetUtcNow(), null);
            }
            catch (Exception ex) when (ex is HttpRequestException or AnmProtocolException or IOException
                                       || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                problems.Add($"{client.BaseUrl}: " + (ex is OperationCanceledException ? $"no answer within {options.Value.ReadTimeout.TotalSeconds:0.###} s" : ProbeOutcome.Describe(ex)));
            }
        }
        return new GroupArchives(null, time.GetUtcNow(), problems.Count == 0 ? "no ANM is configured" : string.Join("; ", problems));
    }
}
