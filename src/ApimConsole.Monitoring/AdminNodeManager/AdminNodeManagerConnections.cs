using System.Net.Security;
using ApimConsole.Core.Configuration;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.AdminNodeManager;

/// <summary>
/// Admin Node Manager clients for acting on the estate (start, stop), built from the same <c>Estate</c> configuration
/// the probes use: each datacenter's URLs, credentials and <c>AcceptAnyServerCertificate</c>. Their own connections,
/// so an action never waits behind a probe or the other way round. The caller sets each call's deadline.
/// </summary>
public sealed class AdminNodeManagerConnections : IDisposable
{
    private readonly HttpClient _strict;
    private readonly HttpClient? _acceptAny;
    private readonly Dictionary<string, IReadOnlyList<(string ComponentId, AdminNodeManagerClient Client)>> _byDatacenter = new(StringComparer.OrdinalIgnoreCase);

    public AdminNodeManagerConnections(IOptions<EstateOptions> estate)
    {
        _strict = NewClient(acceptAnyCertificate: false);
        foreach (var dc in estate.Value.Datacenters)
        {
            var http = _strict;
            if (dc.AdminNodeManager.AcceptAnyServerCertificate)
                http = _acceptAny ??= NewClient(acceptAnyCertificate: true);
            var urls = dc.AdminNodeManager.Urls;
            _byDatacenter[dc.Id] = urls.Select((url, i) =>
                (ComponentId(urls.Count, i), new AdminNodeManagerClient(http, url, dc.AdminNodeManager.Username, dc.AdminNodeManager.Password))).ToList();
        }
    }

    /// <summary>The id the estate snapshot gives the <paramref name="index"/>-th of <paramref name="count"/> ANMs of a datacenter.</summary>
    public static string ComponentId(int count, int index) => count == 1 ? "anm" : $"anm-{index + 1}";

    /// <summary>The datacenter's ANMs in configuration order, each with its component id; empty for an unknown datacenter.</summary>
    public IReadOnlyList<(string ComponentId, AdminNodeManagerClient Client)> For(string datacenterId) =>
        _byDatacenter.TryGetValue(datacenterId, out var clients) ? clients : [];

    private static HttpClient NewClient(bool acceptAnyCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        if (acceptAnyCertificate)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
        // Deadlines come from each caller's token.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public void Dispose()
    {
        _strict.Dispose();
        _acceptAny?.Dispose();
    }
}
