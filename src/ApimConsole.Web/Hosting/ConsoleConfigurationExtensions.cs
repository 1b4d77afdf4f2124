using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Hosting;

/// <summary>Binds and validates the sections of appsettings.json the console reads.</summary>
public static class ConsoleConfigurationExtensions
{
    /// <summary>
    /// Binds <c>Estate</c>, <c>Probes</c> and <c>Storage</c>, each validated when the host starts: a bad value
    /// stops the console with an <see cref="OptionsValidationException"/> whose message names the key.
    /// Anything that rewrites the configuration (the lab's overlay of its endpoints) must be added to
    /// <paramref name="configuration"/> before the host starts, because binding reads it lazily at first use.
    /// </summary>
    public static IServiceCollection AddConsoleConfiguration(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EstateOptions>()
            .BindChecked(configuration.GetSection(EstateOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EstateOptions>>(
            new ConsoleOptionsValidation<EstateOptions>(ConsoleOptionsValidator.Validate));
        // The files the estate section names (TLS certificates, CA files), read at start.
        services.AddSingleton<IValidateOptions<EstateOptions>>(
            new ConsoleOptionsValidation<EstateOptions>(ApimConsole.Monitoring.EstateFileChecks.Validate));

        services.AddOptions<ProbeOptions>()
            .BindChecked(configuration.GetSection(ProbeOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProbeOptions>>(
            new ConsoleOptionsValidation<ProbeOptions>(ConsoleOptionsValidator.Validate));

        services.AddOptions<StorageOptions>()
            .BindChecked(configuration.GetSection(StorageOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(
            new ConsoleOptionsValidation<StorageOptions>(ConsoleOptionsValidator.Validate));

        return services;
    }
}
