using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Deployments;

/// <summary>One datacenter in a break-glass deployment: which of the group's instances it would load, and which not and why.</summary>
/// <param name="NotReachedBecause">Set when nothing can be sent to the datacenter at all (it or its ANMs cannot be reached).</param>
public sealed record OverrideTarget(string DatacenterId, string DatacenterName, string? NotReachedBecause,
    IReadOnlyList<string> WillLoad, IReadOnlyList<string> WillNotLoad);

/// <summary>
/// What a break-glass deployment would do, as the console sees the estate now: an override sends the archive to every
/// datacenter it can reach, so a datacenter that is down or cut off, or whose ANMs are all down, gets nothing, and an
/// instance that is not Up does not load it. Shown before the override is confirmed, so nobody overrides blind.
/// </summary>
public static class OverridePlan
{
    public static IReadOnlyList<OverrideTarget> For(EstateSnapshot snapshot, string? groupId)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.Datacenters.Select(dc => For(dc, groupId)).ToList();
    }

    private static OverrideTarget For(DatacenterSnapshot dc, string? groupId)
    {
        var group = dc.Groups.FirstOrDefault(g => g.Id == groupId);
        var instances = group?.Instances ?? [];
        string? notReached = dc.State switch
        {
            DatacenterState.Down => $"{dc.Id} is down",
            DatacenterState.Unreachable => $"{dc.Id} cannot be reached from this console",
            DatacenterState.Unknown => $"{dc.Id}'s state is unknown",
            _ when dc.AdminNodeManagers.Count > 0 && dc.AdminNodeManagers.All(a => a.State != ComponentState.Up) => $"no Admin Node Manager of {dc.Id} is up",
            _ when group is null => $"{dc.Id} has no group {groupId}",
            _ => null,
        };
        if (notReached is not null)
            return new OverrideTarget(dc.Id, dc.Name, notReached, [], instances.Select(i => $"{i.Name} ({i.Id})").ToList());
        return new OverrideTarget(dc.Id, dc.Name, null,
            instances.Where(i => i.State == ComponentState.Up).Select(i => $"{i.Name} ({i.Id})").ToList(),
            instances.Where(i => i.State != ComponentState.Up).Select(i => $"{i.Name} ({i.Id}, {i.State})").ToList());
    }
}
