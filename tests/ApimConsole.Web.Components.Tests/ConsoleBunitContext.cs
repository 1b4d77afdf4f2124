using ApimConsole.Web.Security;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Components;

/// <summary>
/// The shared set-up of the console's component tests: a bUnit context in which an Administrator is signed in, so pages
/// that read the user (deploy, restart, repair marks, the nav) behave as for an administrator. A test that needs another
/// role calls <see cref="SignInAs"/>.
/// </summary>
public abstract class ConsoleBunitContext : BunitContext
{
    protected ConsoleBunitContext()
    {
        Authorization = AddAuthorization();
        // The Overview and the wall show the unacknowledged alerts; a test that needs some registers its own.
        Services.AddSingleton<ApimConsole.Web.Alerts.IUnacknowledgedAlerts, NoUnacknowledgedAlerts>();
        SignInAs("test-admin", ConsoleRoles.Administrator);
    }

    protected BunitAuthorizationContext Authorization { get; }

    protected void SignInAs(string name, params string[] roles)
    {
        Authorization.SetAuthorized(name);
        Authorization.SetRoles(roles);
        // bUnit's authorization service grants policies by name: the ones these roles have in the console.
        var policies = new List<string>();
        if (roles.Any(ConsoleRoles.All.Contains))
            policies.Add(ConsolePolicies.Viewer);
        if (roles.Contains(ConsoleRoles.Administrator) || roles.Contains(ConsoleRoles.Support))
            policies.Add(ConsolePolicies.Support);
        if (roles.Contains(ConsoleRoles.Administrator))
            policies.Add(ConsolePolicies.Administrator);
        Authorization.SetPolicies([.. policies]);
    }
}
