using ApimConsole.Web.Security;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// <c>Metrics</c>: <c>GET /metrics</c> in the Prometheus text format. By default only an authenticated caller reads it
/// (any of the console's API tokens or a signed-in user, any role, or <see cref="Token"/>); the estate's state is not
/// served to anyone who asks.
/// </summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>The path Prometheus scrapes.</summary>
    public const string Path = "/metrics";

    /// <summary>Serve <c>/metrics</c> (and time the probes for it). False: no endpoint.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A secret (at least 32 characters) Prometheus presents as <c>Authorization: Bearer</c>: it reads <c>/metrics</c>
    /// and nothing else. Empty: only the console's own API tokens and signed-in users read it.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Serve <c>/metrics</c> to anyone who can reach it, unauthenticated (for a scrape network nobody else reaches). Not with <see cref="Token"/>.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Every problem with the section, each naming its key; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Token))
            return errors;
        if (Token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            errors.Add("Metrics:Token must not contain spaces or control characters.");
        else if (Token.Length < AuthOptions.MinimumTokenLength)
            errors.Add($"Metrics:Token is too short ({Token.Length} characters): use at least {AuthOptions.MinimumTokenLength} random characters, e.g. `openssl rand -base64 33`.");
        if (AllowAnonymous)
            errors.Add("Metrics:AllowAnonymous and Metrics:Token: set one or the other (a token that anyone may leave out protects nothing).");
        if (!Enabled)
            errors.Add("Metrics:Token is set but Metrics:Enabled is false: remove the token or enable the endpoint.");
        return errors;
    }
}
