using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Web.Alerts;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>
/// The console's alert services on a real SQLite store in a folder, registered as the console registers them
/// (<see cref="AlertServiceCollectionExtensions.AddAlerts"/>), without a host: a test starts the sender when it wants,
/// and a second rig on the same folder is "the console after a restart" (same store, same data-protection keys).
/// </summary>
internal sealed class AlertRig : IAsyncDisposable
{
    private readonly bool _ownsRoot;
    private bool _senderStarted;

    private AlertRig(string root, bool ownsRoot, TimeProvider time, IReadOnlyDictionary<string, string?> settings)
    {
        Root = root;
        _ownsRoot = ownsRoot;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(time);
        services.AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, root);
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(root, "keys"))).SetApplicationName("apimconsole-alert-tests");
        services.Configure<EstateOptions>(o =>
        {
            o.Name = "Test estate";
            o.ConsoleDatacenter = "dc1";
        });
        services.AddAlerts(configuration);
        Services = services.BuildServiceProvider();
    }

    public string Root { get; }
    public ServiceProvider Services { get; }
    public AlertStore Store => Services.GetRequiredService<AlertStore>();
    public AlertSettings Settings => Services.GetRequiredService<AlertSettings>();
    public AlertSender Sender => Services.GetRequiredService<AlertSender>();

    /// <summary>A migrated store; <paramref name="root"/> given: the store another rig left there.</summary>
    public static async Task<AlertRig> CreateAsync(TimeProvider? time = null, string? root = null, Dictionary<string, string?>? settings = null)
    {
        var rig = new AlertRig(root ?? Path.Combine(Path.GetTempPath(), "apimconsole-alerts-" + Guid.NewGuid().ToString("N")), root is null, time ?? TimeProvider.System,
            settings ?? new Dictionary<string, string?>
            {
                ["Alerts:ConsoleUrl"] = "https://console.test",
                ["Alerts:PollInterval"] = "00:00:01",
                ["Alerts:FirstRetryDelay"] = "00:00:05",
                ["Alerts:MaxRetryDelay"] = "00:01:00",
                ["Alerts:MaxAttempts"] = "4",
            });
        await rig.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        return rig;
    }

    public async Task StartSenderAsync()
    {
        await Sender.StartAsync(CancellationToken.None);
        _senderStarted = true;
    }

    /// <summary>A channel and a rule sending it every alert.</summary>
    public async Task<ChannelView> ChannelAsync(ChannelInput input, string matcher = "")
    {
        var channel = await Settings.SaveChannelAsync(null, input, "tester", CancellationToken.None);
        await Settings.SaveRuleAsync(null, matcher, channel.Id, null, "tester", CancellationToken.None);
        return channel;
    }

    public Task<IReadOnlyList<DeliveryView>> DeliveriesAsync(bool deadOnly = false) => Store.DeliveriesAsync(100, deadOnly, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_senderStarted)
            await Sender.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsRoot && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }
}
