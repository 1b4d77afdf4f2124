using ApimConsole.Storage.Records;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>
/// <c>/wall?token=&lt;secret&gt;</c>: a wallboard token presented once becomes a long-lived wall cookie bound to the
/// token's id, and the browser is sent on to <c>/wall</c> without the secret in its address bar. An unknown or revoked
/// token is a 401 that says so.
/// </summary>
public sealed class WallTokenSignInMiddleware(RequestDelegate next, ApiTokenService tokens, IOptions<AuthOptions> options, TokenFailureThrottle throttle)
{
    public const string WallPath = "/wall";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || !context.Request.Path.Equals(WallPath, StringComparison.OrdinalIgnoreCase)
            || !context.Request.Query.TryGetValue("token", out var presented))
        {
            await next(context);
            return;
        }
        // A wall link is a token too: its failures spend the client's budget, and a spent client is refused before any lookup.
        var client = SignInProtection.ClientKey(context);
        if (throttle.Throttled(client) is { } retryAfter)
        {
            await SignInProtection.WriteTooManyAsync(context, retryAfter, "Too many unknown or revoked tokens from this address.");
            return;
        }
        var token = presented.Count == 1 ? await tokens.FindAsync(presented[0]!, ApiTokenKind.Wallboard, context.RequestAborted) : null;
        if (token is null)
        {
            throttle.Failed(client);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("This wallboard token is unknown or revoked. Ask an administrator for a new wall link.");
            return;
        }
        await context.SignInAsync(ConsoleSecurityExtensions.WallScheme, TokenPrincipal.For(token, ConsoleSecurityExtensions.WallScheme),
            new AuthenticationProperties { IsPersistent = true, ExpiresUtc = DateTimeOffset.UtcNow + options.Value.WallCookieLifetime });
        await tokens.NoteUseAsync(token, "wall sign-in", context.RequestAborted);
        context.Response.Redirect(WallPath);
    }
}
