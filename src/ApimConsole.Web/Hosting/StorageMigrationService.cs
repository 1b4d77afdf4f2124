using ApimConsole.Storage;

namespace ApimConsole.Web.Hosting;

/// <summary>
/// Applies the store's migrations when the host starts. Registered before the monitoring services so that
/// nothing records a state change into a schema that is not there yet; a failure stops start-up with its cause.
/// </summary>
internal sealed class StorageMigrationService(ConsoleStoreMigrator migrator, ILogger<StorageMigrationService> logger, ConsoleStoreLocation location) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        logger.LogInformation("Storage: {Provider} store ready at {Location}", location.Provider, location.Description);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
