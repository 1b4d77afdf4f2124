using System.Collections.Concurrent;
using System.Net;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Restarts;
using ApimConsole.Web.Tests.Components;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Web.Tests.Components.RunbookEstate;

namespace ApimConsole.Web.Tests.Restarts;

/// <summary>
/// The restarter against a stand-in Admin Node Manager on 127.0.0.1 (real HTTP, answers chosen per test), a real SQLite
/// audit log, and a fake clock for the ANM deadline.
/// </summary>
public sealed class GatewayRestarterTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-restarter-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<HttpContext, Task> _answer = context => context.Response.WriteAsync("{\"result\":\"0\"}");
    private WebApplication _anm = null!;
    private ServiceProvider _store = null!;
    private AdminNodeManagerConnections _connections = null!;
    private readonly EstateHttp _http = new();

    private static readonly EstateSnapshot Stopped = Estate(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, "Stopped"));

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _anm = builder.Build();
        _anm.MapPost("/api/management/{operation}/{group}/{instance}", (HttpContext context, string operation, string group, string instance) =>
        {
            _calls.Enqueue($"{operation} {group}/{instance}");
            return _answer(context);
        });
        await _anm.StartAsync();

        var estate = new EstateOptions
        {
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", AdminNodeManager = new AdminNodeManagerOptions { Urls = ["http://127.0.0.1:1"] } },
                new DatacenterOptions { Id = "dc2", AdminNodeManager = new AdminNodeManagerOptions { Urls = [_anm.Urls.First()], Username = "admin", Password = "changeme" } },
            ],
        };
        _connections = new AdminNodeManagerConnections(Options.Create(estate), _http);
        _store = new ServiceCollection()
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        await _store.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _reached.TrySetResult();
        await _anm.StopAsync();
        await _anm.DisposeAsync();
        _http.Dispose();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private GatewayRestarter Restarter(IEstateStatus status) =>
        new(status, _connections, _store.GetRequiredService<AuditLog>(), _clock, NullLogger<GatewayRestarter>.Instance);

    private async Task<List<AuditEntry>> AuditAsync() =>
        (await _store.GetRequiredService<AuditLog>().RecentAsync(100, CancellationToken.None)).Where(e => e.Action == GatewayRestarter.AuditAction).ToList();

    /// <summary>The ANM takes the request and never answers (until the test ends or the caller gives up).</summary>
    private void AnmHangs() => _answer = async context =>
    {
        _reached.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    };

    [Fact]
    public async Task Start_IsSentToTheDatacentersAnm_AndAuditedBeforeAndAfter()
    {
        var result = await Restarter(new FakeEstateStatus(Stopped)).RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);

        Assert.Equal(RestartOutcome.Done, result.Outcome);
        Assert.Contains("started", result.Message);
        Assert.Equal(["start group-3/instance-1"], _calls);
        var audit = await AuditAsync();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal(("alice", "dc2/instance-1"), (e.Actor, e.Target)));
        Assert.Equal("start requested", audit[1].Details);
        Assert.StartsWith("Done", audit[0].Details);
    }

    [Fact]
    public async Task Restart_StopsThenStarts()
    {
        var running = Estate(Dc("dc1"), Dc("dc2"));
        var result = await Restarter(new FakeEstateStatus(running)).RestartAsync("dc2", "instance-2", RestartAction.Restart, "anonymous", CancellationToken.None);
        Assert.Equal(RestartOutcome.Done, result.Outcome);
        Assert.Equal(["stop group-3/instance-2", "start group-3/instance-2"], _calls);
    }

    [Fact]
    public async Task Forbidden_IsRefused_WithTheReason_NothingSent_NothingAudited()
    {
        var snapshot = Estate(Dc("dc1"), Dc("dc2").WithCassandra(2, ComponentState.Down).WithInstance("instance-1", ComponentState.Down, "Stopped"));
        var result = await Restarter(new FakeEstateStatus(snapshot)).RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);
        Assert.Equal(RestartOutcome.Refused, result.Outcome);
        Assert.Contains("Cassandra first", result.Message);
        Assert.Empty(_calls);
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task UnknownInstance_IsSaidSo()
    {
        var result = await Restarter(new FakeEstateStatus(Stopped)).RestartAsync("dc2", "instance-7", RestartAction.Start, "alice", CancellationToken.None);
        Assert.Equal(RestartOutcome.UnknownInstance, result.Outcome);
        Assert.Empty(_calls);
    }

    [Fact]
    public async Task EstateTurnsWhileTheRequestIsRecorded_NothingIsSent()
    {
        var turned = Estate(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down).WithInstance("instance-1", ComponentState.Down, "Stopped"));
        var status = new TurningEstateStatus(Stopped, turned);

        var result = await Restarter(status).RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);

        Assert.Equal(RestartOutcome.Refused, result.Outcome);
        Assert.Contains("dc2/cassandra-1 is Down", result.Message);
        Assert.Empty(_calls);
        Assert.StartsWith("Refused", (await AuditAsync())[0].Details);
    }

    [Fact]
    public async Task AnmError_IsAnmFailed_WithWhatTheAnmSaid()
    {
        _answer = context =>
        {
            context.Response.StatusCode = 500;
            return context.Response.WriteAsync("instance is locked");
        };
        var result = await Restarter(new FakeEstateStatus(Stopped)).RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);
        Assert.Equal(RestartOutcome.AnmFailed, result.Outcome);
        Assert.Contains("500", result.Message);
        Assert.Contains("instance is locked", result.Message);
        Assert.StartsWith("AnmFailed", (await AuditAsync())[0].Details);
    }

    [Fact]
    public async Task SilentAnm_FailsAtTheDeadline_OnTheClock()
    {
        AnmHangs();
        var restart = Restarter(new FakeEstateStatus(Stopped)).RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);
        await _reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(restart.IsCompleted);

        _clock.Advance(GatewayRestarter.AnmTimeout);

        var result = await restart.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RestartOutcome.AnmFailed, result.Outcome);
        Assert.Contains("no answer within 10 s", result.Message);
    }

    [Fact]
    public async Task SecondRequestForTheSameInstance_WhileOneIsUnderWay_IsRefused()
    {
        AnmHangs();
        var restarter = Restarter(new FakeEstateStatus(Stopped));
        var first = restarter.RestartAsync("dc2", "instance-1", RestartAction.Start, "alice", CancellationToken.None);
        await _reached.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var second = await restarter.RestartAsync("dc2", "instance-1", RestartAction.Start, "bob", CancellationToken.None);
        Assert.Equal(RestartOutcome.Refused, second.Outcome);
        Assert.Contains("already under way", second.Message);

        _clock.Advance(GatewayRestarter.AnmTimeout);
        Assert.Equal(RestartOutcome.AnmFailed, (await first.WaitAsync(TimeSpan.FromSeconds(10))).Outcome);
        Assert.Single(_calls);
    }

    /// <summary>Shows <paramref name="first"/> to the first reader and <paramref name="then"/> to every later one.</summary>
    private sealed class TurningEstateStatus(EstateSnapshot first, EstateSnapshot then) : IEstateStatus
    {
        private int _reads;

        public EstateSnapshot Current => Interlocked.Increment(ref _reads) == 1 ? first : then;

        public FeedSubscription<EstateSnapshot> Subscribe(int capacity = 16) => throw new NotSupportedException();
    }
}
