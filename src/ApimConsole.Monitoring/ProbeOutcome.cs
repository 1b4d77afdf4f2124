using System.Net.Sockets;

namespace ApimConsole.Monitoring;

/// <summary>The result of one probe: success, or a short reason a person can read.</summary>
public readonly record struct ProbeOutcome(bool Success, string? Reason)
{
    public static ProbeOutcome Ok => new(true, null);
    public static ProbeOutcome Failed(string reason) => new(false, reason);

    /// <summary>Turns the exceptions of a failed call into the few words an operator needs.</summary>
    public static string Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset => "connection reset",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.HostNotFound or SocketError.NoData => "host not found",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                    _ => $"network error ({socket.SocketErrorCode})",
                };
            }
        }
        return ex switch
        {
            TimeoutException => ex.Message,
            OperationCanceledException => "timed out",
            HttpRequestException { StatusCode: not null } http => http.Message,
            HttpRequestException http when http.HttpRequestError == HttpRequestError.ResponseEnded => "connection closed before a response",
            HttpRequestException http => $"request failed ({http.HttpRequestError})",
            _ => ex.Message,
        };
    }
}
