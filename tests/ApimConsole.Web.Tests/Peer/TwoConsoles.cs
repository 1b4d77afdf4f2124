using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ApimConsole.Lab;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Web.Tests.Peer;

/// <summary>
/// One standalone lab and two real consoles on Kestrel, one per datacenter, each the other's peer: the dc1 console's
/// estate connections leave from 127.0.3.1, the dc2 console's from 127.0.3.2, so the lab's link fault cuts each off
/// from the other datacenter's estate but not from its peer (the consoles reach each other directly).
/// </summary>
public sealed class TwoConsoles : IAsyncDisposable
{
    public const string Dc1PeerToken = "peer-token-of-the-dc1-console-0123456789abcdef";
    public const string Dc2PeerToken = "peer-token-of-the-dc2-console-0123456789abcdef";

    private TwoConsoles(LabEstate lab, PeerConsole dc1, PeerConsole dc2)
    {
        Lab = lab;
        Dc1 = dc1;
        Dc2 = dc2;
    }

    public LabEstate Lab { get; }
    public PeerConsole Dc1 { get; }
    public PeerConsole Dc2 { get; }

    /// <param name="loadBalancerWitness">False: neither console reads the load balancer; the peer is the only witness.</param>
    /// <param name="beforeConsoles">Runs once the lab is up and before either console starts (e.g. to wait for what the lab must have written).</param>
    public static async Task<TwoConsoles> StartAsync(bool loadBalancerWitness, IReadOnlyDictionary<string, string?>? extra = null, Action<LabOptions>? lab = null,
        Func<LabEstate, Task>? beforeConsoles = null)
    {
        var options = new LabOptions
        {
            TrafficRatePerSecond = 5,
            LoadBalancerHealthCheckInterval = TimeSpan.FromMilliseconds(300),
            LoadBalancerHealthCheckTimeout = TimeSpan.FromMilliseconds(300),
            SlowDelay = TimeSpan.FromMilliseconds(400),
        };
        lab?.Invoke(options);
        return await StartAsync(loadBalancerWitness, extra, options, beforeConsoles);
    }

    private static async Task<TwoConsoles> StartAsync(bool loadBalancerWitness, IReadOnlyDictionary<string, string?>? extra, LabOptions options,
        Func<LabEstate, Task>? beforeConsoles = null)
    {
        var lab = await LabEstate.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        if (beforeConsoles is not null)
        {
            try
            {
                await beforeConsoles(lab);
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }
        var (port1, port2) = (FreePort(), FreePort());
        var dc1 = new PeerConsole(lab, "dc1", port1, port2, Dc1PeerToken, Dc2PeerToken, loadBalancerWitness, extra);
        var dc2 = new PeerConsole(lab, "dc2", port2, port1, Dc2PeerToken, Dc1PeerToken, loadBalancerWitness, extra);
        try
        {
            dc1.Start();
            dc2.Start();
        }
        catch
        {
            await dc1.DisposeAsync();
            await dc2.DisposeAsync();
            await lab.DisposeAsync();
            throw;
        }
        return new TwoConsoles(lab, dc1, dc2);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Dc1.DisposeAsync();
        await Dc2.DisposeAsync();
        await Lab.DisposeAsync();
    }
}

/// <summary>One console of <see cref="TwoConsoles"/>.</summary>
public sealed class PeerConsole : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string _dataFolder = ConsoleDataFolder.Create("apimconsole-peer-");
    private int _disposed;

    public PeerConsole(LabEstate lab, string datacenter, int port, int peerPort, string ownPeerToken, string peerToken, bool loadBalancerWitness,
        IReadOnlyDictionary<string, string?>? extra)
    {
        Datacenter = datacenter;
        Url = new Uri($"http://127.0.0.1:{port}");
        _settings = new Dictionary<string, string?>(lab.ToConsoleConfiguration(datacenter), StringComparer.OrdinalIgnoreCase)
        {
            ["Lab:Enabled"] = "false",
            ["Estate:Name"] = "Two consoles",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = Path.Combine(_dataFolder, "console.db"),
            ["Auth:PeerViewerToken"] = ownPeerToken,
            ["Peer:Url"] = $"http://127.0.0.1:{peerPort}",
            ["Peer:Token"] = peerToken,
            ["Traffic:PollInterval"] = "00:00:01",
        };
        if (!loadBalancerWitness)
            _settings["Estate:LoadBalancer:StatusUrl"] = "";
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            _settings[key] = value;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    public string Datacenter { get; }
    public Uri Url { get; }

    public void Start() => StartServer();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        TestAuth.Configure(builder);
        TestHostLogging.Configure(builder, testServer: false);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
    }

    /// <summary>A client of this console's API over the network, as the bootstrap Administrator.</summary>
    public HttpClient Api()
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
        TestAuth.Authorize(client);
        return client;
    }

    /// <summary>A browser-like client over the network (cookies, no redirects) signed in as <paramref name="user"/> through the form.</summary>
    public async Task<HttpClient> SignedInAsync(string user, string password)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = Url,
            Timeout = TimeSpan.FromSeconds(10),
        };
        var response = await ApimConsole.Web.Tests.Security.SecurityClients.PostSignInAsync(client, user, password);
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"sign-in of {user}: {(int)response.StatusCode}");
        return client;
    }

    public async Task<JsonElement> EstateAsync()
    {
        using var client = Api();
        return await client.GetFromJsonAsync<JsonElement>("/api/estate");
    }

    public Task<JsonElement> WaitForEstateAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what) =>
        Eventually.Until(EstateAsync, condition, timeout, $"{what} (the {Datacenter} console's /api/estate)", every: TimeSpan.FromMilliseconds(100));

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await base.DisposeAsync();
        ConsoleDataFolder.Remove(_dataFolder);
    }
}
