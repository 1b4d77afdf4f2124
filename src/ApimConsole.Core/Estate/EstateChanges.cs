namespace ApimConsole.Core.Estate;

/// <summary>One thing that changed between two snapshots: a component, a datacenter or the link.</summary>
public sealed record EstateChange(
    DateTimeOffset At,
    string Subject,
    string SubjectKind,
    string From,
    string To,
    string? Reason);

public static class EstateChanges
{
    /// <summary>What differs between two snapshots, in the order a reader expects: link, datacenters, components.</summary>
    public static IReadOnlyList<EstateChange> Between(EstateSnapshot? before, EstateSnapshot after)
    {
        var changes = new List<EstateChange>();
        if (before is null || before.Link.State != after.Link.State)
            changes.Add(new EstateChange(after.Link.Since, "link", "Link", before?.Link.State.ToString() ?? "None", after.Link.State.ToString(), after.Link.Reason));

        foreach (var dc in after.Datacenters)
        {
            var old = before?.Find(dc.Id);
            if (old is null || old.State != dc.State)
                changes.Add(new EstateChange(dc.Since, dc.Id, "Datacenter", old?.State.ToString() ?? "None", dc.State.ToString(), dc.Reason));
        }

        var previous = before?.AllComponents().ToDictionary(c => c.Key) ?? [];
        foreach (var component in after.AllComponents())
        {
            previous.TryGetValue(component.Key, out var old);
            if (old is null || old.State != component.State)
                changes.Add(new EstateChange(component.Since, component.Key, component.Kind.ToString(), old?.State.ToString() ?? "None", component.State.ToString(), component.Reason));
        }
        return changes;
    }

    /// <summary>True when the two snapshots say the same thing (ignoring when they were taken).</summary>
    public static bool SameContent(EstateSnapshot a, EstateSnapshot b)
    {
        if (a.Link != b.Link || a.Peer?.Available != b.Peer?.Available || a.Peer?.Reason != b.Peer?.Reason || a.Datacenters.Count != b.Datacenters.Count || !Equals(a.LoadBalancer?.State, b.LoadBalancer?.State))
            return false;
        if (!PoolsEqual(a.LoadBalancer, b.LoadBalancer))
            return false;
        for (var i = 0; i < a.Datacenters.Count; i++)
        {
            var x = a.Datacenters[i];
            var y = b.Datacenters[i];
            if (x.Id != y.Id || x.State != y.State || x.Since != y.Since || x.Reason != y.Reason || x.Name != y.Name || x.SeenBy != y.SeenBy)
                return false;
            if (!x.AdminNodeManagers.SequenceEqual(y.AdminNodeManagers, Visible)
                || !x.CassandraNodes.SequenceEqual(y.CassandraNodes, Visible)
                || x.Groups.Count != y.Groups.Count)
                return false;
            for (var g = 0; g < x.Groups.Count; g++)
            {
                var gx = x.Groups[g];
                var gy = y.Groups[g];
                if (gx.Id != gy.Id || gx.Name != gy.Name || gx.Zone != gy.Zone || !gx.Instances.SequenceEqual(gy.Instances, Visible))
                    return false;
            }
        }
        return true;
    }

    /// <summary>Equality of what a reader sees: a failing probe that has not changed a state is not news, nor is one more success.</summary>
    private static readonly IEqualityComparer<ComponentStatus> Visible = EqualityComparer<ComponentStatus>.Create(
        (a, b) => a is null ? b is null : b is not null && Seen(a).Equals(Seen(b)),
        c => Seen(c).GetHashCode());

    private static ComponentStatus Seen(ComponentStatus c) => c with { Failing = false, FailingSince = null, LastSuccessStarted = null };

    private static bool PoolsEqual(LoadBalancerView? a, LoadBalancerView? b) =>
        a is null ? b is null : b is not null && a.Pools.SequenceEqual(b.Pools) && a.Reason == b.Reason
            && (a.UnreadMembers ?? []).SequenceEqual(b.UnreadMembers ?? [], StringComparer.Ordinal);
}
