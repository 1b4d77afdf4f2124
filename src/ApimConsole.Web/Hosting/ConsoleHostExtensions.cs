using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Web.Components;
using ApimConsole.Web.Lab;
using MudBlazor.Services;

namespace ApimConsole.Web.Hosting;

public static class ConsoleHostExtensions
{
    public static WebApplicationBuilder AddApimConsole(this WebApplicationBuilder builder)
    {
        // The lab first: with Lab:Enabled its endpoints become the estate's configuration, before it is bound.
        builder.AddEmbeddedLab();
        builder.Services.AddConsoleConfiguration(builder.Configuration);

        // Hosted services start in registration order: the store is migrated before anything else starts.
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        builder.Services.AddConsoleStorage(storage, builder.Environment.ContentRootPath);
        builder.Services.AddHostedService<StorageMigrationService>();

        // Live state: the status engine, the hub that relays it, the estate API.
        builder.Services.AddEstateLive();
        builder.Services.AddTrafficMonitoring(builder.Configuration);

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
        app.MapEstateLive();
        app.MapTrafficMonitoring();
        app.MapEmbeddedLab();
        return app;
    }
}
