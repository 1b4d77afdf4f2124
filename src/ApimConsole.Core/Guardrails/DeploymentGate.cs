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

/// <summary>
/// Asks the guardrail at the moment of acting: a deployment calls it again before each datacenter's push, against the
/// current state, so a request accepted while allowed never pushes after the state turned.
/// </summary>
public interface IDeploymentGate
{
    GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters);
}
