using System.Security.Claims;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

/// <summary>What someone asks to deploy, from the API's form or the Deployments page.</summary>
/// <param name="Kind"><c>GatewayConfiguration</c> or <c>KpsTableStructure</c>.</param>
/// <param name="Group">A group id (<c>group-2</c>), its name (<c>DMZ</c>) or its zone (<c>internal</c>, <c>dmz</c>).</param>
/// <param name="OverrideReason">Break-glass: why to deploy although the guardrail blocks.</param>
/// <param name="ConfirmWarnings">The requester has seen the guardrail's warnings and deploys anyway.</param>
public sealed record DeploymentSubmission(
    string? Kind,
    string? Group,
    IReadOnlyList<(string FileName, Stream Content)> Files,
    string? OverrideReason,
    bool ConfirmWarnings,
    ClaimsPrincipal User);

/// <summary>The answer to a <see cref="DeploymentSubmission"/>. Only <see cref="Accepted"/> stored or will push anything.</summary>
public abstract record SubmissionResult
{
    /// <summary>Stored as Pending and handed to the executor, which pushes it in the background.</summary>
    public sealed record Accepted(Deployment Deployment) : SubmissionResult;
    /// <summary>Bad input: nothing stored, nothing pushed.</summary>
    public sealed record Invalid(string Problem) : SubmissionResult;
    /// <summary>The guardrail blocks it now. <paramref name="OverrideAllowed"/>: a written reason would let it through.</summary>
    public sealed record Blocked(GuardrailVerdict Verdict, bool OverrideAllowed, string Message) : SubmissionResult;
    /// <summary>The guardrail warns: ask again with the warnings confirmed.</summary>
    public sealed record NeedsConfirmation(GuardrailVerdict Verdict) : SubmissionResult;
    /// <summary>An override was asked for by someone who may not override.</summary>
    public sealed record OverrideRefused(string Problem) : SubmissionResult;
    /// <summary>The requester is not an Administrator: nothing stored, nothing pushed.</summary>
    public sealed record NotAllowed(string Problem) : SubmissionResult;
    /// <summary>The console in the other datacenter is running a deployment: nothing pushed (no override: one at a time).</summary>
    public sealed record PeerBusy(string Message, string PeerDatacenter, ApimConsole.Core.Peer.PeerDeployment PeerDeployment) : SubmissionResult;
}

