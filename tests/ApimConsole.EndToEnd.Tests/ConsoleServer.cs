using ApimConsole.Testing;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>
/// The real console on Kestrel at 127.0.0.1, on a free port (or a given one, to restart it in place), with the lab
/// off, a minimal valid two-DC estate and a SQLite store in a temp folder.
/// </summary>
public sealed class ConsoleServer : WebApplicationFactory<Program>
{
    /// <summary>The first administrator's password (user "admin") of every test console.</summary>
    public const string AdminPassword = "E2e-Admin-Password-1";

    /// <summary>An Administrator API token every test console starts with.</summary>
    public const string BootstrapToken = "e2e-bootstrap-admin-token-0123456789abcdef";

    private readonly string _dataFolder;
    private readonly ITestOutputHelper _output;
    private readonly bool _lab;

    /// <param name="output">The test's output, where the console logs (shown with the test when it fails).</param>
    /// <param name="lab">True: the shipped default, the embedded lab estate, instead of a minimal estate of dead endpoints.</param>
    public ConsoleServer(string dataFolder, ITestOutputHelper output, int port = 0, bool lab = false)
    {
        _dataFolder = dataFolder;
        _output = output;
        _lab = lab;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    }

    /// <summary>An HTTP client of the console's API as the bootstrap Administrator token.</summary>
    public static HttpClient ApiClient(Uri baseAddress)
    {
        var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BootstrapToken);
        return client;
    }

    /// <summary>Starts the server and returns where it listens, e.g. http://127.0.0.1:40123.</summary>
    public Uri Start()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(address);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Lab:Enabled"] = "false",
            ["Estate:Name"] = "End-to-end estate",
            ["Estate:ConsoleDatacenter"] = "dc1",
            ["Estate:Datacenters:0:Id"] = "dc1",
            ["Estate:Datacenters:0:Name"] = "Frankfurt",
            ["Estate:Datacenters:0:AdminNodeManager:Urls:0"] = "https://127.0.0.1:1",
            ["Estate:Datacenters:1:Id"] = "dc2",
            ["Estate:Datacenters:1:Name"] = "Amsterdam",
            ["Estate:Datacenters:1:AdminNodeManager:Urls:0"] = "https://127.0.0.1:2",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = Path.Combine(_dataFolder, "console.db"),
        };
        if (_lab)
        {
            settings = new Dictionary<string, string?>
            {
                ["Lab:Enabled"] = "true",
                ["Storage:Provider"] = "Sqlite",
                ["Storage:SqlitePath"] = Path.Combine(_dataFolder, "console.db"),
            };
        }
        settings["Auth:InitialAdminPassword"] = AdminPassword;
        settings["Auth:BootstrapAdminToken"] = BootstrapToken;
        // UseSetting reaches the configuration Program.cs reads while building services.
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        TestHostLogging.Configure(builder, testServer: false, output: _output);
        builder.ConfigureServices(services =>
            // A browser keeps its circuit open; do not let it hold a stopping test server for the default 30 s.
            services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
    }

    /// <summary>
    /// Removes a test console's folder. A stopped console's background work may still be finishing a write (the host
    /// stops waiting for it after its 2 s shutdown timeout), so a file can appear while the folder is being removed
    /// ("Directory not empty"): try again until the folder is gone.
    /// </summary>
    public static Task DeleteDataFolderAsync(string dataFolder) =>
        Eventually.Until(() =>
        {
            SqliteConnection.ClearAllPools();
            try
            {
                if (Directory.Exists(dataFolder))
                    Directory.Delete(dataFolder, recursive: true);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), $"{dataFolder} to be removed", TimeSpan.FromMilliseconds(100));
}
