using ApimConsole.Core.Configuration;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ApimConsole.Testing;

/// <summary>
/// The console's own estate HTTP clients (<see cref="EstateHttpClients"/>, as the host registers them), for tests that
/// build a service by hand. Disposing it disposes the clients' handlers, which closes their connections.
/// </summary>
public sealed class EstateHttp : IHttpClientFactory, IDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHttpClientFactory _factory;

    public EstateHttp(ProbeOptions? probes = null, TrafficOptions? traffic = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IOptions<ProbeOptions>>(Options.Create(probes ?? new ProbeOptions()));
        services.AddSingleton<IOptions<TrafficOptions>>(Options.Create(traffic ?? new TrafficOptions()));
        services.AddEstateHttpClients();
        _services = services.BuildServiceProvider();
        _factory = _services.GetRequiredService<IHttpClientFactory>();
    }

    public HttpClient CreateClient(string name) => _factory.CreateClient(name);

    public void Dispose() => _services.Dispose();
}

/// <summary>A factory whose every client sends through one handler (a stub peer's, or one that counts); the handler stays the caller's.</summary>
public sealed class HandlerHttpClientFactory(HttpMessageHandler handler) : IHttpClientFactory
{
    public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
}
