using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ApimConsole.Lab.Faults;

/// <summary>
/// Makes a Kestrel endpoint obey the faults: per connection (a refused or hung connect) and per request (faults change
/// while keep-alive connections stay open).
/// </summary>
public static class FaultEnforcement
{
    /// <summary>Connection middleware: Down aborts at once, Hang holds the connection unanswered, Slow delays it.</summary>
    public static ListenOptions UseLabFaults(this ListenOptions listen, IEndpointFaults faults, string datacenterId, string componentId, TimeProvider time, CancellationToken stopping)
    {
        listen.Use(next => async connection =>
        {
            var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, stopping);
            bool proceed;
            try
            {
                proceed = await WaitOutAsync(faults, datacenterId, componentId, remote, time, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                proceed = false;
            }
            if (!proceed)
            {
                connection.Abort(new ConnectionAbortedException($"lab fault: {datacenterId}/{componentId} is down"));
                return;
            }
            await next(connection).ConfigureAwait(false);
        });
        return listen;
    }

    /// <summary>The same decision for each request.</summary>
    public static async Task EnforceForRequestAsync(HttpContext context, IEndpointFaults faults, string datacenterId, string componentId, TimeProvider time, CancellationToken stopping, Func<Task> next)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (faults.DropProbe(remote))
        {
            context.Abort();
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        bool proceed;
        try
        {
            proceed = await WaitOutAsync(faults, datacenterId, componentId, remote, time, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            context.Abort();
            return;
        }
        if (!proceed)
        {
            context.Abort();
            return;
        }
        await next().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits while the endpoint hangs, delays it when slow; false when it must refuse. Throws when
    /// <paramref name="cancellationToken"/> fires (the client went, or the lab stops).
    /// </summary>
    public static async Task<bool> WaitOutAsync(IEndpointFaults faults, string datacenterId, string componentId, IPAddress? remote, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the change signal before reading the state so no change falls between.
            var changed = faults is LabFaults registry ? registry.WhenChanged() : null;
            var mode = faults.ModeFor(datacenterId, componentId, remote);
            switch (mode)
            {
                case FaultMode.None:
                    return true;
                case FaultMode.Down:
                    return false;
                case FaultMode.Slow:
                    await Task.Delay(faults.SlowDelay, time, cancellationToken).ConfigureAwait(false);
                    return faults.ModeFor(datacenterId, componentId, remote) != FaultMode.Down;
                case FaultMode.Hang:
                    if (changed is null)
                        await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(false);
                    else
                        await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }
}
