namespace ApimConsole.Core.Peer;

/// <summary>
/// <c>Peer</c>: the console in the other datacenter, read over a path that does not cross the inter-DC link (the
/// global load balancer's address of it, or a management network). Empty <see cref="Url"/>: no peer.
/// </summary>
public sealed class PeerOptions
{
    public const string SectionName = "Peer";

    /// <summary>The other console's base URL (http or https), e.g. <c>https://console-dc2.example</c>.</summary>
    public string? Url { get; set; }

    /// <summary>An API token of the other console with the Viewer role: it is only ever used to read.</summary>
    public string? Token { get; set; }

    /// <summary>The datacenter the peer runs in; empty: whichever other datacenter it says.</summary>
    public string? Datacenter { get; set; }

    /// <summary>Longest one read of the peer's view may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time between reads of the peer's view.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Time between reads while the peer's datacenter is unreachable from here and the peer has not yet shown whether it
    /// is serving (at most <see cref="PeerProtocol.FastReadsFor"/> from when it went silent): the verdict waits on them.
    /// </summary>
    public TimeSpan FastInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Accept any TLS certificate of the peer.</summary>
    public bool AcceptAnyServerCertificate { get; set; }

    /// <summary>A PEM file of the CA(s) that signed the peer's certificate (the host name must still match).</summary>
    public string? CaFile { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(Url);

    /// <summary>Every problem, each naming its key; <paramref name="consoleDatacenter"/> and <paramref name="datacenters"/> from <c>Estate</c>.</summary>
    public IReadOnlyList<string> Validate(string consoleDatacenter, IEnumerable<string> datacenters)
    {
        var errors = new List<string>();
        if (!Configured)
            return errors;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            errors.Add($"Peer:Url '{Url}' is not an absolute http(s) URL.");
        if (string.IsNullOrWhiteSpace(Token))
            errors.Add("Peer:Token is required when Peer:Url is set: an API token of the peer console with the Viewer role.");
        else if (Token.Any(char.IsControl) || Token.Contains(' '))
            errors.Add("Peer:Token must not contain spaces or control characters.");
        if (!string.IsNullOrWhiteSpace(Datacenter))
        {
            if (string.Equals(Datacenter, consoleDatacenter, StringComparison.OrdinalIgnoreCase))
                errors.Add($"Peer:Datacenter '{Datacenter}' is this console's own datacenter (Estate:ConsoleDatacenter): the peer runs in the other one.");
            else if (!datacenters.Any(d => string.Equals(d, Datacenter, StringComparison.OrdinalIgnoreCase)))
                errors.Add($"Peer:Datacenter '{Datacenter}' is not one of the datacenters ({string.Join(", ", datacenters)}).");
        }
        if (Timeout < TimeSpan.FromMilliseconds(50) || Timeout > TimeSpan.FromMinutes(1))
            errors.Add($"Peer:Timeout {Timeout} must be between 50 ms and 1 minute.");
        if (Interval < TimeSpan.FromMilliseconds(100) || Interval > TimeSpan.FromMinutes(5))
            errors.Add($"Peer:Interval {Interval} must be between 100 ms and 5 minutes.");
        if (FastInterval < TimeSpan.FromMilliseconds(50) || FastInterval > Interval)
            errors.Add($"Peer:FastInterval {FastInterval} must be between 50 ms and Peer:Interval ({Interval}).");
        if (AcceptAnyServerCertificate && !string.IsNullOrWhiteSpace(CaFile))
            errors.Add("Peer:AcceptAnyServerCertificate and Peer:CaFile: set one or the other.");
        return errors;
    }
}

/// <summary>The version a console reports to its peer: consoles witness for each other only on the same one.</summary>
public static class PeerProtocol
{
    public const string ViewPath = "/api/peer/view";

    /// <summary>
    /// <c>GET /api/peer/view?freshAfter=2026-12-06T05:00:00.1230000+00:00&amp;wait=500</c>: the reader needs evidence made
    /// after that time. The peer probes its own datacenter at once (at most one forced round per
    /// <see cref="ForcedRoundSpacing"/>) and answers when those probes are done or after <c>wait</c> milliseconds
    /// (default <see cref="DefaultWait"/>, at most <see cref="MaxWait"/>), with what it has by then.
    /// </summary>
    public const string FreshAfterParameter = "freshAfter";

    /// <summary>How long, in milliseconds, the peer may hold a <see cref="FreshAfterParameter"/> read.</summary>
    public const string WaitParameter = "wait";

    public static readonly TimeSpan DefaultWait = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The least time between two probe rounds a peer's reads force: a read-only token cannot make a console probe its
    /// datacenter in a loop (reads in between wait for the last round, or for the regular probes).
    /// </summary>
    public static readonly TimeSpan ForcedRoundSpacing = TimeSpan.FromMilliseconds(250);

    /// <summary>How long after a datacenter went silent the reader keeps reading at <see cref="PeerOptions.FastInterval"/>.</summary>
    public static readonly TimeSpan FastReadsFor = TimeSpan.FromSeconds(30);

    public static string ConsoleVersion { get; } =
        (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(PeerView).Assembly)?.InformationalVersion
         ?? typeof(PeerView).Assembly.GetName().Version?.ToString() ?? "0").Split('+')[0];
}
