using System.Net.Sockets;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Tests.Components;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>
/// A failing ANM leaves its datacenter unread with the reason, whatever HttpClient throws: it has thrown a raw
/// <see cref="SocketException"/> ("Transport endpoint is not connected") for a connection the peer reset while it was
/// opened, which used to fail the whole reading (logged with its stack trace) instead of naming the datacenter.
/// </summary>
public sealed class DeployedVersionsReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AnAnmThatFailsWithARawSocketException_LeavesItsDatacenterUnread_WithTheReason()
    {
        using var handler = new FailingHandler();
        var estate = Options.Create(new EstateOptions
        {
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", AdminNodeManager = new AdminNodeManagerOptions { Urls = ["http://anm.dc1.test:8090"] } },
                new DatacenterOptions { Id = "dc2", AdminNodeManager = new AdminNodeManagerOptions { Urls = ["http://anm.dc2.test:8090"] } },
            ],
        });
        var status = new FakeEstateStatus(new EstateSnapshot(T0, "lab", "dc1", [], new InterDatacenterLink(LinkState.Up, T0, null), null));
        var reader = new DeployedVersionsReader(new AdminNodeManagerConnections(estate, new HandlerHttpClientFactory(new ApimConsole.Monitoring.TransportFailureHandler(handler))),
            Options.Create(new DeploymentOptions()), TimeProvider.System, status);

        var versions = await reader.ReadAsync(CancellationToken.None);

        Assert.Empty(versions.Groups);
        Assert.Equal("network error (NotConnected)", versions.Unread["dc1"]);
        Assert.Equal("connection refused", versions.Unread["dc2"]);
    }

    /// <summary>dc1's ANM fails as HttpClient did (a bare SocketException), dc2's as it usually does (wrapped).</summary>
    private sealed class FailingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.Host == "anm.dc1.test"
                ? throw new SocketException((int)SocketError.NotConnected)
                : throw new HttpRequestException("Connection refused (anm.dc2.test:8090)", new SocketException((int)SocketError.ConnectionRefused));
    }
}
