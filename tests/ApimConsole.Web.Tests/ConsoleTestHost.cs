using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace ApimConsole.Web.Tests;

/// <summary>
/// The real console host in process, with the lab off, a valid two-DC estate, and its own SQLite file in a temp
/// folder. Tests override single keys to make the configuration wrong in exactly one way.
/// </summary>
public sealed class ConsoleTestHost : WebApplicationFactory<Program>
{
    /// <summary>
    /// Builds and starts the console the way Program.cs does, with a test host's settings plus
    /// <paramref name="overrides"/>, and returns the validation error that stops it. Not through WebApplicationFactory:
    /// when start-up fails fast, its deferred host can race the failing entry point and report an
    /// ObjectDisposedException instead of the validation error.
    /// </summary>
    public static async Task<Microsoft.Extensions.Options.OptionsValidationException> StartFailsWithAsync(Dictionary<string, string?> overrides)
    {
        await using var settings = new ConsoleTestHost(overrides);
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(ApimConsole.Web.Hosting.ConsoleHostDefaults.CreateOptions([]));
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, settings.Settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        TestHostLogging.Filter(builder.Logging, testServer: false);
        ApimConsole.Web.Hosting.ConsoleHostExtensions.AddApimConsole(builder);
        await using var app = builder.Build();
        ApimConsole.Web.Hosting.ConsoleHostExtensions.UseApimConsole(app);
        return await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
    }

    public string DataFolder { get; } = Path.Combine(Path.GetTempPath(), "apimconsole-web-" + Guid.NewGuid().ToString("N"));
    public string DatabaseFile => Path.Combine(DataFolder, "console.db");

    private readonly Dictionary<string, string?> _settings;

    /// <summary>Every setting this host starts with, defaults plus overrides.</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;

    public ConsoleTestHost(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Lab:Enabled"] = "false",
            ["Estate:Name"] = "Test estate",
            ["Estate:ConsoleDatacenter"] = "dc1",
            ["Estate:Datacenters:0:Id"] = "dc1",
            ["Estate:Datacenters:0:Name"] = "Frankfurt",
            ["Estate:Datacenters:0:AdminNodeManager:Urls:0"] = "https://anm.dc1.test:8090",
            ["Estate:Datacenters:1:Id"] = "dc2",
            ["Estate:Datacenters:1:Name"] = "Amsterdam",
            ["Estate:Datacenters:1:AdminNodeManager:Urls:0"] = "https://anm.dc2.test:8090",
            ["Storage:Provider"] = "Sqlite",
            ["Storage:SqlitePath"] = DatabaseFile,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            _settings[key] = value;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting rather than ConfigureAppConfiguration: it reaches the configuration Program.cs reads while
        // building services (the storage provider is chosen there).
        // The test token first, so a test can override the Auth keys.
        TestAuth.Configure(builder);
        TestHostLogging.Configure(builder);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
    }

    /// <summary>Every client of this console is the bootstrap Administrator token (see <see cref="TestAuth"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        TestAuth.Authorize(client);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataFolder))
            Directory.Delete(DataFolder, recursive: true);
    }
}
