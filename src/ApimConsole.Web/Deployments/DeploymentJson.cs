using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Deployments;

/// <summary>The JSON shape of a deployment in the API: the record with its results per datacenter and per instance.</summary>
public static class DeploymentJson
{
    public static object Of(Deployment d) => new
    {
        id = d.Id,
        kind = d.Kind,
        groupId = d.GroupId,
        groupName = d.GroupName,
        format = d.Format,
        files = d.FileNames,
        bytes = d.Bytes,
        sha256 = d.Sha256,
        requestedAt = d.RequestedAt,
        requestedBy = d.RequestedBy,
        guardrail = new { decision = d.RequestDecision, reasons = d.RequestReasons?.Split('\n') ?? [] },
        warningsConfirmed = d.WarningsConfirmed,
        overrideReason = d.OverrideReason,
        state = d.State,
        summary = d.Summary,
        startedAt = d.StartedAt,
        finishedAt = d.FinishedAt,
        datacenters = d.Targets.Where(t => t.InstanceId is null).Select(dc => new
        {
            id = dc.DatacenterId,
            outcome = dc.Outcome,
            archiveId = dc.ArchiveId,
            message = dc.Message,
            updatedAt = dc.UpdatedAt,
            instances = d.Targets.Where(t => t.InstanceId is not null && t.DatacenterId == dc.DatacenterId).Select(i => new
            {
                id = i.InstanceId,
                outcome = i.Outcome,
                archiveId = i.ArchiveId,
                message = i.Message,
                updatedAt = i.UpdatedAt,
                learnedAt = i.LearnedAt,
                inFlightWhenBlocked = i.InFlightWhenBlocked,
            }).ToArray(),
        }).ToArray(),
    };
}
