using System.Net;
using System.Net.Sockets;

namespace ApimConsole.Monitoring;

/// <summary>
/// <c>Estate:SourceAddress</c>: the local address the console's connections to the estate leave from (a host with a
/// management interface, or the lab telling which datacenter a console sits in). Null: the operating system chooses.
/// </summary>
public static class EstateSourceAddress
{
    public static IPAddress? Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : IPAddress.TryParse(text.Trim(), out var address) ? address : null;

    /// <summary>Makes <paramref name="handler"/> connect from <paramref name="source"/> (nothing when null).</summary>
    public static SocketsHttpHandler BindTo(this SocketsHttpHandler handler, IPAddress? source)
    {
        if (source is null)
            return handler;
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = NewSocket(source);
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }

    /// <summary>A TCP socket bound to <paramref name="source"/> (any port), or an unbound dual-mode one when null.</summary>
    public static Socket NewSocket(IPAddress? source)
    {
        if (source is null)
            return new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }
}
