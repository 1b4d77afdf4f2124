using ApimConsole.Core.Configuration;
using ApimConsole.Storage.Providers;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ApimConsole.Storage;

public static class ConsoleStorageExtensions
{
    /// <summary>
    /// Registers <see cref="IDbContextFactory{ConsoleDbContext}"/> for the configured provider and the
    /// <see cref="ConsoleStoreMigrator"/>. A factory rather than a scoped context because a Blazor circuit lives for
    /// hours: each unit of work creates and disposes its own context. Every <see cref="IInterceptor"/> registered in
    /// the container is added to each context (tests use one to make the store fail on demand).
    /// </summary>
    /// <param name="storage">The bound <c>Storage</c> section.</param>
    /// <param name="contentRoot">The folder a relative <see cref="StorageOptions.SqlitePath"/> is resolved against.</param>
    public static IServiceCollection AddConsoleStorage(this IServiceCollection services, StorageOptions storage, string contentRoot)
    {
        if (string.Equals(storage.Provider, StorageOptions.SqlServer, StringComparison.OrdinalIgnoreCase))
        {
            var connection = new SqlConnectionStringBuilder(storage.ConnectionString);
            services.TryAddSingleton(new ConsoleStoreLocation(
                StorageOptions.SqlServer, $"{connection.DataSource}/{connection.InitialCatalog}", SqliteDirectory: null));
            services.AddDbContextFactory<SqlServerConsoleDbContext>((sp, o) => o.UseSqlServer(storage.ConnectionString).AddInterceptors(sp.GetServices<IInterceptor>()));
            services.TryAddSingleton<IDbContextFactory<ConsoleDbContext>, ConsoleDbContextFactory<SqlServerConsoleDbContext>>();
        }
        else if (string.Equals(storage.Provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            var file = Path.GetFullPath(Path.Combine(contentRoot, storage.SqlitePath));
            // A file another connection holds locked is waited for BusyTimeout per attempt (Microsoft.Data.Sqlite's
            // default is 30 s), so StoreWriter's retries end in a refusal within seconds, not minutes.
            var connection = new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = storage.BusyTimeoutSeconds }.ToString();
            services.TryAddSingleton(new ConsoleStoreLocation(StorageOptions.Sqlite, file, Path.GetDirectoryName(file)) { SqliteFile = file });
            var busy = new SqliteBusyTimeout(storage.BusyTimeoutSeconds);
            services.AddDbContextFactory<SqliteConsoleDbContext>((sp, o) => o.UseSqlite(connection).AddInterceptors([busy, .. sp.GetServices<IInterceptor>()]));
            services.TryAddSingleton<IDbContextFactory<ConsoleDbContext>, ConsoleDbContextFactory<SqliteConsoleDbContext>>();
        }
        else
        {
            // Storage:Provider is validated when the host starts and reported by key before anything asks for a
            // context; this only keeps the container buildable and the hosted services constructible until then.
            services.TryAddSingleton(new ConsoleStoreLocation(storage.Provider, "unknown provider", SqliteDirectory: null));
            services.TryAddSingleton<IDbContextFactory<ConsoleDbContext>>(new UnknownProviderFactory(storage.Provider));
        }

        services.TryAddSingleton<ConsoleStoreMigrator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConsoleStoreHealth>();
        services.TryAddSingleton<StoreWriter>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<DeploymentStore>();
        services.TryAddSingleton<GuardrailTurnStore>();
        services.TryAddSingleton<ApimConsole.Core.Traffic.ITrafficStore, EfTrafficStore>();
        return services;
    }

    private sealed class UnknownProviderFactory(string provider) : IDbContextFactory<ConsoleDbContext>
    {
        public ConsoleDbContext CreateDbContext() =>
            throw new InvalidOperationException($"Storage:Provider '{provider}' is unknown: use '{StorageOptions.Sqlite}' or '{StorageOptions.SqlServer}'.");
    }

    /// <summary>Hands out the provider's derived context as the provider-neutral <see cref="ConsoleDbContext"/>.</summary>
    private sealed class ConsoleDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<ConsoleDbContext>
        where TContext : ConsoleDbContext
    {
        public ConsoleDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
