using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;

namespace ApimConsole.Storage.Records;

/// <summary>
/// One requested deployment of a configuration (or KPS table structure) archive to a group in every datacenter. The
/// archive's bytes are not kept: the record says what was sent (names, size, hash) and what came of it.
/// </summary>
public sealed class Deployment
{
    public long Id { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    /// <summary>The signed-in user's name, or <c>token:&lt;name&gt;</c> for an API token.</summary>
    public required string RequestedBy { get; set; }
    public ChangeKind Kind { get; set; }
    public required string GroupId { get; set; }
    public required string GroupName { get; set; }
    public DeploymentArchiveFormat Format { get; set; }
    /// <summary><c>prod.fed</c>, or <c>zone.pol + zone.env</c>.</summary>
    public required string FileNames { get; set; }
    public long Bytes { get; set; }
    public required string Sha256 { get; set; }

    /// <summary>The guardrail's verdict when the request was accepted, and its reasons (one per line).</summary>
    public GuardrailDecision RequestDecision { get; set; }
    public string? RequestReasons { get; set; }
    /// <summary>The requester saw the guardrail's warnings and deployed anyway.</summary>
    public bool WarningsConfirmed { get; set; }
    /// <summary>Set for a break-glass deployment: the written reason to deploy against a Block.</summary>
    public string? OverrideReason { get; set; }

    public DeploymentState State { get; set; }
    /// <summary>One sentence on the outcome, e.g. which datacenters got it.</summary>
    public string? Summary { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    public List<DeploymentTarget> Targets { get; set; } = [];
}

/// <summary>What came of a deployment for one datacenter (<see cref="InstanceId"/> null) or one of its instances.</summary>
public sealed class DeploymentTarget
{
    public long Id { get; set; }
    public long DeploymentId { get; set; }
    public required string DatacenterId { get; set; }
    public string? InstanceId { get; set; }
    public DeploymentTargetOutcome Outcome { get; set; }
    /// <summary>The archive id the datacenter's ANM gave the upload.</summary>
    public string? ArchiveId { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>
    /// When the console learned <see cref="Outcome"/> from the estate (the ANM's answer to the load, or the archive the
    /// ANM reports the instance runs); null while it is still <see cref="DeploymentTargetOutcome.Unknown"/> or for
    /// outcomes that need no learning (not reached, blocked).
    /// </summary>
    public DateTimeOffset? LearnedAt { get; set; }
    /// <summary>The load was on the wire when the guardrail published Block for its datacenter; it was named on that turn.</summary>
    public bool InFlightWhenBlocked { get; set; }
}
