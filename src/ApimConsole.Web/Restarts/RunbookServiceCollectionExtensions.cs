using ApimConsole.Monitoring;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Web.Api;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Web.Restarts;

public static class RunbookServiceCollectionExtensions
{
    /// <summary>The gateway restarter and the ANM connections it acts through.</summary>
    public static IServiceCollection AddRunbooks(this IServiceCollection services)
    {
        services.AddEstateHttpClients();
        services.TryAddSingleton<AdminNodeManagerConnections>();
        services.TryAddSingleton<IGatewayRestarter, GatewayRestarter>();
        return services;
    }

    public static IEndpointRouteBuilder MapRunbooks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapRunbookApi();
        return endpoints;
    }
}
