using System.Net;
using System.Net.Sockets;
using ApimConsole.Monitoring;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Monitoring.Tests.Http;

public sealed class TransportFailureHandlerTests
{
    /// <summary>Throws what HttpClient's connection pool has let out: the socket's own exception.</summary>
    private sealed class BareSocketFailure : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new SocketException((int)SocketError.NotConnected);
    }

    private sealed class Answers : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.Accepted));
    }

    [Fact]
    public async Task ABareSocketException_BecomesAConnectionErrorNamingThePeer_WithTheSocketErrorInside()
    {
        using var client = new HttpClient(new TransportFailureHandler(new BareSocketFailure()));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://127.0.0.9:8090/api/topology"));

        Assert.Equal(HttpRequestError.ConnectionError, failure.HttpRequestError);
        Assert.Contains("http://127.0.0.9:8090", failure.Message);
        Assert.Contains("NotConnected", failure.Message);
        Assert.Equal(SocketError.NotConnected, Assert.IsType<SocketException>(failure.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task AnAnswer_PassesThroughUnchanged()
    {
        using var client = new HttpClient(new TransportFailureHandler(new Answers()));
        Assert.Equal(HttpStatusCode.Accepted, (await client.GetAsync("http://127.0.0.9:8090/")).StatusCode);
    }

    [Fact]
    public void EveryEstateClient_HasTheHandler()
    {
        using var services = new ServiceCollection().AddEstateHttpClients().BuildServiceProvider();
        var factory = services.GetRequiredService<IHttpMessageHandlerFactory>();
        foreach (var use in Enum.GetValues<EstateHttpUse>())
        {
            foreach (var acceptAny in (bool[])[false, true])
            {
                var chain = new List<HttpMessageHandler>();
                for (HttpMessageHandler? h = factory.CreateHandler(EstateHttpClients.Name(use, acceptAny)); h is not null; h = (h as DelegatingHandler)?.InnerHandler)
                    chain.Add(h);
                Assert.Contains(chain, h => h is TransportFailureHandler);
            }
        }
    }
}
