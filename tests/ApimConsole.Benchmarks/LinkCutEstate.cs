using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ApimConsole.Lab;
using ApimConsole.Lab.Api;
using ApimConsole.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Benchmarks;

/// <summary>
/// One standalone lab, as <c>dotnet run --project src/ApimConsole.Lab</c> runs it: the estate on loopback addresses
/// and its control API on a port of its own, which the benchmark drives over HTTP (POST /api/lab/faults).
/// </summary>
internal sealed class StandaloneLab : IAsyncDisposable
{
    private readonly WebApplication _control;
    private readonly HttpClient _client;

    private StandaloneLab(LabEstate estate, WebApplication control, Uri controlUrl)
    {
        Estate = estate;
        _control = control;
        _client = new HttpClient { BaseAddress = controlUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    public LabEstate Estate { get; }

    /// <summary>The lab with its default options (load balancer health checks every 1 s, 0.8 s timeout) and light traffic.</summary>
    public static async Task<StandaloneLab> StartAsync()
    {
        var estate = await LabEstate.StartAsync(new LabOptions { TrafficRatePerSecond = 5 }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var control = builder.Build();
        control.MapLabApi(estate);
        await control.StartAsync();
        return new StandaloneLab(estate, control, new Uri(control.Urls.First()));
    }

    public async Task FaultAsync(string target, string action, double? probability = null)
    {
        object body = probability is null ? new { target, action } : new { target, action, probability };
        (await _client.PostAsJsonAsync("/api/lab/faults", body)).EnsureSuccessStatusCode();
    }

    public async Task HealAsync() => (await _client.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();

    public async Task<JsonElement> DescribeAsync() => await _client.GetFromJsonAsync<JsonElement>("/api/lab");

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _control.DisposeAsync();
        await Estate.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The path from one console to its peer, with a share of requests lost: an HTTP forwarder on 127.0.0.1 that the
/// console's <c>Peer:Url</c> points at. A lost request has its connection aborted before anything is forwarded or
/// answered, so the console's own peer client (its HttpClient, timeout and "no peer witness" handling) meets a reset
/// connection, as on a lossy management network; every other request reaches the peer console and its answer comes
/// back unchanged.
/// </summary>
internal sealed class LossyPeerPath : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private double _lossRate;
    private long _forwarded;
    private long _lost;

    private LossyPeerPath(WebApplication app, HttpClient upstream, Uri url)
    {
        _app = app;
        _upstream = upstream;
        Url = url;
    }

    public Uri Url { get; }

    public double LossRate
    {
        get => Volatile.Read(ref _lossRate);
        set => Volatile.Write(ref _lossRate, value);
    }

    public long Forwarded => Interlocked.Read(ref _forwarded);
    public long Lost => Interlocked.Read(ref _lost);

    public static async Task<LossyPeerPath> StartAsync(int port, Uri peer)
    {
        var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = peer, Timeout = Timeout.InfiniteTimeSpan };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var path = new LossyPeerPath(app, upstream, new Uri($"http://127.0.0.1:{port}"));
        app.Run(path.ForwardAsync);
        await app.StartAsync();
        return path;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Random.Shared.NextDouble() < LossRate)
        {
            Interlocked.Increment(ref _lost);
            context.Abort();
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
                request.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        try
        {
            using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Content.Headers)
                context.Response.Headers[name] = values.ToArray();
            context.Response.Headers.Remove("Content-Length");
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            Interlocked.Increment(ref _forwarded);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // The peer itself did not answer: the console sees the connection go, as it would without this path.
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}

/// <summary>
/// Two real consoles on Kestrel, one per datacenter, against one <see cref="StandaloneLab"/>: each connects to the
/// estate from its datacenter's console address (127.0.3.1, 127.0.3.2), so the lab's link fault cuts it off from the
/// other datacenter. With peers, each reads the other through a <see cref="LossyPeerPath"/> (loss 0 until set);
/// without, neither has <c>Peer</c> configured and the load balancer is the only witness.
/// </summary>
internal sealed class ConsolePair : IAsyncDisposable
{
    private ConsolePair(KestrelConsole dc1, KestrelConsole dc2, IReadOnlyList<LossyPeerPath> paths)
    {
        Dc1 = dc1;
        Dc2 = dc2;
        PeerPaths = paths;
    }

    public KestrelConsole Dc1 { get; }
    public KestrelConsole Dc2 { get; }

    /// <summary>dc1 to dc2 and dc2 to dc1; empty without peers.</summary>
    public IReadOnlyList<LossyPeerPath> PeerPaths { get; }

    public static async Task<ConsolePair> StartAsync(StandaloneLab lab, bool peers)
    {
        var (port1, port2) = (StandaloneLab.FreePort(), StandaloneLab.FreePort());
        var paths = new List<LossyPeerPath>();
        if (peers)
        {
            paths.Add(await LossyPeerPath.StartAsync(StandaloneLab.FreePort(), new Uri($"http://127.0.0.1:{port2}")));
            paths.Add(await LossyPeerPath.StartAsync(StandaloneLab.FreePort(), new Uri($"http://127.0.0.1:{port1}")));
        }
        var dc1 = new KestrelConsole(lab.Estate, "dc1", port1, peers ? paths[0].Url : null, Dc1ViewerToken, Dc2ViewerToken);
        var dc2 = new KestrelConsole(lab.Estate, "dc2", port2, peers ? paths[1].Url : null, Dc2ViewerToken, Dc1ViewerToken);
        dc1.Start();
        dc2.Start();
        return new ConsolePair(dc1, dc2, paths);
    }

    private const string Dc1ViewerToken = "benchmark-peer-token-of-the-dc1-console-0123456789";
    private const string Dc2ViewerToken = "benchmark-peer-token-of-the-dc2-console-0123456789";

    public async ValueTask DisposeAsync()
    {
        await Dc1.DisposeAsync();
        await Dc2.DisposeAsync();
        foreach (var path in PeerPaths)
            await path.DisposeAsync();
    }
}

/// <summary>One console of a <see cref="ConsolePair"/>: the real host on 127.0.0.1, its default probe and peer settings, a temporary store.</summary>
internal sealed class KestrelConsole : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _data = ConsoleDataFolder.Create("apimconsole-bench-peer-");
    private int _disposed;

    public KestrelConsole(LabEstate lab, string datacenter, int port, Uri? peer, string ownViewerToken, string peerToken)
    {
        Url = new Uri($"http://127.0.0.1:{port}");
        _settings = new Dictionary<string, string?>(lab.ToConsoleConfiguration(datacenter), StringComparer.OrdinalIgnoreCase)
        {
            ["Lab:Enabled"] = "false",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = Path.Combine(_data, "console.db"),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Auth:BootstrapAdminToken"] = BenchmarkConsole.BootstrapToken,
            // Chosen, so the console does not print a generated one on first start.
            ["Auth:InitialAdminPassword"] = "Benchmark-Admin-Password-1",
        };
        if (peer is not null)
        {
            _settings["Auth:PeerViewerToken"] = ownViewerToken;
            _settings["Peer:Url"] = peer.ToString();
            _settings["Peer:Token"] = peerToken;
        }
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    public Uri Url { get; }

    public void Start() => StartServer();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await base.DisposeAsync();
        ConsoleDataFolder.Remove(_data);
    }
}
