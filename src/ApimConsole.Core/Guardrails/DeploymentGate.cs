namespace ApimConsole.Core.Guardrails;

/// <summary>The kinds of change the documentation says must not be deployed while a datacenter or the link is down.</summary>
public enum ChangeKind
{
    GatewayConfiguration,
    KpsTableStructure,
}

/// <summary>Deny beats allow: <see cref="Block"/> outranks <see cref="Warn"/>, which outranks <see cref="Allow"/>.</summary>
public enum GuardrailDecision
{
    Allow,
    Warn,
    Block,
}

/// <summary>The decision for one kind of change, with reasons a person can act on (empty when allowed outright).</summary>
public sealed record GuardrailVerdict(ChangeKind Kind, GuardrailDecision Decision, IReadOnlyList<string> Reasons, DateTimeOffset AsOf);

/// <summary>One transition of the guardrail's published state, as the console recorded it.</summary>
/// <param name="At">When the console's state became <paramref name="Decision"/> (after any permits in flight were drained).</param>
/// <param name="DatacenterId">The target datacenter the decision is for; null: the change to every datacenter (the banner).</param>
/// <param name="InFlight">
/// On a turn to Block: the estate-changing calls (each named as its caller gave it, e.g. a load of an archive on an
/// instance) that were still on the wire when Block was published. They cannot be recalled; their outcome is learned
/// from the estate.
/// </param>
public sealed record GuardrailTransition(DateTimeOffset At, ChangeKind Kind, string? DatacenterId, GuardrailDecision Decision,
    IReadOnlyList<string>? InFlight = null);

/// <summary>
/// Leave to make one estate-changing call (an archive upload, or one instance's load) under <see cref="Verdict"/>.
/// Dispose it as soon as that call has completed: until then a turn of the guardrail to a stricter decision for the
/// same kind and datacenter waits for it (bounded), and past the bound <see cref="Revoked"/> is cancelled.
/// </summary>
public sealed class DeploymentPermit : IDisposable
{
    private Action? _release;

    public DeploymentPermit(GuardrailVerdict verdict, CancellationToken revoked, Action? release)
    {
        Verdict = verdict;
        Revoked = revoked;
        _release = release;
    }

    /// <summary>The decision at the moment the permit was handed out: the caller acts on it (Block: do not push).</summary>
    public GuardrailVerdict Verdict { get; }

    /// <summary>
    /// Cancelled when the guardrail published Block for this call's kind and datacenter while the call was still on
    /// the wire (past the turn's bound); the call is named on that turn. Do not abandon the call for it: a load on the
    /// wire cannot be recalled. Learn its outcome from the estate instead.
    /// </summary>
    public CancellationToken Revoked { get; }

    /// <summary>A permit that covers nothing (a refusal, or a gate with no turns to wait for).</summary>
    public static DeploymentPermit Unguarded(GuardrailVerdict verdict) => new(verdict, CancellationToken.None, null);

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

/// <summary>
/// Asks the guardrail at the moment of acting. <see cref="Evaluate"/> is for read-only callers (the UI, a request's
/// first check). A deployment takes a <see cref="DeploymentPermit"/> with <see cref="Enter"/> around every call that
/// changes the estate: the gate publishes a turn to Block only once no permit for that kind and datacenter is in
/// flight, so no push can land while the console's state says Block.
/// </summary>
public interface IDeploymentGate
{
    GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters);

    /// <summary>Decides now (never more permissive than the published state) and, unless it blocks, holds the turn off until disposed.</summary>
    DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters);

    /// <summary>As <see cref="Enter(ChangeKind, IReadOnlyCollection{string})"/>, naming the call, so a turn that finds it on the wire can name it.</summary>
    DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters, string call) => Enter(kind, targetDatacenters);
}
