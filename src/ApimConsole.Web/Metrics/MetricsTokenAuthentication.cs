using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// Authentication of <c>GET /metrics</c>: the scrape token (<c>Metrics:Token</c>) is recognised here, before the
/// console's API tokens are looked up, so a correct scrape token is never counted as an unknown token by the
/// per-client throttle. Any other bearer is handed to the API-token scheme as on every other endpoint.
/// </summary>
public sealed class MetricsTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<MetricsOptions> metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MetricsToken";

    /// <summary>The claim of the scrape token's principal: it may read <c>/metrics</c> and nothing else (it has no role).</summary>
    public const string ScrapeClaim = "apimconsole:metrics-scrape";

    private readonly byte[]? _token = string.IsNullOrEmpty(metrics.Value.Token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(metrics.Value.Token));

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApiTokenAuthenticationHandler.PresentedSecret(Request) is not { } secret)
            return AuthenticateResult.NoResult();
        // Hashes of equal length compared in fixed time: neither the token's length nor its prefix leaks through timing.
        if (_token is not null && CryptographicOperations.FixedTimeEquals(_token, SHA256.HashData(Encoding.UTF8.GetBytes(secret))))
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "metrics"), new Claim(ScrapeClaim, "true")], SchemeName, ClaimTypes.Name, ClaimTypes.Role);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
        return await Context.AuthenticateAsync(ApiTokenAuthenticationHandler.SchemeName);
    }

    /// <summary>401 with <c>WWW-Authenticate: Bearer</c>, or 429 for a client throttled for unknown tokens: the API-token scheme's answer.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Context.ChallengeAsync(ApiTokenAuthenticationHandler.SchemeName, properties);
}
