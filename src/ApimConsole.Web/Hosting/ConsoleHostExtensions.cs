using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Web.Components;
using MudBlazor.Services;

namespace ApimConsole.Web.Hosting;

public static class ConsoleHostExtensions
{
    public static WebApplicationBuilder AddApimConsole(this WebApplicationBuilder builder)
    {
        // Lab overlay goes here, before binding: it adds the running lab's endpoints to builder.Configuration.
        builder.Services.AddConsoleConfiguration(builder.Configuration);

        // Hosted services start in registration order: the store is migrated before anything else starts.
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        builder.Services.AddConsoleStorage(storage, builder.Environment.ContentRootPath);
        builder.Services.AddHostedService<StorageMigrationService>();

        // Monitoring services (status engine, probes) are registered here, after storage.

        // Package assets (MudBlazor, blazor.web.js) are served from the build output in every environment.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        return builder;
    }

    public static WebApplication UseApimConsole(this WebApplication app)
    {
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        // The estate hub (/hubs/estate) and the HTTP API (/api/...) are mapped here.
        return app;
    }
}
