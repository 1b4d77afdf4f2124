using ApimConsole.Core.Live;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Hosting;
using ApimConsole.Web.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Web.Alerts;

public static class AlertServiceCollectionExtensions
{
    /// <summary>
    /// Notifications: the raiser (live feeds to the store), the outbox sender, the settings the Alerts page edits. Needs
    /// the console's storage, the status engine and the guardrail registered.
    /// </summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>().BindChecked(configuration.GetSection(AlertOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // No automatic redirects: a webhook that moves is a failure with its status, not a POST to somewhere else.
        services.AddHttpClient(AlertTransport.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            // Every attempt is in the delivery log and a failed one in AlertSender's warning with its reason: the
            // client's own lines (four per request, a stack trace for a refused connection) would only repeat them.
            .RemoveAllLoggers();
        services.TryAddSingleton<AlertWake>();
        services.TryAddSingleton<AlertStore>();
        services.TryAddSingleton<IUnacknowledgedAlerts>(sp => sp.GetRequiredService<AlertStore>());
        services.TryAddSingleton<AlertSettings>();
        services.TryAddSingleton<AlertTransport>();
        services.TryAddSingleton<DeploymentAlertWatch>();
        services.TryAddSingleton<ILiveFeed<GuardrailState>>(sp => sp.GetRequiredService<GuardrailService>());
        services.TryAddSingleton<AlertRaiser>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertRaiser>());
        services.TryAddSingleton<AlertSender>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertSender>());
        // The outbox depth for /metrics, as the sender counted it at its latest round.
        services.TryAddSingleton<IOutboxDepth>(sp => sp.GetRequiredService<AlertSender>());
        return services;
    }
}
