using ApimConsole.Core.Configuration;
using ApimConsole.Core.Live;
using ApimConsole.Core.Logs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Logs;

/// <summary>How the trace tails work, bound from <c>Logs</c> (each datacenter's source is under <c>Estate:Datacenters:N:Logs</c>).</summary>
public sealed class TraceLogTailOptions
{
    public const string SectionName = "Logs";

    /// <summary>Time between polls of each datacenter's log source; also the retry interval while it is unreachable.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Trace entries the shared buffer holds (all datacenters together); the oldest go first.</summary>
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>How far before the end of each instance's newest file the tail starts: the history shown when the console starts.</summary>
    public long BackfillBytes { get; set; } = 256 * 1024;

    /// <summary>Bytes read per instance per poll at most (bounds a poll's time and memory when a file grew a lot).</summary>
    public int MaxBytesPerPoll { get; set; } = 1024 * 1024;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(5))
            errors.Add($"Logs:PollInterval must be between 100 ms and 5 minutes (found {PollInterval}).");
        if (BufferCapacity is < 1_000 or > 5_000_000)
            errors.Add($"Logs:BufferCapacity must be between 1000 and 5000000 (found {BufferCapacity}).");
        if (BackfillBytes is < 0 or > 64L * 1024 * 1024)
            errors.Add($"Logs:BackfillBytes must be between 0 and 67108864 (found {BackfillBytes}).");
        if (MaxBytesPerPoll is < 4 * 1024 or > 64 * 1024 * 1024)
            errors.Add($"Logs:MaxBytesPerPoll must be between 4096 and 67108864 (found {MaxBytesPerPoll}).");
        return errors;
    }
}

/// <summary>
/// Tails every datacenter whose <c>Logs</c> is configured, each in its own loop (a dead log server delays no other
/// datacenter), into one shared <see cref="TraceLogBuffer"/>.
/// </summary>
public sealed class TraceLogTailService : BackgroundService
{
    private readonly IReadOnlyList<DatacenterTraceTail> _tails;

    public TraceLogTailService(ITraceLogSources sources, TraceLogBuffer buffer, TimeProvider time, ILoggerFactory loggerFactory,
        IOptions<TraceLogTailOptions>? options = null)
    {
        var settings = options?.Value ?? new TraceLogTailOptions();
        PollInterval = settings.PollInterval;
        var logger = loggerFactory.CreateLogger<TraceLogTailService>();
        _tails = sources.DatacenterIds
            .Select(id => new DatacenterTraceTail(id, sources.For(id)!, buffer, time, logger)
            {
                BackfillBytes = settings.BackfillBytes,
                MaxBytesPerPoll = settings.MaxBytesPerPoll,
                Zone = sources.TimeZoneOf(id),
            })
            .ToList();
        Buffer = buffer;
    }

    public TraceLogBuffer Buffer { get; }

    /// <summary>Time between polls, and between retries of an unreachable source.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>Each tailed datacenter's source status (reachable, error, since when, notes).</summary>
    public IReadOnlyList<TraceTailStatus> Statuses => _tails.Select(t => t.Status).ToList();

    /// <summary>The status of <paramref name="datacenterId"/>'s tail; null when that datacenter is not tailed.</summary>
    public TraceTailStatus? StatusOf(string datacenterId) =>
        _tails.FirstOrDefault(t => string.Equals(t.DatacenterId, datacenterId, StringComparison.Ordinal))?.Status;

    /// <summary>Each tailed datacenter's status, live: a new value when reachability, the error or the notes change.</summary>
    public IReadOnlyList<ILiveFeed<TraceTailStatus>> LiveStatuses => _tails.Select(t => t.LiveStatus).ToList();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_tails.Select(t => Task.Run(() => t.RunAsync(PollInterval, stoppingToken), CancellationToken.None)));
}

public static class TraceLogServiceCollectionExtensions
{
    /// <summary>
    /// The shared trace buffer (<paramref name="capacity"/> entries, unless a buffer is registered already) and the
    /// tails that fill it; <see cref="TraceLogTailOptions"/> come from the options pipeline when configured.
    /// </summary>
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
