using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;

namespace ApimConsole.Web.Security;

/// <summary>
/// What stands between an anonymous caller and the sign-in form and the token check: a per-client rate limit (ASP.NET
/// Core's rate limiter; 429 with Retry-After), a bound on the form's size and on the user name (400, nothing stored),
/// and a per-client budget of failed bearer tokens.
/// </summary>
public static class SignInProtection
{
    /// <summary>Longest user name the sign-in form takes (the users page creates none longer).</summary>
    public const int MaxUserNameLength = 100;

    /// <summary>Longest password the sign-in form takes.</summary>
    public const int MaxPasswordLength = 512;

    /// <summary>Largest sign-in form body: the two fields at their limits, the antiforgery token and room to spare.</summary>
    public const int MaxFormBytes = 16 * 1024;

    public static IServiceCollection AddSignInProtection(this IServiceCollection services, AuthOptions auth)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsSignInPost(context.Request)
                    ? RateLimitPartition.GetFixedWindowLimiter("signin " + ClientKey(context), _ => Window(auth))
                    : RateLimitPartition.GetNoLimiter(""));
            o.OnRejected = (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : auth.SignInWindow;
                return new ValueTask(WriteTooManyAsync(context.HttpContext, retryAfter,
                    "Too many sign-in attempts from this address."));
            };
        });
        services.AddSingleton(new TokenFailureThrottle(auth));
        return services;
    }

    /// <summary>The rate limiter, then the form's bounds: before authentication, antiforgery and the page itself.</summary>
    public static IApplicationBuilder UseSignInProtection(this IApplicationBuilder app)
    {
        app.UseRateLimiter();
        app.UseMiddleware<SignInFormBounds>();
        return app;
    }

    internal static FixedWindowRateLimiterOptions Window(AuthOptions auth) => new()
    {
        PermitLimit = auth.SignInAttemptsPerClient,
        Window = auth.SignInWindow,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public static bool IsSignInPost(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Equals(ConsoleSecurityExtensions.SignInPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The client a budget belongs to: its IPv4 address, or its IPv6 /64 (one host usually holds a whole /64, and
    /// could otherwise take a fresh budget per address). Behind a reverse proxy every client is the proxy, so the
    /// budget is shared (see SECURITY.md); forwarded headers are not trusted.
    /// </summary>
    public static string ClientKey(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
            return "(no address)";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    internal static Task WriteTooManyAsync(HttpContext context, TimeSpan retryAfter, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(title: title, detail: $"Try again in {seconds} s.", statusCode: StatusCodes.Status429TooManyRequests)
            .ExecuteAsync(context);
    }

    internal static Task WriteBadRequestAsync(HttpContext context, string title, string detail) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);

    /// <summary>
    /// Refuses a sign-in POST whose body is over <see cref="MaxFormBytes"/>, or whose user name or password is over its
    /// limit, with a 400 that says so; the page never runs, so nothing is looked up, hashed or audited.
    /// </summary>
    private sealed class SignInFormBounds(RequestDelegate next)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            if (!IsSignInPost(context.Request))
            {
                await next(context);
                return;
            }
            var request = context.Request;
            if (request.ContentLength > MaxFormBytes)
            {
                await WriteBadRequestAsync(context, "The sign-in form is too large.",
                    $"The form is {request.ContentLength} bytes, over the limit of {MaxFormBytes}: user names are at most {MaxUserNameLength} characters.");
                return;
            }
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = MaxFormBytes;
            if (request.HasFormContentType)
            {
                IFormCollection form;
                try
                {
                    form = await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxFormBytes, MultipartBodyLengthLimit = MaxFormBytes, ValueCountLimit = 32 }, context.RequestAborted);
                }
                catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
                {
                    await WriteBadRequestAsync(context, "The sign-in form could not be read.",
                        $"It is over {MaxFormBytes} bytes or malformed: user names are at most {MaxUserNameLength} characters.");
                    return;
                }
                var name = form["Input.UserName"].ToString();
                if (name.Trim().Length > MaxUserNameLength)
                {
                    await WriteBadRequestAsync(context, "The user name is too long.",
                        $"User names are at most {MaxUserNameLength} characters; this one has {name.Trim().Length}.");
                    return;
                }
                if (form["Input.Password"].ToString().Length > MaxPasswordLength)
                {
                    await WriteBadRequestAsync(context, "The password is too long.", $"Passwords are at most {MaxPasswordLength} characters.");
                    return;
                }
            }
            await next(context);
        }
    }
}

/// <summary>
/// Failed bearer tokens per client: each unknown or revoked token presented takes one of the client's
/// <see cref="AuthOptions.SignInAttemptsPerClient"/> per <see cref="AuthOptions.SignInWindow"/>; once they are gone,
/// every bearer request of that client answers 429 with Retry-After until the window ends, before any lookup.
/// </summary>
public sealed class TokenFailureThrottle(AuthOptions auth)
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetFixedWindowLimiter(client, _ => SignInProtection.Window(auth)));

    /// <summary>When the client has no failures left: how long until it may try again; else null.</summary>
    public TimeSpan? Throttled(string client)
    {
        using var probe = _failures.AttemptAcquire(client, 0);
        if (probe.IsAcquired)
            return null;
        return probe.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : auth.SignInWindow;
    }

    /// <summary>Counts one failure of the client.</summary>
    public void Failed(string client)
    {
        using var _ = _failures.AttemptAcquire(client, 1);
    }
}
