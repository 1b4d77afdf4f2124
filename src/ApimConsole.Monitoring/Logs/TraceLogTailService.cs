using ApimConsole.Core.Configuration;
using ApimConsole.Core.Logs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// Tails every datacenter whose <c>Logs</c> is configured, each in its own loop (a dead log server delays no other
/// datacenter), into one shared <see cref="TraceLogBuffer"/>. A sketch for the Logs page: intervals and sizes are
/// constants until that page settles them.
/// </summary>
public sealed class TraceLogTailService : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private readonly IReadOnlyList<DatacenterTraceTail> _tails;
    private readonly TimeProvider _time;

    public TraceLogTailService(ITraceLogSources sources, TraceLogBuffer buffer, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _time = time;
        var logger = loggerFactory.CreateLogger<TraceLogTailService>();
        _tails = sources.DatacenterIds
            .Select(id => new DatacenterTraceTail(id, sources.For(id)!, buffer, time, logger))
            .ToList();
        Buffer = buffer;
    }

    public TraceLogBuffer Buffer { get; }

    /// <summary>Each tailed datacenter's source status (reachable, error, notes).</summary>
    public IReadOnlyList<TraceTailStatus> Statuses => _tails.Select(t => t.Status).ToList();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_tails.Select(t => Task.Run(() => t.RunAsync(PollInterval, stoppingToken), CancellationToken.None)));
}

public static class TraceLogServiceCollectionExtensions
{
    /// <summary>The shared trace buffer (<paramref name="capacity"/> entries) and the tails that fill it.</summary>
    public static IServiceCollection AddTraceLogTails(this IServiceCollection services, int capacity = 100_000)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new TraceLogBuffer(capacity));
        services.TryAddSingleton<ITraceLogSources, TraceLogSources>();
        services.TryAddSingleton<ITraceLogSearch, TraceLogSearch>();
        services.TryAddSingleton<TraceLogTailService>();
        services.AddHostedService(sp => sp.GetRequiredService<TraceLogTailService>());
        return services;
    }
}
