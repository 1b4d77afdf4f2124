using System.Security.Claims;
using System.Text.Encodings.Web;
using ApimConsole.Storage.Records;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;secret&gt;</c> with an API token (and, for the hub only, <c>?access_token=</c>, which is
/// how SignalR clients pass it on WebSockets). The principal's name is <c>token:&lt;name&gt;</c>, its role the token's.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenService tokens,
    TokenFailureThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = PresentedSecret(Request);
        if (secret is null)
            return AuthenticateResult.NoResult();
        // A client that spent its failures is refused before any lookup, valid token or not, until its window ends.
        var client = SignInProtection.ClientKey(Context);
        if (throttle.Throttled(client) is { } retryAfter)
        {
            Context.Items[ThrottledItem] = retryAfter;
            return AuthenticateResult.Fail("Too many unknown or revoked tokens from this address.");
        }
        // A Bearer token is an API token or the peer console's (Viewer, plus the peer endpoints).
        var token = await tokens.FindAsync(secret, ApiTokenKind.Api, Context.RequestAborted)
            ?? await tokens.FindAsync(secret, ApiTokenKind.Peer, Context.RequestAborted);
        if (token is null)
        {
            throttle.Failed(client);
            return AuthenticateResult.Fail("The bearer token is unknown or revoked.");
        }
        await tokens.NoteUseAsync(token, $"{Request.Method} {Request.Path}", Context.RequestAborted);
        return AuthenticateResult.Success(new AuthenticationTicket(TokenPrincipal.For(token, SchemeName), SchemeName));
    }

    private const string ThrottledItem = "apimconsole:token-throttled";

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.TryGetValue(ThrottledItem, out var value) && value is TimeSpan retryAfter)
            return SignInProtection.WriteTooManyAsync(Context, retryAfter, "Too many unknown or revoked tokens from this address.");
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>The secret this request presents, or null when it presents none.</summary>
    public static string? PresentedSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var query) && query.Count == 1)
            return query[0];
        return null;
    }
}

/// <summary>The principal of a request or circuit authenticated by a token.</summary>
public static class TokenPrincipal
{
    /// <summary>The id of the token behind a principal (API or wallboard).</summary>
    public const string TokenIdClaim = "apimconsole:token-id";

    public const string TokenKindClaim = "apimconsole:token-kind";

    public static ClaimsPrincipal For(ActiveToken token, string authenticationType) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, token.ActorName),
                new Claim(ClaimTypes.Role, token.Role),
                new Claim(TokenIdClaim, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(TokenKindClaim, token.Kind.ToString()),
            ],
            authenticationType, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>The token id of a token principal; null for a signed-in user.</summary>
    public static long? TokenId(ClaimsPrincipal? user) =>
        long.TryParse(user?.FindFirst(TokenIdClaim)?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;

    public static bool IsWallboard(ClaimsPrincipal? user) => user?.FindFirst(TokenKindClaim)?.Value == nameof(ApiTokenKind.Wallboard);
}

/// <summary>Who did something, for the audit trail and the records: the user name, or <c>token:&lt;name&gt;</c>.</summary>
public static class ConsoleActor
{
    /// <summary>The actor's name; <c>system</c> is never returned for a person, and an unauthenticated caller is "unauthenticated" (it should never get this far).</summary>
    public static string Of(ClaimsPrincipal? user) =>
        user?.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "unauthenticated";
}