/// <summary>
/// Takes a deployment request: checks the input (kind, group, archive), asks the guardrail, records the request and
/// any override in the audit log, stores it, and hands it to the <see cref="DeploymentExecutor"/>. The guardrail is
/// asked again by the executor before each datacenter: accepting a request promises nothing about later.
/// </summary>
public sealed class DeploymentRequests(
    DeploymentStore store,
    AuditLog audit,
    DeploymentExecutor executor,
    DeploymentGateAccess gate,
    IEstateStatus status,
    IDeploymentOverrideAuthorization authorization,
    IOptions<DeploymentOptions> options,
    TimeProvider time,
    ApimConsole.Web.Peer.PeerDeploymentExclusion? peerExclusion = null)
{
    public const int MinOverrideReasonLength = DeploymentOverrideReason.MinLength;
    public const int MaxOverrideReasonLength = DeploymentOverrideReason.MaxLength;

    public async Task<SubmissionResult> SubmitAsync(DeploymentSubmission submission, CancellationToken cancellationToken)
    {
        // Enforced here as well as on the API and the page: whoever calls, only an Administrator deploys.
        if (!submission.User.IsInRole(ApimConsole.Web.Security.ConsoleRoles.Administrator))
            return new SubmissionResult.NotAllowed($"Only an Administrator may deploy; {Actor(submission.User)} is not one.");
        if (!TryParseKind(submission.Kind, out var kind))
            return new SubmissionResult.Invalid(string.IsNullOrWhiteSpace(submission.Kind)
                ? "The kind is missing: GatewayConfiguration or KpsTableStructure."
                : $"The kind '{Shorten(submission.Kind)}' is unknown: use GatewayConfiguration or KpsTableStructure.");

        var snapshot = status.Current;
        var groups = KnownGroups(snapshot);
        var group = FindGroup(groups, submission.Group);
        if (group is null)
            return new SubmissionResult.Invalid(string.IsNullOrWhiteSpace(submission.Group)
                ? $"The group is missing: one of {Describe(groups)}."
                : $"The group '{Shorten(submission.Group)}' is unknown: use one of {Describe(groups)}.");

        var reason = submission.OverrideReason?.Trim();
        if (reason is { Length: > 0 } && DeploymentOverrideReason.Problem(reason) is { } reasonProblem)
            return new SubmissionResult.Invalid(reasonProblem);

        var check = DeploymentArchiveValidator.Validate(submission.Files, options.Value.Limits);
        if (!check.IsValid)
            return new SubmissionResult.Invalid(check.Problem!);
        var archive = check.Archive!;

        var actor = Actor(submission.User);
        var datacenters = snapshot.Datacenters.Select(d => d.Id).ToList();
        var verdict = gate.Evaluate(kind, datacenters);
        var target = $"{group.Id} ({group.Name})";
        var overriding = false;

        if (verdict.Decision == GuardrailDecision.Block)
        {
            if (string.IsNullOrEmpty(reason) || !options.Value.AllowOverride)
            {
                var message = !options.Value.AllowOverride
                    ? "The guardrail blocks this deployment, and overrides are switched off (Deployments:AllowOverride)."
                    : "The guardrail blocks this deployment. An administrator may override it with a written reason.";
                await audit.RecordAsync(actor, "deployment.refused", target,
                    $"{kind} {archive.FileNames}: {Describe(verdict)}", cancellationToken);
                return new SubmissionResult.Blocked(verdict, options.Value.AllowOverride, message);
            }
            if (!authorization.MayOverride(submission.User))
                return new SubmissionResult.OverrideRefused("Only an administrator may override the guardrail.");
            overriding = true;
        }
        else if (verdict.Decision == GuardrailDecision.Warn && !submission.ConfirmWarnings)
        {
            return new SubmissionResult.NeedsConfirmation(verdict);
        }

        // One console at a time: a deployment the peer console runs refuses this one, before anything is stored...
        if (peerExclusion is not null && await peerExclusion.PeerRunningAsync(cancellationToken) is { } busy)
        {
            await audit.RecordAsync(actor, "deployment.refused", target, $"{kind} {archive.FileNames}: {busy.Message}", cancellationToken);
            return new SubmissionResult.PeerBusy(busy.Message, busy.Datacenter, busy.Deployment);
        }

        var deployment = new Deployment
        {
            RequestedAt = time.GetUtcNow(),
            RequestedBy = actor,
            Kind = kind,
            GroupId = group.Id,
            GroupName = group.Name,
            Format = archive.Format,
            FileNames = archive.FileNames,
            Bytes = archive.Bytes,
            Sha256 = archive.Sha256,
            RequestDecision = verdict.Decision,
            RequestReasons = verdict.Reasons.Count == 0 ? null : string.Join("\n", verdict.Reasons),
            WarningsConfirmed = verdict.Decision == GuardrailDecision.Warn && submission.ConfirmWarnings,
            OverrideReason = overriding ? reason : null,
            State = DeploymentState.Pending,
            Targets = datacenters.Select(dc => new DeploymentTarget
            {
                DatacenterId = dc, Outcome = DeploymentTargetOutcome.Pending, UpdatedAt = time.GetUtcNow(),
            }).ToList(),
        };

        // Stored with its audit entries in one transaction, and queued only then: an action that cannot be audited does
        // not happen, and a stored request always has its entry.
        await store.AddAsync(deployment, stored =>
        {
            var notes = new List<AuditNote>();
            if (overriding)
            {
                notes.Add(new AuditNote(actor, "deployment.override", target,
                    $"Deployment {stored.Id}: {kind} {archive.FileNames} (sha256 {archive.Sha256}) deployed against the guardrail. Reason: {reason}. " +
                    $"Guardrail at that moment: {Describe(verdict)}. Estate at that moment: {DescribeEstate(snapshot)}"));
            }
            notes.Add(new AuditNote(actor, "deployment.requested", target,
                $"Deployment {stored.Id}: {kind} {archive.FileNames} (sha256 {archive.Sha256}); guardrail {Describe(verdict)}" +
                (stored.WarningsConfirmed ? "; warnings confirmed" : "")));
            return notes;
        }, cancellationToken);
        // ...and again once this one is stored (Pending, so the peer sees it): of two asking at once, neither pushes.
        if (peerExclusion is not null && await peerExclusion.PeerRunningAsync(cancellationToken) is { } raced)
        {
            await store.SetStateAsync(deployment.Id, DeploymentState.Failed, $"Refused: {raced.Message} Nothing was pushed.",
                new AuditNote(actor, "deployment.refused", target, $"Deployment {deployment.Id}: {raced.Message}"), CancellationToken.None);
            return new SubmissionResult.PeerBusy(raced.Message, raced.Datacenter, raced.Deployment);
        }
        executor.Enqueue(new DeploymentWork(deployment.Id, kind, group.Id, archive, overriding, deployment.WarningsConfirmed));
        return new SubmissionResult.Accepted(deployment);
    }

    public static bool TryParseKind(string? text, out ChangeKind kind)
    {
        kind = default;
        // Names only: Enum.TryParse would also take "1" or "7".
        var match = Enum.GetNames<ChangeKind>().FirstOrDefault(n => string.Equals(n, text?.Trim(), StringComparison.OrdinalIgnoreCase));
        return match is not null && Enum.TryParse(match, out kind);
    }

    /// <summary>The gateway groups the status engine knows of, from every datacenter's ANM topology.</summary>
    public static IReadOnlyList<GatewayGroupStatus> KnownGroups(EstateSnapshot snapshot) =>
        snapshot.Datacenters.SelectMany(d => d.Groups).GroupBy(g => g.Id, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
            .OrderBy(g => g.Id, StringComparer.Ordinal).ToList();

    private static GatewayGroupStatus? FindGroup(IReadOnlyList<GatewayGroupStatus> groups, string? text)
    {
        var wanted = text?.Trim();
        if (string.IsNullOrEmpty(wanted))
            return null;
        var byId = groups.FirstOrDefault(g => string.Equals(g.Id, wanted, StringComparison.OrdinalIgnoreCase))
            ?? groups.FirstOrDefault(g => string.Equals(g.Name, wanted, StringComparison.OrdinalIgnoreCase));
        if (byId is not null)
            return byId;
        GatewayZone? zone = wanted.ToLowerInvariant() switch { "internal" => GatewayZone.Internal, "dmz" => GatewayZone.Dmz, _ => null };
        var inZone = groups.Where(g => g.Zone == zone).ToList();
        return inZone.Count == 1 ? inZone[0] : null;
    }

    public static string Actor(ClaimsPrincipal user) =>
        ApimConsole.Web.Security.ConsoleActor.Of(user);

    public static string Describe(GuardrailVerdict verdict) =>
        $"{verdict.Decision} as of {verdict.AsOf:u}" + (verdict.Reasons.Count > 0 ? ": " + string.Join("; ", verdict.Reasons) : "");

    private static string DescribeEstate(EstateSnapshot snapshot) =>
        string.Join(", ", snapshot.Datacenters.Select(d => $"{d.Id} {d.State}" + (d.Reason is null ? "" : $" ({d.Reason})")))
        + $", link {snapshot.Link.State}" + (snapshot.Link.Reason is null ? "" : $" ({snapshot.Link.Reason})") + $" as of {snapshot.AsOf:u}";

    private static string Describe(IReadOnlyList<GatewayGroupStatus> groups) =>
        groups.Count == 0 ? "(no group known yet: no ANM has answered)" : string.Join(", ", groups.Select(g => $"{g.Id} ({g.Name})"));

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
