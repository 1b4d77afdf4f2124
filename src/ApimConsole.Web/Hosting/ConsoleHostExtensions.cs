using ApimConsole.Web.Components;
using ApimConsole.Core.Configuration;
using ApimConsole.Web.Lab;
using MudBlazor.Services;

namespace ApimConsole.Web.Hosting;

public static class ConsoleHostExtensions
{
    public static WebApplicationBuilder AddApimConsole(this WebApplicationBuilder builder)
    {
        // The lab first: with Lab:Enabled its endpoints become the estate's configuration.
        builder.AddEmbeddedLab();
        builder.Services.Configure<EstateOptions>(builder.Configuration.GetSection(EstateOptions.SectionName));
        builder.Services.Configure<ProbeOptions>(builder.Configuration.GetSection(ProbeOptions.SectionName));
        // Package assets (MudBlazor, blazor.web.js) are served from the build output in every environment.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddEstateLive();
        return builder;
    }

    public static WebApplication UseApimConsole(this WebApplication app)
    {
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapEstateLive();
        app.MapEmbeddedLab();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
