using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Logs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Hosting;

/// <summary>The Logs page's services: the trace tails into one shared buffer, the datacenters it reads, the log API.</summary>
public static class LogViewsExtensions
{
    /// <summary>
    /// Binds and validates <c>Logs</c> (<see cref="TraceLogTailOptions"/>), registers the shared
    /// <see cref="TraceLogBuffer"/> of <c>Logs:BufferCapacity</c> entries, the tails that fill it (hosted) and
    /// <see cref="LogDatacenters"/>.
    /// </summary>
    public static IServiceCollection AddLogViews(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TraceLogTailOptions>()
            .BindChecked(configuration.GetSection(TraceLogTailOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TraceLogTailOptions>>(new ConsoleOptionsValidation<TraceLogTailOptions>(o => o.Validate()));
        // Registered before AddTraceLogTails, whose own buffer registration then stands aside.
        services.TryAddSingleton(sp => new TraceLogBuffer(sp.GetRequiredService<IOptions<TraceLogTailOptions>>().Value.BufferCapacity));
        services.AddTraceLogTails();
        services.TryAddSingleton<LogDatacenters>();
        return services;
    }

    public static IEndpointRouteBuilder MapLogViews(this IEndpointRouteBuilder endpoints) => endpoints.MapLogApi();
}
