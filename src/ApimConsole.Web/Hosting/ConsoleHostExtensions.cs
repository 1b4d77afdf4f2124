using ApimConsole.Web.Components;
using MudBlazor.Services;

namespace ApimConsole.Web.Hosting;

public static class ConsoleHostExtensions
{
    public static WebApplicationBuilder AddApimConsole(this WebApplicationBuilder builder)
    {
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
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
