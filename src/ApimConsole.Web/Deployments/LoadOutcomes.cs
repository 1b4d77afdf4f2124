using ApimConsole.Core.Deployments;
using ApimConsole.Monitoring.AdminNodeManager;

namespace ApimConsole.Web.Deployments;

/// <summary>An instance's outcome as learned (never guessed), with when the console learned it (null: not yet).</summary>
public sealed record LearnedOutcome(DeploymentTargetOutcome Outcome, string? Message, DateTimeOffset? LearnedAt);

/// <summary>
/// Learns what came of one load from the estate. A load cannot be recalled once on the wire, so when its call ended
/// without an answer, or it was still in flight when the guardrail published Block, the console asks the datacenter's
/// ANM which archive the instance runs: the archive it sent is Loaded; anything else is not known to be final while a
/// load may still be completing (up to <see cref="DeploymentOptions.PushTimeout"/>), so it stays Unknown and
/// <see cref="DeploymentOutcomeLearner"/> keeps asking. An ANM that cannot be read leaves it Unknown too.
/// </summary>
public sealed class LoadOutcomes(GroupArchivesReader archives, TimeProvider time)
{
    public const string InFlightNote = "In flight when Block was published (a load on the wire cannot be recalled).";

    /// <summary>The time an answer is recorded as learned at.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>After the load call ended: with the ANM's answer (<paramref name="answer"/>), or without one (<paramref name="failure"/>).</summary>
    public async Task<LearnedOutcome> AfterLoadAsync(string dc, string groupId, string instanceId, string archiveId,
        AnmPushResult? answer, string? failure, bool inFlightWhenBlocked, CancellationToken cancellationToken)
    {
        var answeredAt = time.GetUtcNow();
        if (answer is not null && !inFlightWhenBlocked)
            return FromAnswer(answer, answeredAt, null);

        var note = inFlightWhenBlocked ? InFlightNote + " " : "";
        var read = await archives.ReadAsync(dc, groupId, cancellationToken);
        if (read.Running is { } running)
        {
            running.TryGetValue(instanceId, out var runs);
            if (string.Equals(runs, archiveId, StringComparison.Ordinal))
                return new LearnedOutcome(DeploymentTargetOutcome.Loaded, $"{note}Runs {archiveId}, as {dc}'s ANM reported at {read.AskedAt:u}.", read.AskedAt);
            if (answer is not null)
                return FromAnswer(answer, answeredAt, $"{note}At {read.AskedAt:u} {dc}'s ANM reports it runs {runs ?? "no archive"}.");
            return new LearnedOutcome(DeploymentTargetOutcome.Unknown,
                $"{note}Unknown: the load ended without an answer ({failure}); at {read.AskedAt:u} {dc}'s ANM reports it still runs {runs ?? "no archive"}. " +
                "The load may still be completing; the console keeps asking the ANM.", null);
        }
        if (answer is not null)
            return FromAnswer(answer, answeredAt, $"{note}{dc}'s ANM could not be asked which archive it runs ({read.Problem}); this is its answer to the load.");
        return new LearnedOutcome(DeploymentTargetOutcome.Unknown,
            $"{note}Unknown: the load ended without an answer ({failure}) and {dc}'s ANM could not be asked which archive it runs ({read.Problem}); the console keeps asking.", null);
    }

    /// <summary>
    /// An instance still Unknown since <paramref name="unknownSince"/>, against a fresh reading of its group: Loaded when it
    /// runs the archive; Not loaded once a load could no longer be completing (<paramref name="settle"/>, the push timeout,
    /// after it went unknown); otherwise still Unknown (null: unchanged).
    /// </summary>
    public static LearnedOutcome? Later(GroupArchives read, string dc, string instanceId, string archiveId, DateTimeOffset unknownSince, string? previousNote,
        TimeSpan settle)
    {
        if (read.Running is not { } running)
            return null;
        var note = previousNote is not null && previousNote.StartsWith(InFlightNote, StringComparison.Ordinal) ? InFlightNote + " " : "";
        running.TryGetValue(instanceId, out var runs);
        if (string.Equals(runs, archiveId, StringComparison.Ordinal))
            return new LearnedOutcome(DeploymentTargetOutcome.Loaded, $"{note}Runs {archiveId}, as {dc}'s ANM reported at {read.AskedAt:u}.", read.AskedAt);
        if (read.AskedAt - unknownSince < settle)
            return null;
        return new LearnedOutcome(DeploymentTargetOutcome.NotApplied,
            $"{note}Not loaded: {settle.TotalSeconds:0.#} s after its load ended, {dc}'s ANM reports at {read.AskedAt:u} that it runs {runs ?? "no archive"}.", read.AskedAt);
    }

    private static LearnedOutcome FromAnswer(AnmPushResult answer, DateTimeOffset at, string? note)
    {
        var prefix = note is null ? "" : note + " ";
        return answer.Status == AnmLoadStatus.Loaded
            ? new LearnedOutcome(DeploymentTargetOutcome.Loaded, note, at)
            : new LearnedOutcome(DeploymentTargetOutcome.RolledBack,
                $"{prefix}Failed to load; rolled back to {answer.LiveArchiveId ?? "its previous configuration"}" + (answer.Message is null ? "." : $": {answer.Message}"), at);
    }
}
