using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Storage.Tests;

/// <summary>Issue #19 point 7: the store (password hashes, the audit trail) is readable by the console's account only.</summary>
public sealed class StoreFileModeTests
{
    [Fact]
    public async Task Migrate_CreatesTheFolder700_AndTheFile600_AndItsWalFilesFollow()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix file modes only
        await using var store = new TempStore("data/console.db");
        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        await store.Services.GetRequiredService<AuditLog>().RecordAsync("system", "test", "mode", null, CancellationToken.None);

        Assert.Equal(OwnerOnly.FolderMode, File.GetUnixFileMode(Path.Combine(store.Root, "data")));
        foreach (var file in Directory.GetFiles(Path.Combine(store.Root, "data"), "console.db*"))
            Assert.True(File.GetUnixFileMode(file) == OwnerOnly.FileMode, $"{Path.GetFileName(file)} is {File.GetUnixFileMode(file)}");
    }

    [Fact]
    public async Task Migrate_TightensAnExistingWorldReadableStoreFile()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix file modes only
        await using var store = new TempStore("data/console.db");
        var file = Path.Combine(store.Root, "data", "console.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, []);
        File.SetUnixFileMode(file, OwnerOnly.FileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await store.Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        Assert.Equal(OwnerOnly.FileMode, File.GetUnixFileMode(file));
    }
}
