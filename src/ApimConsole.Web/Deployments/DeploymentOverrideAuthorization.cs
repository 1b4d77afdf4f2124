using System.Security.Claims;

namespace ApimConsole.Web.Deployments;

/// <summary>
/// The one place that decides who may deploy against a Block (break-glass). The issue says "Administrator only";
/// sign-in and roles come with a later issue, which replaces <see cref="UntilSignInExists"/> with a role check
/// (e.g. <c>user.IsInRole("Administrator")</c>). Nothing else in the console decides this.
/// </summary>
public interface IDeploymentOverrideAuthorization
{
    bool MayOverride(ClaimsPrincipal user);
}

/// <summary>Until sign-in exists there are no roles to check: everyone counts as an administrator.</summary>
public sealed class UntilSignInExists : IDeploymentOverrideAuthorization
{
    public bool MayOverride(ClaimsPrincipal user) => true;
}
