using System.Net.Sockets;

namespace ApimConsole.Monitoring;

/// <summary>
/// Turns a bare <see cref="SocketException"/> out of the connection handler into the <see cref="HttpRequestException"/>
/// (<see cref="HttpRequestError.ConnectionError"/>) every caller already treats as a peer that failed.
/// </summary>
/// <remarks>
/// HttpClient wraps connection failures, except one: a connection reset while it is being opened can surface as the
/// socket's own exception ("Transport endpoint is not connected", from reading the remote end point). Seen against the
/// lab; a caller that catches only <see cref="HttpRequestException"/> and <see cref="IOException"/> then took it for a
/// failure of its own (the drift reading failed whole, a test console "not listening yet" failed its test). One handler
/// on every estate client, so no caller has to know.
/// </remarks>
public sealed class TransportFailureHandler : DelegatingHandler
{
    public TransportFailureHandler()
    {
    }

    public TransportFailureHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"{e.Message} ({e.SocketErrorCode}) while connecting to {request.RequestUri?.GetLeftPart(UriPartial.Authority)}", e);
        }
    }
}
