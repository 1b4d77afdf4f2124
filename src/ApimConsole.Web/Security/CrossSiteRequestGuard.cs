namespace ApimConsole.Web.Security;

/// <summary>
/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS, TRACE) that a browser sent from another site
/// while it carries the console's cookies: <c>Sec-Fetch-Site</c> other than <c>same-origin</c> or <c>none</c>, or, from a
/// browser that does not send it, an <c>Origin</c> whose host and port are not this request's <c>Host</c>. A request
/// with neither header is not a cross-site browser request (curl, scripts) and passes; one with a bearer token passes
/// (a browser never attaches one by itself, and the token, not a cookie, authenticates it). On top of the forms'
/// antiforgery tokens, this covers every cookie-authenticated endpoint, the JSON APIs and the lab's included.
/// Also refuses a body that is not JSON on an endpoint marked <see cref="JsonBodyOnlyAttribute"/> (415).
/// </summary>
public sealed class CrossSiteRequestGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            return next(context);
        if (ApiTokenAuthenticationHandler.PresentedSecret(request) is null && CrossSite(request) is { } why)
        {
            return Results.Problem(
                title: "Cross-site request refused.",
                detail: $"This request came from another site ({why}) with the console's sign-in cookie. Use the console's own pages, or an API token (Authorization: Bearer).",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }
        if (context.GetEndpoint()?.Metadata.GetMetadata<JsonBodyOnlyAttribute>() is not null && HasBody(request) && !request.HasJsonContentType())
        {
            return Results.Problem(
                title: "Send JSON.",
                detail: $"This endpoint takes a JSON body (Content-Type: application/json), not '{request.ContentType}'.",
                statusCode: StatusCodes.Status415UnsupportedMediaType).ExecuteAsync(context);
        }
        return next(context);
    }

    /// <summary>Why the request is cross-site, or null when it is not (or cannot be told, as from curl).</summary>
    public static string? CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
            return site is "same-origin" or "none" ? null : $"Sec-Fetch-Site: {Shorten(site)}";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
            return null;
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
            return null;
        return $"Origin: {Shorten(origin)}, not {Shorten(request.Host.Value ?? "")}";
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";
}

/// <summary>The endpoint takes JSON bodies only: any other content type is a 415 (<see cref="CrossSiteRequestGuard"/>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class JsonBodyOnlyAttribute : Attribute;
