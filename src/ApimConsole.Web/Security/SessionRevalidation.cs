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
/// <para>
/// The checks end with the circuit, and with the console: once it stops, a circuit still open in a browser is
/// ended, not a session to judge. (ASP.NET Core's <c>RevalidatingServerAuthenticationStateProvider</c> kept checking
/// after the console's services were disposed, logged that as an error and signed the circuit out, whose re-render
/// failed in turn.) A check that fails while the console runs is still an error, and ends the session.
/// </para>
/// </summary>
public sealed class SessionRevalidation : ServerAuthenticationStateProvider, IDisposable
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IOptions<AuthOptions> _auth;
    private readonly IOptions<IdentityOptions> _identity;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionRevalidation> _logger;
    private readonly CancellationTokenSource _ended;
    private CancellationTokenSource? _current;

    public SessionRevalidation(IServiceScopeFactory scopes, IOptions<AuthOptions> auth, IOptions<IdentityOptions> identity,
        TimeProvider time, IHostApplicationLifetime lifetime, ILogger<SessionRevalidation> logger)
    {
        _scopes = scopes;
        _auth = auth;
        _identity = identity;
        _time = time;
        _logger = logger;
        // Ends with the circuit (Dispose) or with the console, whichever comes first.
        _ended = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        AuthenticationStateChanged += Revalidate;
    }

    /// <summary>The checks of the circuit's current user: completes when they end (the user signed out, the circuit or the console ended).</summary>
    public Task Checks { get; private set; } = Task.CompletedTask;

    /// <summary>False when <paramref name="user"/> is a local account whose session has ended; true otherwise.</summary>
    public async Task<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (!IsLocalAccount(user))
            return true;
        await using var scope = _scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        cancellationToken.ThrowIfCancellationRequested();
        var found = await users.GetUserAsync(user);
        if (found is null)
            return false;
        if (!users.SupportsUserSecurityStamp)
            return true;
        return user.FindFirstValue(_identity.Value.ClaimsIdentity.SecurityStampClaimType) == await users.GetSecurityStampAsync(found);
    }

    public void Dispose()
    {
        AuthenticationStateChanged -= Revalidate;
        _ended.Cancel();
        _current?.Dispose();
        _ended.Dispose();
    }

    private static bool IsLocalAccount(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: var type } && type == IdentityConstants.ApplicationScheme;

    private void Revalidate(Task<AuthenticationState> state)
    {
        if (_ended.IsCancellationRequested)
            return;
        var previous = _current;
        _current = CancellationTokenSource.CreateLinkedTokenSource(_ended.Token);
        previous?.Cancel();
        previous?.Dispose();
        Checks = CheckAsync(state, _current.Token);
    }

    private async Task CheckAsync(Task<AuthenticationState> state, CancellationToken cancellationToken)
    {
        try
        {
            var user = (await state).User;
            if (!IsLocalAccount(user))
                return;
            using var timer = new PeriodicTimer(_auth.Value.RevocationCheckInterval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await IsStillValidAsync(user, cancellationToken))
                    continue;
                SignOut();
                return;
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            // The circuit ended, the user changed, or the console is stopping (its services may be disposed under a
            // check that was under way): nothing left to check.
            _logger.LogDebug("Session checks of a circuit ended with the circuit or the console ({Reason})", ex.GetType().Name);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Checking a circuit's session failed; the circuit is signed out");
            SignOut();
        }
    }

    private void SignOut() =>
        SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
}
