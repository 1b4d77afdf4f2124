using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>
    /// The status engine as a singleton that is both the hosted prober and the <see cref="IEstateStatus"/> everyone reads,
    /// the ANM connections of everything else, and the HTTP clients both use (<see cref="EstateHttpClients"/>).
    /// </summary>
    public static IServiceCollection AddEstateMonitoring(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddEstateHttpClients();
        services.AddOptions();
        // The peer console's reader: the status engine takes its witness; with no Peer:Url it reads nothing.
        services.TryAddSingleton<Peer.PeerWitnessReader>();
        services.TryAddSingleton<Peer.IPeerWitnessSource>(sp => sp.GetRequiredService<Peer.PeerWitnessReader>());
        services.AddHostedService(sp => sp.GetRequiredService<Peer.PeerWitnessReader>());
        services.TryAddSingleton<StatusEngine>();
        services.TryAddSingleton<IEstateStatus>(sp => sp.GetRequiredService<StatusEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<StatusEngine>());
        services.TryAddSingleton<AdminNodeManager.AdminNodeManagerConnections>();
        return services;
    }
}
