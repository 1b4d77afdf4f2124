namespace ApimConsole.Lab.AdminNodeManager;

/// <summary>
/// One configuration push an Admin Node Manager received for an instance, whatever came of it: <paramref name="ReceivedAt"/>
/// when the load request arrived, <paramref name="Time"/> when it was carried out (after <c>Lab:PushDelay</c>).
/// </summary>
public sealed record LabDeploymentPush(
    long Sequence,
    DateTimeOffset ReceivedAt,
    DateTimeOffset Time,
    string DatacenterId,
    string GroupId,
    string InstanceId,
    string ArchiveId,
    string Outcome);

/// <summary>The lab's append-only record of every deployment push, across both datacenters (race tests read it).</summary>
public sealed class DeploymentLog
{
    public const string Loaded = "Loaded";
    public const string RolledBack = "RolledBack";
    public const string UnknownArchive = "UnknownArchive";
    public const string InstanceUnavailable = "InstanceUnavailable";

    private readonly Lock _gate = new();
    private readonly List<LabDeploymentPush> _pushes = [];

    public LabDeploymentPush Append(DateTimeOffset receivedAt, DateTimeOffset time, string datacenterId, string groupId, string instanceId, string archiveId, string outcome)
    {
        lock (_gate)
        {
            var push = new LabDeploymentPush(_pushes.Count + 1, receivedAt, time, datacenterId, groupId, instanceId, archiveId, outcome);
            _pushes.Add(push);
            return push;
        }
    }

    public IReadOnlyList<LabDeploymentPush> Snapshot()
    {
        lock (_gate)
            return _pushes.ToArray();
    }
}
