using System.Net.Security;
using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>
/// The ANM clients of each configured datacenter (<c>Estate:Datacenters:N:AdminNodeManager</c>), built the way the
/// status engine builds its own: one pooled <see cref="HttpClient"/>, another for datacenters whose ANM certificate is
/// accepted as is. For callers other than the probes (deployments, deployed versions, restarts), so an action never waits behind a probe. No client-wide timeout: every
/// call carries the caller's deadline.
/// </summary>
public sealed class AdminNodeManagerConnections : IDisposable
{
    private readonly Dictionary<string, IReadOnlyList<AdminNodeManagerClient>> _byDatacenter = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<HttpClient> _http = [];

    public AdminNodeManagerConnections(IOptions<EstateOptions> estate)
    {
        HttpClient? strict = null;
        HttpClient? lenient = null;
        var source = EstateSourceAddress.Parse(estate.Value.SourceAddress);
        foreach (var dc in estate.Value.Datacenters)
        {
            var anm = dc.AdminNodeManager;
            var http = anm.AcceptAnyServerCertificate
                ? lenient ??= Track(CreateHttpClient(TimeSpan.FromSeconds(5), acceptAnyCertificate: true, source: source))
                : strict ??= Track(CreateHttpClient(TimeSpan.FromSeconds(5), acceptAnyCertificate: false, source: source));
            _byDatacenter[dc.Id] = anm.Urls.Select(url => new AdminNodeManagerClient(http, url, anm.Username, anm.Password)).ToList();
        }
        DatacenterIds = estate.Value.Datacenters.Select(d => d.Id).ToList();
    }

    /// <summary>The configured datacenters, in configuration order.</summary>
    public IReadOnlyList<string> DatacenterIds { get; }

    /// <summary>The datacenter's ANM clients in configuration order (empty for an unknown datacenter).</summary>
    public IReadOnlyList<AdminNodeManagerClient> For(string datacenterId) =>
        _byDatacenter.TryGetValue(datacenterId, out var clients) ? clients : [];

    /// <summary>The datacenter's ANM clients, each with the component id the estate snapshot gives it.</summary>
    public IReadOnlyList<(string ComponentId, AdminNodeManagerClient Client)> WithComponentIds(string datacenterId)
    {
        var clients = For(datacenterId);
        return clients.Select((client, i) => (ComponentId(clients.Count, i), client)).ToList();
    }

    /// <summary>The id the estate snapshot gives the <paramref name="index"/>-th of <paramref name="count"/> ANMs of a datacenter.</summary>
    public static string ComponentId(int count, int index) => count == 1 ? "anm" : $"anm-{index + 1}";

    /// <summary>
    /// An HTTP client for an ANM or another estate peer: bounded connect time, no redirects, no cookies;
    /// <paramref name="decompress"/> asks for compressed answers (for large reads such as traffic searches).
    /// </summary>
    public static HttpClient CreateHttpClient(TimeSpan connectTimeout, bool acceptAnyCertificate, bool decompress = false, System.Net.IPAddress? source = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = decompress ? System.Net.DecompressionMethods.All : System.Net.DecompressionMethods.None,
        };
        handler.BindTo(source);
        if (acceptAnyCertificate)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private HttpClient Track(HttpClient client)
    {
        _http.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var client in _http)
            client.Dispose();
    }
}
