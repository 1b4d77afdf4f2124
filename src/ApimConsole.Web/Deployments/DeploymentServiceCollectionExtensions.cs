using ApimConsole.Core.Live;
using ApimConsole.Web.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Deployments;

public static class DeploymentServiceCollectionExtensions
{
    /// <summary>
    /// Deployments: the request service, the background executor, the deployed-versions reader, the override check
    /// point. The guardrail itself (<see cref="ApimConsole.Core.Guardrails.IDeploymentGate"/>) is registered elsewhere;
    /// without it every deployment is blocked. Register after the store's migration service: the executor reads the
    /// store when it starts.
    /// </summary>
    public static IServiceCollection AddDeployments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeploymentOptions>()
            .BindChecked(configuration.GetSection(DeploymentOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeploymentOptions>>(new ConsoleOptionsValidation<DeploymentOptions>(o => o.Validate()));
        services.TryAddSingleton<DeploymentGateAccess>();
        services.TryAddSingleton<IDeploymentOverrideAuthorization, AdministratorsOnly>();
        services.TryAddSingleton<GroupArchivesReader>();
        services.TryAddSingleton<LoadOutcomes>();
        services.TryAddSingleton<DeploymentReconciler>();
        services.TryAddSingleton<DeploymentOutcomeLearner>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentOutcomeLearner>());
        services.TryAddSingleton<DeploymentExecutor>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentExecutor>());
        services.TryAddSingleton<DeploymentRequests>();
        services.TryAddSingleton<DeployedVersionsReader>();
        services.TryAddSingleton<DeploymentDriftWatch>();
        services.TryAddSingleton<ILiveFeed<DriftState>>(sp => sp.GetRequiredService<DeploymentDriftWatch>());
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentDriftWatch>());
        return services;
    }
}
