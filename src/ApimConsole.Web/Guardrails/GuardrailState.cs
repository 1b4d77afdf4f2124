using ApimConsole.Core.Guardrails;

namespace ApimConsole.Web.Guardrails;

/// <summary>The guardrail's verdicts for every kind of change to every datacenter, as last evaluated.</summary>
/// <param name="AsOf">When the verdicts were decided.</param>
/// <param name="EstateAsOf">The estate snapshot they were decided from.</param>
/// <param name="Changes">One verdict per <see cref="ChangeKind"/>, in the enum's order.</param>
public sealed record GuardrailState(DateTimeOffset AsOf, DateTimeOffset EstateAsOf, IReadOnlyList<GuardrailVerdict> Changes)
{
    /// <summary>The worst decision of any kind: what the banner's colour says.</summary>
    public GuardrailDecision Worst => Changes.Count == 0 ? GuardrailDecision.Allow : Changes.Max(c => c.Decision);

    public GuardrailVerdict For(ChangeKind kind) => Changes.Single(c => c.Kind == kind);

    /// <summary>Same decisions and reasons for every kind; the times are not compared.</summary>
    public bool SameVerdicts(GuardrailState other) =>
        Changes.Count == other.Changes.Count
        && Changes.Zip(other.Changes).All(p => p.First.Kind == p.Second.Kind && p.First.Decision == p.Second.Decision
            && p.First.Reasons.SequenceEqual(p.Second.Reasons, StringComparer.Ordinal));
}
