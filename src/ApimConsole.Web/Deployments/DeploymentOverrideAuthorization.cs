using System.Security.Claims;
using ApimConsole.Web.Security;

namespace ApimConsole.Web.Deployments;

/// <summary>The one place that decides who may deploy against a Block (break-glass). Nothing else in the console decides this.</summary>
public interface IDeploymentOverrideAuthorization
{
    bool MayOverride(ClaimsPrincipal user);
}

/// <summary>Break-glass is for Administrators only (a signed-in user or an API token with that role).</summary>
public sealed class AdministratorsOnly : IDeploymentOverrideAuthorization
{
    public bool MayOverride(ClaimsPrincipal user) => user.IsInRole(ConsoleRoles.Administrator);
}
