using ApimConsole.Core.Guardrails;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// The guardrail as registered in DI (<see cref="IDeploymentGate"/>), looked up at each question. Without one, every
/// deployment is blocked: a console that cannot ask the guardrail does not deploy.
/// </summary>
public sealed class DeploymentGateAccess(IServiceProvider services, TimeProvider time)
{
    public const string NoGuardrail = "No deployment guardrail is registered in this console, so it cannot tell whether deploying is safe.";

    public GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters) =>
        services.GetService<IDeploymentGate>()?.Evaluate(kind, targetDatacenters)
        ?? new GuardrailVerdict(kind, GuardrailDecision.Block, [NoGuardrail], time.GetUtcNow());

    /// <summary>A permit for one estate-changing call (see <see cref="IDeploymentGate.Enter"/>); without a guardrail, a Block.</summary>
    /// <param name="call">The call the permit covers, as a turn that finds it on the wire names it.</param>
    public DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters, string call) =>
        services.GetService<IDeploymentGate>()?.Enter(kind, targetDatacenters, call)
        ?? DeploymentPermit.Unguarded(new GuardrailVerdict(kind, GuardrailDecision.Block, [NoGuardrail], time.GetUtcNow()));
}
