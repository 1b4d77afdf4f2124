using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>
/// A live Blazor circuit of a local account is checked every <see cref="AuthOptions.RevocationCheckInterval"/> like
/// its cookie is: when the user signed out elsewhere, changed password or role, was locked or deleted (the security
/// stamp changed, or the user is gone), the circuit becomes anonymous and its page sends it to sign in. Token circuits
/// have their own watcher (wall screens) and hub connections theirs (<see cref="TokenConnections"/>).
/// </summary>
public sealed class SessionRevalidation(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<AuthOptions> auth, IOptions<IdentityOptions> identity)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => auth.Value.RevocationCheckInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        IsStillValidAsync(authenticationState.User);

    /// <summary>False when <paramref name="user"/> is a local account whose session has ended; true otherwise.</summary>
    public async Task<bool> IsStillValidAsync(ClaimsPrincipal user)
    {
        if (user.Identity is not { IsAuthenticated: true, AuthenticationType: var type } || type != IdentityConstants.ApplicationScheme)
            return true;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var found = await users.GetUserAsync(user);
        if (found is null)
            return false;
        if (!users.SupportsUserSecurityStamp)
            return true;
        return user.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType) == await users.GetSecurityStampAsync(found);
    }
}
