using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Web.Api;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Hosting;

/// <summary>Per-datacenter traffic: the collector (a hosted service), what it fills, and the traffic API.</summary>
public static class TrafficMonitoringExtensions
{
    /// <summary>
    /// Binds and validates <c>Traffic</c>, and registers the <see cref="TrafficCollector"/> (hosted; it needs the
    /// status engine's <c>IEstateStatus</c> and the store's <see cref="ITrafficStore"/>), the <see cref="TrafficHistory"/>
    /// views read, and the <see cref="RecentTransactions"/> ring searches read. Call after the storage and the status engine.
    /// </summary>
    public static IServiceCollection AddTrafficMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TrafficOptions>()
            .BindChecked(configuration.GetSection(TrafficOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrafficOptions>>(new ConsoleOptionsValidation<TrafficOptions>(o => o.Validate()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TrafficHistory>();
        services.TryAddSingleton(sp => new RecentTransactions(sp.GetRequiredService<IOptions<TrafficOptions>>().Value.RecentTransactions));
        services.AddEstateHttpClients();
        services.TryAddSingleton<TrafficCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficCollector>());
        services.TryAddSingleton<ApimConsole.Web.Traffic.TrafficReports>();
        // Deployments marked on the charts (the store is registered with the console's storage).
        services.TryAddSingleton<ApimConsole.Web.Traffic.TrafficMarkers>();
        return services;
    }

    public static IEndpointRouteBuilder MapTrafficMonitoring(this IEndpointRouteBuilder endpoints) => endpoints.MapTrafficApi();
}
