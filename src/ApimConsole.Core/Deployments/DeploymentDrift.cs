namespace ApimConsole.Core.Deployments;

/// <summary>The archive one instance runs, as its datacenter's ANM reports it.</summary>
public sealed record DeployedInstance(string DatacenterId, string GroupId, string GroupName, string InstanceId, string InstanceName, string? ArchiveId);

/// <summary>One group across the datacenters: which archive each instance runs and whether they agree.</summary>
/// <param name="Drift">True when the group's instances (in one DC or across DCs) run different archives.</param>
/// <param name="UnreadDatacenters">Datacenters whose ANM could not be read: the group cannot be compared there.</param>
public sealed record GroupDeploymentState(
    string GroupId,
    string GroupName,
    IReadOnlyList<DeployedInstance> Instances,
    bool Drift,
    string Summary,
    IReadOnlyList<string> UnreadDatacenters);

/// <summary>Compares deployed archives per group. Pure.</summary>
public static class DeploymentDrift
{
    public static IReadOnlyList<GroupDeploymentState> Assess(IReadOnlyList<DeployedInstance> instances, IReadOnlyCollection<string> unreadDatacenters)
    {
        var unread = unreadDatacenters.Order(StringComparer.Ordinal).ToList();
        return instances
            .GroupBy(i => i.GroupId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(group =>
            {
                var list = group.OrderBy(i => i.DatacenterId, StringComparer.Ordinal).ThenBy(i => i.InstanceId, StringComparer.Ordinal).ToList();
                var archives = list.Select(i => i.ArchiveId ?? "").Distinct().ToList();
                var drift = archives.Count > 1;
                string summary;
                if (!drift)
                {
                    summary = $"All {list.Count} instances run {Short(archives[0])}.";
                }
                else
                {
                    // Per datacenter and archive: "dc1: 2 × 1a2b3c4d; dc2: 1 × 1a2b3c4d, 1 × 9f8e7d6c".
                    summary = "Instances run different archives: " + string.Join("; ", list.GroupBy(i => i.DatacenterId).Select(dc =>
                        $"{dc.Key}: " + string.Join(", ", dc.GroupBy(i => i.ArchiveId ?? "").Select(a => $"{a.Count()} × {Short(a.Key)}")))) + ".";
                }
                if (unread.Count > 0)
                    summary += $" Not compared with {string.Join(", ", unread)}: its ANM could not be read.";
                return new GroupDeploymentState(group.Key, list[0].GroupName, list, drift, summary, unread);
            })
            .ToList();
    }

    /// <summary>The first 12 characters of an archive id, enough to tell archives apart on a screen.</summary>
    public static string Short(string? archiveId) =>
        string.IsNullOrEmpty(archiveId) ? "no archive" : archiveId.Length > 12 ? archiveId[..12] : archiveId;
}
