using ApimConsole.Web.Peer;
using ApimConsole.Web.Alerts;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Web.Api;
using ApimConsole.Web.Audit;
using ApimConsole.Web.Components;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Lab;
using ApimConsole.Web.Metrics;
using ApimConsole.Web.Restarts;
using ApimConsole.Web.Security;
using MudBlazor.Services;

namespace ApimConsole.Web.Hosting;

public static class ConsoleHostExtensions
{
    public static WebApplicationBuilder AddApimConsole(this WebApplicationBuilder builder)
    {
        // The lab first: with Lab:Enabled its endpoints become the estate's configuration, before it is bound.
        builder.AddEmbeddedLab();
        builder.Services.AddConsoleConfiguration(builder.Configuration);
        // One console per datacenter: the peer's URL and token, and the view this console serves it.
        builder.Services.AddPeerConsole(builder.Configuration);

        // Hosted services start in registration order: the store is migrated before anything else starts.
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).GetChecked<StorageOptions>();
        builder.Services.AddConsoleStorage(storage, builder.Environment.ContentRootPath);
        builder.Services.AddHostedService<StorageMigrationService>();

        // Who may do what: every page, endpoint and hub method names one of ConsolePolicies.
        builder.Services.AddConsoleSecurity(builder.Configuration);
        // Cookie keys in the data folder: sign-ins and wall screens survive a restart.
        builder.Services.AddConsoleDataProtection(builder.Configuration, builder.Environment.ContentRootPath);

        // Live state: the status engine, the hub that relays it, the estate API.
        builder.Services.AddEstateLive();
        // The deployment guardrail, from the live state: the banner, GET /api/guardrails and IDeploymentGate.
        builder.Services.AddGuardrails();
        // Runbooks: restarts through the ANMs, in the order the runbooks allow.
        builder.Services.AddRunbooks();

        // Deployments: checked requests, pushed in the background by the executor, guardrail asked before each DC.
        builder.Services.AddDeployments(builder.Configuration);
        // The incident timeline, repair checklists and recovery tracking (IRecoveryStatus).
        builder.Services.AddIncidents();
        builder.Services.AddTrafficMonitoring(builder.Configuration);
        builder.Services.AddLogViews(builder.Configuration);
        // GET /metrics for Prometheus, read from the live state (and the probes' durations, which the engine reports).
        builder.Services.AddConsoleMetrics(builder.Configuration);
        // Notifications: alerts raised into the store's outbox, sent to webhooks and mail by their own sender.
        builder.Services.AddAlerts(builder.Configuration);

        // Package assets (MudBlazor, blazor.web.js) are served from the build output in every environment.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // No response carries a stack trace or a source path, in any environment: errors are ProblemDetails.
        builder.Services.AddConsoleErrors();
        builder.Services.AddMudServices();
        return builder;
    }

    public static WebApplication UseApimConsole(this WebApplication app)
    {
        // Inside the developer exception page (which WebApplication adds in Development): it never sees an exception.
        app.UseConsoleErrors();
        app.UseSecurityHeaders();
        app.UseStaticFiles();
        // Routing after the console's own files: they are served before any endpoint (and its authorization) is chosen,
        // so the sign-in page gets its styles and scripts.
        app.UseRouting();
        // Sign-in throttling and bounds, and no cross-site state change, before anything records or authenticates.
        app.UseRequestGuards();
        // Before everything that records: an action its store cannot record answers 503 and is not performed.
        app.UseStoreRefusals();
        app.UseConsoleSecurity();
        app.UseAntiforgery();
        // Scripts, styles and icons are needed by the sign-in page itself.
        app.MapStaticAssets().AllowAnonymous();
        // The console's own Content-Security-Policy (SecurityHeadersMiddleware) already says frame-ancestors 'none'.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        app.MapConsoleAccount();
        app.MapEstateLive();
        app.MapStoreHealthApi();
        app.MapRunbooks();
        app.MapDeploymentApi();
        app.MapIncidentApi();
        app.MapAuditApi();
        app.MapTrafficMonitoring();
        app.MapLogViews();
        app.MapAlerts();
        app.MapPeerConsole();
        app.MapConsoleMetrics();
        app.MapEmbeddedLab();
        return app;
    }
}
