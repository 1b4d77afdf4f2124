using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Tests.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>A temporary SQLite store that outlives the consoles (service providers) started on it: a restart is a new console on the same file.</summary>
internal sealed class IncidentStore : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-incidents-" + Guid.NewGuid().ToString("N"));
    private readonly List<ServiceProvider> _consoles = [];

    private readonly ServiceProvider _queries;

    public IncidentStore()
    {
        // Queries go through a console of their own, so they work between one console's end and the next one's start.
        _queries = new ServiceCollection().AddConsoleStorage(Options, _root).BuildServiceProvider();
    }

    private static StorageOptions Options => new() { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" };

    public FakeTimeProvider Time { get; } = new(TestEstate.T0);

    /// <summary>A console on this store: storage migrated, the incident services registered as the host registers them.</summary>
    public async Task<ServiceProvider> ConsoleAsync(IEstateStatus status, FlakyContexts? flaky = null, Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null)
    {
        var services = new ServiceCollection();
        if (flaky is not null)
            services.AddSingleton<IDbContextFactory<ConsoleDbContext>>(flaky);
        if (interceptor is not null)
            services.AddSingleton(interceptor);
        var console = services
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddSingleton(status)
            .AddConsoleStorage(Options, _root)
            .AddIncidents()
            .BuildServiceProvider();
        _consoles.Add(console);
        await console.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        return console;
    }

    /// <summary>Starts a recorder on a new console over this store, and waits until it has recorded the status's current snapshot.</summary>
    public async Task<(ServiceProvider Console, IncidentRecorder Recorder)> StartRecorderAsync(FakeEstateStatus status, FlakyContexts? flaky = null, Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null)
    {
        var console = await ConsoleAsync(status, flaky, interceptor);
        var recorder = console.GetRequiredService<IncidentRecorder>();
        await recorder.StartAsync(CancellationToken.None);
        await WaitForRecordedAsync(recorder, status.Current.AsOf);
        return (console, recorder);
    }

    public static async Task PublishAndWaitAsync(FakeEstateStatus status, IncidentRecorder recorder, EstateSnapshot snapshot)
    {
        status.Publish(snapshot);
        await WaitForRecordedAsync(recorder, snapshot.AsOf);
    }

    public static async Task WaitForRecordedAsync(IncidentRecorder recorder, DateTimeOffset asOf) =>
        await Eventually.Until(() => recorder.LastRecorded == asOf, TimeSpan.FromSeconds(10), $"the recorder to record the snapshot as of {asOf:HH:mm:ss}");

    /// <summary>A context factory over this store that fails while <see cref="FlakyContexts.Failing"/> is set.</summary>
    public FlakyContexts Flaky() => new(_queries.GetRequiredService<IDbContextFactory<ConsoleDbContext>>());

    public async Task<T> QueryAsync<T>(Func<ConsoleDbContext, Task<T>> query)
    {
        var contexts = _queries.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var console in _consoles)
            await console.DisposeAsync();
        await _queries.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }
}

/// <summary>A store that goes away and comes back: every context asked for while <see cref="Failing"/> throws.</summary>
internal sealed class FlakyContexts(IDbContextFactory<ConsoleDbContext> inner) : IDbContextFactory<ConsoleDbContext>
{
    private int _failures;
    private volatile bool _failing;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    public int Failures => Volatile.Read(ref _failures);

    public ConsoleDbContext CreateDbContext()
    {
        if (Failing)
        {
            Interlocked.Increment(ref _failures);
            throw new InvalidOperationException("database is locked (simulated store outage)");
        }
        return inner.CreateDbContext();
    }
}
