using Microsoft.AspNetCore.Authorization;

namespace ApimConsole.Web.Security;

/// <summary>
/// Authentication and authorization of the console. INTERIM (until issue #8 lands sign-in): the three policies are
/// registered so pages and endpoints can already state theirs, and each lets everyone through, as the console did
/// before. #8 replaces this file's bodies with Identity, API and wallboard tokens, and real role checks.
/// </summary>
public static class ConsoleSecurityExtensions
{
    public static IServiceCollection AddConsoleSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(ConsolePolicies.Viewer, p => p.RequireAssertion(_ => true))
            .AddPolicy(ConsolePolicies.Support, p => p.RequireAssertion(_ => true))
            .AddPolicy(ConsolePolicies.Administrator, p => p.RequireAssertion(_ => true));
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static WebApplication UseConsoleSecurity(this WebApplication app)
    {
        app.UseAuthorization();
        return app;
    }
}
