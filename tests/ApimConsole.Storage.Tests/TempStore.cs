using ApimConsole.Core.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>A SQLite store in a fresh temp folder, registered exactly as the console registers it.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "apimconsole-storage-" + Guid.NewGuid().ToString("N"));
    public ServiceProvider Services { get; }

    public TempStore(string sqlitePath = "data/console.db")
    {
        Services = new ServiceCollection()
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = sqlitePath }, Root)
            .BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        // Pooled connections keep the file open; release them so the folder can go.
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }
}
