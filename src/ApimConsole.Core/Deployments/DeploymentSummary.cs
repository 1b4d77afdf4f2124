namespace ApimConsole.Core.Deployments;

/// <summary>What came of a deployment on one instance, as recorded.</summary>
public sealed record InstanceOutcome(string DatacenterId, string InstanceId, DeploymentTargetOutcome Outcome);

/// <summary>
/// A deployment's outcome counted per datacenter, in the words the records use: "dc1: 2 of 2 loaded; dc2: not reached".
/// Each instance is Loaded, Not loaded, Not reached (nothing was sent to it) or Unknown (sent, outcome still being
/// learned from the estate); a datacenter none of whose instances was sent the load is "not reached".
/// </summary>
public static class DeploymentSummary
{
    /// <summary>Where the per-datacenter counts start in a summary, so they can be counted again when an outcome is learned later.</summary>
    public const string Marker = "Per datacenter: ";

    public static bool IsLoaded(DeploymentTargetOutcome outcome) => outcome == DeploymentTargetOutcome.Loaded;

    public static bool IsNotLoaded(DeploymentTargetOutcome outcome) =>
        outcome is DeploymentTargetOutcome.RolledBack or DeploymentTargetOutcome.NotApplied or DeploymentTargetOutcome.Failed;

    public static bool IsNotReached(DeploymentTargetOutcome outcome) =>
        outcome is DeploymentTargetOutcome.NotPushed or DeploymentTargetOutcome.Blocked;

    /// <summary>"dc1: 2 of 2 loaded; dc2: not reached", in the order of <paramref name="datacenters"/>.</summary>
    public static string PerDatacenter(IEnumerable<string> datacenters, IReadOnlyCollection<InstanceOutcome> instances)
    {
        ArgumentNullException.ThrowIfNull(datacenters);
        ArgumentNullException.ThrowIfNull(instances);
        return string.Join("; ", datacenters.Select(dc => $"{dc}: {Datacenter(instances.Where(i => string.Equals(i.DatacenterId, dc, StringComparison.OrdinalIgnoreCase)).ToList())}"));
    }

    /// <summary>A summary: the headline, then the per-datacenter counts after <see cref="Marker"/>.</summary>
    public static string Compose(string headline, IEnumerable<string> datacenters, IReadOnlyCollection<InstanceOutcome> instances) =>
        $"{headline.TrimEnd()} {Marker}{PerDatacenter(datacenters, instances)}.";

    /// <summary>The same summary with its per-datacenter counts made again (a summary without them gets them appended).</summary>
    public static string Recount(string? summary, IEnumerable<string> datacenters, IReadOnlyCollection<InstanceOutcome> instances)
    {
        var at = summary?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        var headline = at < 0 ? summary ?? "" : summary![..at];
        return Compose(headline, datacenters, instances);
    }

    /// <summary>
    /// The end state from the recorded instances: <paramref name="stopped"/> wins; every instance of every datacenter
    /// loaded is success; none loaded (and none unknown) is failure; anything else is partial.
    /// </summary>
    public static DeploymentState Conclude(bool stopped, int datacenters, IReadOnlyCollection<InstanceOutcome> instances)
    {
        if (stopped)
            return DeploymentState.Stopped;
        var loaded = instances.Count(i => IsLoaded(i.Outcome));
        var reachedEverywhere = instances.Select(i => i.DatacenterId).Distinct(StringComparer.OrdinalIgnoreCase).Count() >= datacenters;
        if (loaded > 0 && loaded == instances.Count && reachedEverywhere)
            return DeploymentState.Succeeded;
        if (loaded == 0 && !instances.Any(i => i.Outcome == DeploymentTargetOutcome.Unknown))
            return DeploymentState.Failed;
        return DeploymentState.PartiallyApplied;
    }

    private static string Datacenter(IReadOnlyList<InstanceOutcome> instances)
    {
        if (instances.Count == 0 || instances.All(i => IsNotReached(i.Outcome)))
            return "not reached";
        var parts = new List<string> { $"{instances.Count(i => IsLoaded(i.Outcome))} of {instances.Count} loaded" };
        void Add(int count, string what)
        {
            if (count > 0)
                parts.Add($"{count} {what}");
        }
        Add(instances.Count(i => IsNotLoaded(i.Outcome)), "not loaded");
        Add(instances.Count(i => i.Outcome == DeploymentTargetOutcome.Unknown), "unknown (still learning)");
        Add(instances.Count(i => IsNotReached(i.Outcome)), "not reached");
        Add(instances.Count(i => i.Outcome is DeploymentTargetOutcome.Pending or DeploymentTargetOutcome.Uploaded), "pending");
        return string.Join(", ", parts);
    }
}
