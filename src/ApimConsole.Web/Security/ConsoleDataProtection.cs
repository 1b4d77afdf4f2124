using ApimConsole.Core.Configuration;
using Microsoft.AspNetCore.DataProtection;

namespace ApimConsole.Web.Security;

/// <summary>
/// Where the console keeps the data-protection keys its cookies are signed with: in its data folder, so a restart
/// (or a second console on the same folder) accepts the cookies it issued. Wall screens run for weeks.
/// </summary>
public static class ConsoleDataProtection
{
    /// <summary>The application name every console shares, so keys are not tied to the content root path.</summary>
    public const string ApplicationName = "ApimConsole";

    /// <summary>The keys folder: <see cref="AuthOptions.KeysPath"/>, else <c>keys</c> next to the SQLite file, else <c>data/keys</c> under the content root.</summary>
    public static string KeysFolder(AuthOptions auth, StorageOptions storage, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(auth.KeysPath))
            return Path.GetFullPath(Path.Combine(contentRoot, auth.KeysPath));
        if (string.Equals(storage.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(storage.SqlitePath))
        {
            var file = Path.GetFullPath(Path.Combine(contentRoot, storage.SqlitePath));
            return Path.Combine(Path.GetDirectoryName(file)!, "keys");
        }
        return Path.GetFullPath(Path.Combine(contentRoot, "data", "keys"));
    }

    public static IServiceCollection AddConsoleDataProtection(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var auth = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        var storage = configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        var folder = KeysFolder(auth, storage, contentRoot);
        // The keys sign every cookie: the folder is the console account's only (700), created so before the first key.
        try
        {
            ApimConsole.Storage.OwnerOnly.CreateFolder(folder, tighten: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not creatable here: data protection reports it, naming the folder, when it writes its first key.
        }
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(folder));
        return services;
    }
}
