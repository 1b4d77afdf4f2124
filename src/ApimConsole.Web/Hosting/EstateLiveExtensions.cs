using ApimConsole.Web.Security;
using ApimConsole.Monitoring;
using ApimConsole.Web.Api;
using ApimConsole.Web.Hubs;

namespace ApimConsole.Web.Hosting;

/// <summary>The live side of the console: the status engine, the hub that relays it, and the estate API.</summary>
public static class EstateLiveExtensions
{
    public static IServiceCollection AddEstateLive(this IServiceCollection services)
    {
        services.AddEstateMonitoring();
        services.AddSignalR().AddJsonProtocol(o => EstateJson.Configure(o.PayloadSerializerOptions));
        services.AddHostedService<EstateHubBroadcaster>();
        return services;
    }

    public static IEndpointRouteBuilder MapEstateLive(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEstateApi();
        endpoints.MapGuardrailApi();
        endpoints.MapHub<EstateHub>(EstateHub.Path).RequireAuthorization(ConsolePolicies.Viewer);
        return endpoints;
    }
}
