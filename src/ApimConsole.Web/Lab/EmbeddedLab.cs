using ApimConsole.Web.Hosting;
using ApimConsole.Web.Security;
using ApimConsole.Lab;
using ApimConsole.Lab.Api;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Lab;

/// <summary>
/// With <c>Lab:Enabled</c> the console starts the simulated two-DC estate in its own process and is configured
/// with the lab's endpoints, as if an operator had typed them into appsettings.json. From then on the console
/// reaches the lab only over the network, like any estate; the lab's object is kept only to stop it and to
/// serve the lab's fault API.
/// </summary>
public static class EmbeddedLab
{
    public static WebApplicationBuilder AddEmbeddedLab(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LabOptions.SectionName).GetChecked<LabOptions>();
        if (!options.Enabled)
        {
            // Pages always have a lab control; without a lab it is inert.
            builder.Services.TryAddSingleton<ILabControl, NoLab>();
            return builder;
        }
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new OptionsValidationException(LabOptions.SectionName, typeof(LabOptions), errors);

        // The estate's endpoints must be known before the console's configuration is bound and validated,
        // so the lab starts here, before the host is built.
        var loggerFactory = LoggerFactory.Create(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Warning)
            // The load balancer's health checks failing is the lab working as meant when a fault is injected.
            .AddFilter("Yarp", LogLevel.Error));
        // The lab builds web hosts of its own. Started without this flow's execution context, they are not mistaken
        // for the console's host by anything watching host construction (WebApplicationFactory in tests does).
        Task<LabEstate> starting;
        using (ExecutionContext.SuppressFlow())
            starting = Task.Run(() => LabEstate.StartAsync(options, loggerFactory, TimeProvider.System, CancellationToken.None));
        var lab = starting.GetAwaiter().GetResult();
        builder.Configuration.AddInMemoryCollection(lab.ToConsoleConfiguration());
        builder.Services.AddSingleton(lab);
        builder.Services.AddSingleton<ILabControl>(_ => new EmbeddedLabControl(lab));
        builder.Services.AddHostedService(sp => new EmbeddedLabLifetime(lab, loggerFactory));
        return builder;
    }

    public static WebApplication MapEmbeddedLab(this WebApplication app)
    {
        var lab = app.Services.GetService<LabEstate>();
        if (lab is not null)
            // Lab faults change what the console sees: Administrator only, reads included.
            app.MapLabApi(lab).RequireAuthorization(ConsolePolicies.Administrator).WithMetadata(new JsonBodyOnlyAttribute());
        return app;
    }

    /// <summary>Stops the lab with the console.</summary>
    private sealed class EmbeddedLabLifetime(LabEstate lab, ILoggerFactory loggerFactory) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await lab.DisposeAsync();
            loggerFactory.Dispose();
        }
    }
}
