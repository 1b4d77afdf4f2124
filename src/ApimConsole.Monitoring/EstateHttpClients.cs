using System.Net;
using System.Net.Security;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Traffic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring;

/// <summary>What an HTTP client to the estate's peers is for; each use has its own connections and connect timeout.</summary>
public enum EstateHttpUse
{
    /// <summary>The status engine's probes: ANM topology and process status, gateway healthchecks. Connect timeout: <c>Probes:Timeout</c>.</summary>
    Probe,

    /// <summary>Everything else the console asks an ANM (deployments, deployed versions, restarts), so an action never waits behind a probe. Connect timeout: 5 s.</summary>
    Anm,

    /// <summary>The traffic collector's searches and summaries, compressed as they can be large. Connect timeout: <c>Traffic:RequestTimeout</c>.</summary>
    Traffic,
}

/// <summary>
/// The one place the console's HTTP clients to ANMs and gateways are made: named clients of
/// <see cref="IHttpClientFactory"/>, one per use and certificate trust (a datacenter's
/// <c>AdminNodeManager:AcceptAnyServerCertificate</c> picks which). Every client has a bounded connect time, no redirects,
/// no cookies and no client-wide timeout: every call carries its caller's deadline. Credentials are per ANM, on
/// <see cref="AdminNodeManager.AdminNodeManagerClient"/>, not here. The global load balancer's witness keeps a client of its
/// own (<see cref="LoadBalancer.LoadBalancerWitnesses.CreateHttpClient"/>): its trust (a CA file) and credentials are not the estate's.
/// </summary>
public static class EstateHttpClients
{
    /// <summary>Connect timeout of <see cref="EstateHttpUse.Anm"/> clients.</summary>
    public static readonly TimeSpan AnmConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The name of the client for <paramref name="use"/>, trusting any server certificate or the system's trust.</summary>
    public static string Name(EstateHttpUse use, bool acceptAnyCertificate) =>
        $"estate-{use.ToString().ToLowerInvariant()}{(acceptAnyCertificate ? "-any-certificate" : "")}";

    /// <summary>A client for <paramref name="use"/>; the factory owns its handler (do not dispose it to close connections).</summary>
    public static HttpClient CreateClient(this IHttpClientFactory factory, EstateHttpUse use, bool acceptAnyCertificate) =>
        factory.CreateClient(Name(use, acceptAnyCertificate));

    /// <summary>Registers the named clients (once, however often it is called).</summary>
    public static IServiceCollection AddEstateHttpClients(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(Registered)))
            return services;
        services.AddSingleton<Registered>();
        foreach (var use in Enum.GetValues<EstateHttpUse>())
        {
            foreach (var acceptAny in (bool[])[false, true])
            {
                services.AddHttpClient(Name(use, acceptAny))
                    // Estate:SourceAddress: the connections leave from that local address (a management interface; the
                    // lab tells which datacenter a console sits in by it).
                    .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(ConnectTimeout(sp, use), acceptAny, decompress: use == EstateHttpUse.Traffic)
                        .BindTo(EstateSourceAddress.Parse(sp.GetRequiredService<IOptions<EstateOptions>>().Value.SourceAddress)))
                    .AddHttpMessageHandler(() => new TransportFailureHandler())
                    .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
                    // The clients live as long as their owners (the whole run): the handler renews its own connections
                    // (PooledConnectionLifetime) instead of the factory renewing handlers under them.
                    .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
                    // A log line per request would be one per probe, several a second per component.
                    .RemoveAllLoggers();
            }
        }
        return services;
    }

    private static TimeSpan ConnectTimeout(IServiceProvider services, EstateHttpUse use) => use switch
    {
        EstateHttpUse.Probe => services.GetRequiredService<IOptions<ProbeOptions>>().Value.Timeout,
        EstateHttpUse.Traffic => services.GetRequiredService<IOptions<TrafficOptions>>().Value.RequestTimeout,
        _ => AnmConnectTimeout,
    };

    /// <summary>
    /// The handler of every estate client: bounded connect time, connections renewed every 2 minutes (DNS changes are
    /// seen), no redirects, no cookies; <paramref name="decompress"/> asks for compressed answers.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, bool acceptAnyCertificate, bool decompress = false)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = decompress ? DecompressionMethods.All : DecompressionMethods.None,
        };
        if (acceptAnyCertificate)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
        return handler;
    }

    /// <summary>Marks the clients as registered.</summary>
    private sealed class Registered;
}
