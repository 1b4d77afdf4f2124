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

    /// <summary>
    /// The witness of every member <see cref="LoadBalancerOptions.AllStatusUrls"/> lists: one member's reader, or, for
    /// several, a <see cref="LoadBalancerMembersWitness"/> that reads them together, each within <paramref name="memberBudget"/>
    /// (so that one member that does not answer leaves time to decide on the others' answers).
    /// </summary>
    public static ILoadBalancerWitness Create(LoadBalancerOptions options, IEnumerable<string> datacenterOrder, HttpClient http, TimeSpan? memberBudget = null)
    {
        var urls = options.AllStatusUrls();
        if (urls.Count == 0)
            throw new ArgumentException("Estate:LoadBalancer:StatusUrl is empty", nameof(options));
        var order = datacenterOrder.ToList();
        if (urls.Count == 1)
            return CreateOne(new Uri(urls[0]), options, order, http);
        var members = urls.Select(u => new Uri(u)).Select(u => (LoadBalancerMembersWitness.Label(u), CreateOne(u, options, order, http))).ToList();
        return new LoadBalancerMembersWitness(members, memberBudget ?? TimeSpan.FromSeconds(1));
    }

    private static ILoadBalancerWitness CreateOne(Uri url, LoadBalancerOptions options, IEnumerable<string> datacenterOrder, HttpClient http)
    {
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

/// <summary>
/// Several members of one load balancer (the global load balancer's instance in each datacenter, an HA pair), read
/// together. Each member has <c>budget</c> to answer; one that does not, or answers in a shape not known, is left out
/// with its reason. The members that answered must agree on which datacenters are serving: then the first of them in
/// the configured order is the view. If none answered, or they disagree (one checks a datacenter over a path the other
/// does not have), this is an error saying so, and the console has no witness rather than a verdict from one of them.
/// </summary>
public sealed class LoadBalancerMembersWitness : ILoadBalancerWitness
{
    private readonly IReadOnlyList<(string Label, ILoadBalancerWitness Witness)> _members;
    private readonly TimeSpan _budget;

    public LoadBalancerMembersWitness(IReadOnlyList<(string Label, ILoadBalancerWitness Witness)> members, TimeSpan budget)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members.Count, 1, nameof(members));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        _members = members;
        _budget = budget;
    }

    public string Product => _members[0].Witness.Product;

    /// <summary>The members the last read could not read, each with why ("label: reason"); empty when all answered.</summary>
    public IReadOnlyList<string> Unread { get; private set; } = [];

    /// <summary>How a member is named in reasons: its scheme, host, port and path (never credentials or a query).</summary>
    public static string Label(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped);

    public async Task<IReadOnlyList<LoadBalancerPool>> ReadPoolsAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_budget);
        var reads = _members.Select(async m =>
        {
            try
            {
                return (m.Label, Pools: await m.Witness.ReadPoolsAsync(deadline.Token), Error: (string?)null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (m.Label, Pools: (IReadOnlyList<LoadBalancerPool>?)null, Error: $"no answer within {_budget.TotalMilliseconds:0} ms");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (m.Label, Pools: null, Error: ProbeOutcome.Describe(e));
            }
        }).ToList();
        var results = await Task.WhenAll(reads);
        cancellationToken.ThrowIfCancellationRequested();
        Unread = results.Where(r => r.Pools is null).Select(r => $"{r.Label}: {r.Error}").ToList();

        var answered = results.Where(r => r.Pools is not null).ToList();
        if (answered.Count == 0)
            throw new LoadBalancerMembersException($"no member of the load balancer answered: {string.Join("; ", results.Select(r => $"{r.Label}: {r.Error}"))}");
        var disagreements = answered.SelectMany(r => r.Pools!.Select(p => p.DatacenterId)).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(dc => answered.Select(r => Serving(r.Pools!, dc)).Distinct().Count() > 1)
            .ToList();
        if (disagreements.Count > 0)
        {
            var views = answered.Select(r => $"{r.Label} sees {string.Join(", ", disagreements.Select(dc => $"{dc} {Describe(Serving(r.Pools!, dc))}"))}");
            throw new LoadBalancerMembersException($"the load balancer's members disagree ({string.Join("; ", views)}): no witness until they agree");
        }
        return answered[0].Pools!;
    }

    private static bool? Serving(IReadOnlyList<LoadBalancerPool> pools, string datacenter) =>
        pools.FirstOrDefault(p => string.Equals(p.DatacenterId, datacenter, StringComparison.OrdinalIgnoreCase))?.Serving;

    private static string Describe(bool? serving) => serving switch
    {
        true => "serving",
        false => "not serving",
        null => "not listed",
    };
}

/// <summary>The members of a load balancer gave no view to trust: none answered, or they disagree. The message says which.</summary>
public sealed class LoadBalancerMembersException(string message) : Exception(message);
