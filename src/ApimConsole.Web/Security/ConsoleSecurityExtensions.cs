using ApimConsole.Web.Hosting;
using System.Security.Claims;
using ApimConsole.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Security;

/// <summary>
/// Authentication and authorization of the console: local accounts (ASP.NET Core Identity on the console's store,
/// lockout), API tokens (<c>Authorization: Bearer</c>), wallboard tokens (<c>/wall?token=</c> once, then a long-lived
/// cookie re-checked against the store), optional OpenID Connect, the three role policies, and a fallback policy that
/// denies anything that states none to anyone not signed in.
/// </summary>
public static class ConsoleSecurityExtensions
{
    /// <summary>The default scheme: picks the bearer, the Identity cookie, the OIDC cookie or the wall cookie per request.</summary>
    public const string ConsoleScheme = "Console";
    public const string WallScheme = "Wall";
    public const string WallCookieName = ".ApimConsole.Wall";
    public const string IdentityCookieName = ".ApimConsole.Identity";
    public const string OidcScheme = "oidc";
    public const string OidcCookieScheme = "OidcCookie";
    public const string OidcCookieName = ".ApimConsole.Oidc";
    public const string SignInPath = "/account/signin";
    public const string DeniedPath = "/account/denied";

    public static IServiceCollection AddConsoleSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AuthOptions.SectionName);
        services.AddOptions<AuthOptions>().BindChecked(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidation>();
        var auth = section.GetChecked<AuthOptions>();

        // Identity works on a scoped context; the console's other code keeps using the factory.
        services.TryAddScoped<ConsoleDbContext>(sp => sp.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContext());
        services.AddIdentityCore<IdentityUser>(o =>
            {
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = auth.MaxFailedSignIns;
                o.Lockout.DefaultLockoutTimeSpan = auth.LockoutDuration;
                o.Password.RequiredLength = 12;
                o.Password.RequireNonAlphanumeric = false;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<ConsoleDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        // Sign-out, a password or role change, a lock or a deletion changes the user's security stamp (or removes the
        // user): every sign-in cookie issued before is refused at its next request after this interval.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = auth.RevocationCheckInterval);
        services.AddSignInProtection(auth);
        services.TryAddScoped<ConsoleSignIn>();

        var authentication = services.AddAuthentication(o =>
        {
            o.DefaultScheme = ConsoleScheme;
            o.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
        });
        authentication.AddPolicyScheme(ConsoleScheme, "Console", o => o.ForwardDefaultSelector = context =>
        {
            if (ApiTokenAuthenticationHandler.PresentedSecret(context.Request) is not null)
                return ApiTokenAuthenticationHandler.SchemeName;
            var cookies = context.Request.Cookies;
            if (cookies.ContainsKey(IdentityCookieName))
                return IdentityConstants.ApplicationScheme;
            if (auth.Oidc.Enabled && cookies.ContainsKey(OidcCookieName))
                return OidcCookieScheme;
            if (cookies.ContainsKey(WallCookieName))
                return WallScheme;
            return IdentityConstants.ApplicationScheme;
        });
        authentication.AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = IdentityCookieName;
            ConfigureConsoleCookie(o);
        });
        authentication.AddCookie(WallScheme, o =>
        {
            o.Cookie.Name = WallCookieName;
            o.ExpireTimeSpan = auth.WallCookieLifetime;
            ConfigureConsoleCookie(o);
            // Every request re-checks the token behind the cookie: a revoked wall screen is out at its next request.
            o.Events.OnValidatePrincipal = async context =>
            {
                var tokens = context.HttpContext.RequestServices.GetRequiredService<ApiTokenService>();
                if (TokenPrincipal.TokenId(context.Principal) is not { } id || !await tokens.IsActiveAsync(id, context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(WallScheme);
                }
            };
        });
        authentication.AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        if (auth.Oidc.Enabled)
            AddOidc(authentication, auth.Oidc);

        services.AddAuthorizationBuilder()
            .AddPolicy(ConsolePolicies.Viewer, p => p.RequireRole(ConsoleRoles.Administrator, ConsoleRoles.Support, ConsoleRoles.Viewer))
            .AddPolicy(ConsolePolicies.Support, p => p.RequireRole(ConsoleRoles.Administrator, ConsoleRoles.Support))
            .AddPolicy(ConsolePolicies.Administrator, p => p.RequireRole(ConsoleRoles.Administrator))
            .AddPolicy(ConsolePolicies.Peer, p => p.RequireRole(ConsoleRoles.Viewer).RequireClaim(TokenPrincipal.TokenKindClaim, nameof(ApimConsole.Storage.Records.ApiTokenKind.Peer)))
            // Default deny: whatever states no policy is for authenticated callers only, and nothing is anonymous
            // except what says [AllowAnonymous] (sign-in, static assets).
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddCascadingAuthenticationState();
        // Live circuits of local accounts end with their session too (not only the cookie at its next request).
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, SessionRevalidation>();
        // SecurityHeadersMiddleware sends X-Frame-Options: DENY; antiforgery would add a second, SAMEORIGIN.
        services.Configure<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>(o => o.SuppressXFrameOptionsHeader = true);

        services.TryAddSingleton<ApiTokenService>();
        services.TryAddSingleton<ConsoleUsers>();
        services.TryAddSingleton<TokenConnections>();
        services.AddHostedService(sp => sp.GetRequiredService<TokenConnections>());
        services.AddHostedService<FirstStartService>();
        return services;
    }

    private static void ConfigureConsoleCookie(CookieAuthenticationOptions o)
    {
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.LoginPath = SignInPath;
        o.AccessDeniedPath = DeniedPath;
        // APIs and the hub answer 401/403; pages redirect to sign-in or "not allowed".
        o.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
        o.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/_blazor"))
            context.Response.StatusCode = status;
        else
            context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static void AddOidc(AuthenticationBuilder authentication, OidcOptions oidc)
    {
        authentication.AddCookie(OidcCookieScheme, o =>
        {
            o.Cookie.Name = OidcCookieName;
            ConfigureConsoleCookie(o);
        });
        authentication.AddOpenIdConnect(OidcScheme, o =>
        {
            o.SignInScheme = OidcCookieScheme;
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = oidc.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            o.SaveTokens = false;
            o.GetClaimsFromUserInfoEndpoint = true;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "preferred_username";
            o.TokenValidationParameters.RoleClaimType = ClaimTypes.Role;
            o.Events.OnTokenValidated = context =>
            {
                // The audit trail tells tokens and the console from people by kind; a name that reads as one is refused.
                if (context.Principal?.Identity?.Name is { } oidcName && ApimConsole.Storage.Records.AuditActor.IsReservedUserName(oidcName))
                {
                    context.Fail($"The user name '{oidcName}' is reserved by the console.");
                    return Task.CompletedTask;
                }
                if (context.Principal?.Identity is ClaimsIdentity identity)
                {
                    foreach (var role in OidcRoles.Map(identity.Claims, oidc))
                        identity.AddClaim(new Claim(ClaimTypes.Role, role));
                }
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>Security headers on every response, static files included: first in the pipeline.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeadersMiddleware>();
        return app;
    }

    /// <summary>
    /// The sign-in rate limit and form bounds, then the refusal of cross-site state changes (after routing: it reads
    /// the endpoint's <see cref="JsonBodyOnlyAttribute"/>), before anything records or authenticates.
    /// </summary>
    public static WebApplication UseRequestGuards(this WebApplication app)
    {
        app.UseSignInProtection();
        app.UseMiddleware<CrossSiteRequestGuard>();
        return app;
    }

    public static WebApplication UseConsoleSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseMiddleware<WallTokenSignInMiddleware>();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Sign-out, and OIDC's entry when configured. The pages (sign-in, denied, password) are components.</summary>
    public static WebApplication MapConsoleAccount(this WebApplication app)
    {
        app.MapPost("/account/signout", async (HttpContext context, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl) =>
            {
                // Recorded first (a local account's security stamp moves with it, ending copies of its cookie): a
                // sign-out the store cannot record is refused with 503, the cookies kept (UseStoreRefusals).
                if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: var type })
                {
                    await context.RequestServices.GetRequiredService<ConsoleUsers>()
                        .SignOutAsync(context.User, ConsoleActor.Of(context.User), localAccount: type == IdentityConstants.ApplicationScheme);
                }
                await context.SignOutAsync(IdentityConstants.ApplicationScheme);
                await context.SignOutAsync(WallScheme);
                if (context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Oidc.Enabled)
                    await context.SignOutAsync(OidcCookieScheme);
                return Results.Redirect(SignInPath);
            })
            .AllowAnonymous();
        // From configuration, not IOptions: a bad Auth section must fail at start with its validation message, not here.
        if ((app.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions()).Oidc.Enabled)
        {
            app.MapGet("/account/oidc", (string? returnUrl) =>
                    Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [OidcScheme]))
                .AllowAnonymous();
        }
        return app;
    }

    /// <summary><paramref name="url"/> when it is a path on this console, else "/" (no open redirect).</summary>
    public static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    private sealed class AuthOptionsValidation : IValidateOptions<AuthOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuthOptions options)
        {
            var errors = options.Validate();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>Console roles from an identity provider's claims, through <see cref="OidcOptions.RoleMap"/>.</summary>
public static class OidcRoles
{
    public static IReadOnlyList<string> Map(IEnumerable<Claim> claims, OidcOptions oidc) =>
        claims.Where(c => c.Type == oidc.RoleClaim)
            .Select(c => oidc.RoleMap.TryGetValue(c.Value, out var role) ? role : null)
            .OfType<string>()
            .Where(ConsoleRoles.All.Contains)
            .Distinct()
            .ToList();
}
