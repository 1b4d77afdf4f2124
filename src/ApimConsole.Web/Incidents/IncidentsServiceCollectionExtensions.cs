using ApimConsole.Core.Recovery;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Web.Incidents;

public static class IncidentsServiceCollectionExtensions
{
    /// <summary>
    /// The incident timeline: the recorder (a hosted service with its own status subscription), the read side the
    /// page and API use, the repair checklist, and recovery tracking as the <see cref="IRecoveryStatus"/>, replacing
    /// any default. Needs the console's storage and the status engine registered.
    /// </summary>
    public static IServiceCollection AddIncidents(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IncidentLog>();
        services.TryAddSingleton<IIncidentTimeline>(sp => sp.GetRequiredService<IncidentLog>());
        services.TryAddSingleton<ComponentHistory>();
        services.TryAddSingleton<RecoveryTracker>();
        services.Replace(ServiceDescriptor.Singleton<IRecoveryStatus>(sp => sp.GetRequiredService<RecoveryTracker>()));
        services.TryAddSingleton<RepairChecklist>();
        services.TryAddSingleton<IncidentPostMortem>();
        services.TryAddSingleton<IncidentRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<IncidentRecorder>());
        return services;
    }
}
