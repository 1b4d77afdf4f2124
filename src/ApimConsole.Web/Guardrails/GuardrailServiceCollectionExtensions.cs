using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Recovery;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Web.Guardrails;

public static class GuardrailServiceCollectionExtensions
{
    /// <summary>
    /// The live guardrail as a singleton that is also the <see cref="IDeploymentGate"/>, started with the host.
    /// Needs <see cref="Monitoring.Engine.IEstateStatus"/> and the <c>Probes</c> options. Until incident recording
    /// registers its <see cref="IRecoveryStatus"/> (before this call, or with <c>AddSingleton</c>), no recovery is
    /// known to be incomplete. Every turn is stored by the <see cref="GuardrailTurnWriter"/> (needs the console's storage),
    /// registered before the guardrail so it is still running when the guardrail's last turns are handed over.
    /// </summary>
    public static IServiceCollection AddGuardrails(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRecoveryStatus, NoRecoveryTracking>();
        services.TryAddSingleton<GuardrailTurnWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<GuardrailTurnWriter>());
        services.TryAddSingleton<GuardrailService>();
        services.TryAddSingleton<IDeploymentGate>(sp => sp.GetRequiredService<GuardrailService>());
        services.AddHostedService(sp => sp.GetRequiredService<GuardrailService>());
        return services;
    }
}
