using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;

namespace ApimConsole.Monitoring.LoadBalancer;

/// <summary>
/// Reads the global load balancer's view of each datacenter's pool. Any failure (unreachable, refused, a document of
/// the wrong shape, a mapped pool absent) is an exception with the reason: the engine then has no witness, never a
/// verdict from it.
/// </summary>
public interface ILoadBalancerWitness
{
    /// <summary>The product it reads, for the component's name (<c>HAProxy</c>, <c>F5 BIG-IP</c>, ...).</summary>
    string Product { get; }

    Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken);
}

/// <summary>Builds the witness <c>Estate:LoadBalancer</c> describes, with its own HTTP client (credentials, TLS).</summary>
public sealed class LoadBalancerWitnesses
{
    /// <summary>
    /// Largest pool document read: 1 MiB of the lab's JSON; 4 MiB of CSV, NGINX Plus, NITRO or one F5 pool's members;
    /// 32 MiB of HAProxy's typed JSON, which spends about 14 KB on each server.
    /// </summary>
    public static int MaxDocumentBytes(string kind) => kind switch
    {
        LoadBalancerKinds.Lab => 1024 * 1024,
        LoadBalancerKinds.HaproxyJson => 32 * 1024 * 1024,
        _ => 4 * 1024 * 1024,
    };

    public static ILoadBalancerWitness Create(LoadBalancerOptions options, IEnumerable<string> datacenterOrder, HttpClient http)
    {
        var url = new Uri(options.StatusUrl ?? throw new ArgumentException("Estate:LoadBalancer:StatusUrl is empty", nameof(options)));
        var mapping = new PoolMapping(options.Datacenters, datacenterOrder);
        var kind = LoadBalancerKinds.Normalize(options.Kind) ?? throw new ArgumentException($"Estate:LoadBalancer:Kind '{options.Kind}' is unknown", nameof(options));
        var reader = new StatusReader(http, options);
        return kind switch
        {
            LoadBalancerKinds.HaproxyCsv => new DocumentWitness("HAProxy", reader, WithSuffix(url, ";csv"), HaproxyStats.ParseCsv, mapping),
            LoadBalancerKinds.HaproxyJson => new DocumentWitness("HAProxy", reader, WithSuffix(url, ";json"), HaproxyStats.ParseJson, mapping),
            LoadBalancerKinds.NginxPlus => new DocumentWitness("NGINX Plus", reader, url, NginxPlusUpstreams.Parse, mapping),
            LoadBalancerKinds.Citrix => new DocumentWitness("Citrix ADC", reader, new Uri(url, "/nitro/v1/stat/lbvserver"), CitrixLbVservers.Parse, mapping),
            LoadBalancerKinds.F5 => new F5Witness(reader, url, string.Equals(options.F5Module, "Gtm", StringComparison.OrdinalIgnoreCase), mapping),
            _ => new LabWitness(reader, url),
        };
    }

    /// <summary>
    /// An HTTP client for one witness: bounded connect time, no redirects or cookies, and the configured trust: any
    /// certificate, or a chain to the CA file (and the host name matching), or the system's trust.
    /// </summary>
    public static HttpClient CreateHttpClient(LoadBalancerOptions options, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        if (options.AcceptAnyServerCertificate)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
        }
        else if (!string.IsNullOrWhiteSpace(options.CaFile))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(options.CaFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                        return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            };
        }
        return new HttpClient(new TransportFailureHandler(handler)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>HAProxy serves its stats page as CSV or JSON when <c>;csv</c> or <c>;json</c> ends the stats URI.</summary>
    private static Uri WithSuffix(Uri url, string suffix)
    {
        if (url.AbsolutePath.Contains(suffix, StringComparison.OrdinalIgnoreCase))
            return url;
        var builder = new UriBuilder(url);
        builder.Path = builder.Path.TrimEnd(';') + suffix;
        return builder.Uri;
    }
}

/// <summary>GETs one document with the witness's credentials and a bounded body; a refusal is an error that says why.</summary>
internal sealed class StatusReader(HttpClient http, LoadBalancerOptions options)
{
    public async Task<string> GetAsync(Uri url, CancellationToken cancellationToken, Func<HttpStatusCode, string?>? explain = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/json, text/csv, text/plain");
        var kind = LoadBalancerKinds.Normalize(options.Kind);
        if (kind == LoadBalancerKinds.Citrix)
        {
            if (!string.IsNullOrEmpty(options.Username))
            {
                request.Headers.Add("X-NITRO-USER", options.Username);
                request.Headers.Add("X-NITRO-PASS", options.Password);
            }
        }
        else if (kind == LoadBalancerKinds.F5 && !string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Add("X-F5-Auth-Token", options.Token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var why = explain?.Invoke(response.StatusCode) ?? response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    $"load balancer refused the credentials ({(int)response.StatusCode}): check Estate:LoadBalancer:Username/Password{(kind == LoadBalancerKinds.F5 ? "/Token" : "")}",
                _ => $"load balancer answered {(int)response.StatusCode}",
            };
            throw new HttpRequestException(why, null, response.StatusCode);
        }
        return await AdminNodeManagerClient.ReadBoundedAsync(response.Content, LoadBalancerWitnesses.MaxDocumentBytes(kind ?? LoadBalancerKinds.Lab), cancellationToken);
    }
}

/// <summary>One document listing every pool (HAProxy, NGINX Plus, Citrix), mapped to datacenters.</summary>
internal sealed class DocumentWitness(string product, StatusReader reader, Uri url, Func<string, PoolViewDocument> parse, PoolMapping mapping) : ILoadBalancerWitness
{
    public string Product => product;

    public async Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken) =>
        mapping.Apply(parse(await reader.GetAsync(url, cancellationToken)));
}

/// <summary>The lab's own document, which names the datacenters itself.</summary>
internal sealed class LabWitness(StatusReader reader, Uri url) : ILoadBalancerWitness
{
    public string Product => "lab";

    public async Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken) =>
        LabPoolView.Parse(await reader.GetAsync(url, cancellationToken));
}

/// <summary>F5 BIG-IP: each mapped pool's member statistics, one request per pool (LTM or DNS/GTM pools of type A).</summary>
internal sealed class F5Witness(StatusReader reader, Uri baseUrl, bool gtm, PoolMapping mapping) : ILoadBalancerWitness
{
    public string Product => gtm ? "F5 BIG-IP DNS" : "F5 BIG-IP";

    public async Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken)
    {
        var pools = mapping.MappedPools;
        var reads = pools.Select(async pool =>
        {
            var path = gtm ? $"/mgmt/tm/gtm/pool/a/{F5PoolStats.PathName(pool)}/members/stats" : $"/mgmt/tm/ltm/pool/{F5PoolStats.PathName(pool)}/members/stats";
            var json = await reader.GetAsync(new Uri(baseUrl, path), cancellationToken,
                status => status == HttpStatusCode.NotFound ? $"pool '{pool}' is not on the load balancer (404)" : null);
            return F5PoolStats.Parse(pool, json);
        }).ToList();
        var members = (await Task.WhenAll(reads)).SelectMany(m => m).ToList();
        return mapping.Apply(new PoolViewDocument(pools.ToHashSet(StringComparer.Ordinal), members));
    }
}
