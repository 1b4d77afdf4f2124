using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Core.Traffic;
using ApimConsole.Storage;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Hosting;
using ApimConsole.Web.Security;
using ApimConsole.Web.Traffic;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Metrics;

/// <summary><c>GET /metrics</c> for Prometheus: the <c>Metrics</c> section, the registry, the scrape token and the endpoint.</summary>
public static class MetricsEndpoints
{
    /// <summary>Who may scrape: any console role (API tokens, signed-in users) or the scrape token.</summary>
    public const string Policy = "Metrics";

    /// <summary>The Prometheus text exposition format, version 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// Binds and validates <c>Metrics</c> (a bad value stops the console at start, naming the key); when enabled,
    /// registers <see cref="EstateMetrics"/> (also the status engine's <see cref="IProbeTimings"/>), the deployment
    /// tally and the scrape token's scheme. Call after the security registration.
    /// </summary>
    public static IServiceCollection AddConsoleMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(MetricsOptions.SectionName);
        services.AddOptions<MetricsOptions>().BindChecked(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>>(new ConsoleOptionsValidation<MetricsOptions>(o => o.Validate()));
        // A scrape token sits in Prometheus' configuration: it must not be a secret that can do more.
        services.AddSingleton<IValidateOptions<MetricsOptions>>(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>();
            return new ConsoleOptionsValidation<MetricsOptions>(o =>
                !string.IsNullOrEmpty(o.Token) && (o.Token == auth.Value.BootstrapAdminToken?.Trim() || o.Token == auth.Value.PeerViewerToken?.Trim())
                    ? ["Metrics:Token must differ from Auth:BootstrapAdminToken and Auth:PeerViewerToken: the scrape token reads /metrics only."]
                    : []);
        });
        if (!section.GetChecked<MetricsOptions>().Enabled)
            return services;

        services.TryAddSingleton<DeploymentTally>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentTally>());
        // One registry per console (never prometheus-net's static default): two consoles in one process stay apart.
        services.TryAddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.TryAddSingleton(sp => new ProbeDurations(sp.GetRequiredService<Prometheus.CollectorRegistry>()));
        services.TryAddSingleton<IProbeTimings>(sp => sp.GetRequiredService<ProbeDurations>());
        services.TryAddSingleton(sp => new EstateMetrics(Sources(sp), sp.GetRequiredService<Prometheus.CollectorRegistry>()));

        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, MetricsTokenAuthenticationHandler>(MetricsTokenAuthenticationHandler.SchemeName, null);
        // The console's scheme picks a handler per request; on /metrics a bearer (or no cookie at all) goes to the scrape
        // token's, which answers a scraper with 401 rather than the sign-in page's redirect.
        services.PostConfigure<PolicySchemeOptions>(ConsoleSecurityExtensions.ConsoleScheme, o =>
        {
            var selector = o.ForwardDefaultSelector;
            o.ForwardDefaultSelector = context =>
                context.Request.Path.Equals(MetricsOptions.Path, StringComparison.OrdinalIgnoreCase) && !HasConsoleCookie(context.Request)
                    ? MetricsTokenAuthenticationHandler.SchemeName
                    : selector?.Invoke(context);
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.RequireAssertion(context =>
            context.User.HasClaim(MetricsTokenAuthenticationHandler.ScrapeClaim, "true")
            || ConsoleRoles.All.Any(context.User.IsInRole)));
        return services;
    }

    public static IEndpointRouteBuilder MapConsoleMetrics(this IEndpointRouteBuilder endpoints)
    {
        // From configuration, not IOptions: a bad Metrics section must stop the start with its validation message, not here.
        var options = endpoints.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(MetricsOptions.SectionName).GetChecked<MetricsOptions>();
        if (!options.Enabled)
            return endpoints;
        var route = endpoints.MapGet(MetricsOptions.Path, async (HttpContext context, EstateMetrics metrics) =>
            {
                context.Response.ContentType = ContentType;
                context.Response.Headers.CacheControl = "no-store";
                await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
            })
            .WithName("GetMetrics")
            .ExcludeFromDescription();
        if (options.AllowAnonymous)
            route.AllowAnonymous();
        else
            route.RequireAuthorization(Policy);
        return endpoints;
    }

    private static bool HasConsoleCookie(HttpRequest request) =>
        request.Cookies.ContainsKey(ConsoleSecurityExtensions.IdentityCookieName) || request.Cookies.ContainsKey(ConsoleSecurityExtensions.OidcCookieName)
        || request.Cookies.ContainsKey(ConsoleSecurityExtensions.WallCookieName);

    /// <summary>The live sources, each read from what is registered: a feature that is off leaves its series absent.</summary>
    private static MetricSources Sources(IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var guardrail = services.GetService<GuardrailService>();
        var traffic = services.GetService<TrafficReports>();
        var logs = services.GetService<TraceLogTailService>();
        var tally = services.GetService<DeploymentTally>();
        return new MetricSources
        {
            Estate = services.GetRequiredService<IEstateStatus>(),
            Time = time,
            Guardrail = guardrail is null ? null : () => guardrail.PublishedPerDatacenter,
            Traffic = traffic is null ? null : () => TrafficNow(traffic, time.GetUtcNow()),
            LogTails = logs is null ? null : () => logs.Statuses,
            Deployments = tally is null ? null : () => tally.Current,
            Outbox = services.GetService<IOutboxDepth>(),
        };
    }

    /// <summary>Each datacenter's latest covered minute, when it is this minute or the one before (an older rate is not "now").</summary>
    public static IReadOnlyList<DatacenterTrafficNow> TrafficNow(TrafficReports reports, DateTimeOffset now)
    {
        var report = reports.Build(TrafficWindow.TenMinutes);
        var from = now - TimeSpan.FromMinutes(2);
        return report.Datacenters.Select(d => new DatacenterTrafficNow(d.Id, d.Collection.LastPoll is not null, d.Collection.Collected,
            d.View.Series.Points.LastOrDefault(p => p.RequestsPerSecond is not null && p.Start >= from))).ToList();
    }
}
