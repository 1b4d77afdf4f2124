using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ApimConsole.Web.Hubs;

/// <summary>
/// <c>/hubs/estate</c>: sends <c>snapshot</c> with the whole estate on connect and after every change.
/// Each message is complete and carries <c>asOf</c>; a client keeps the newest.
/// </summary>
/// A connection made with a token is watched: once the token is revoked the connection is closed within seconds.
[Authorize(Policy = ConsolePolicies.Viewer)]
public sealed class EstateHub(IEstateStatus status, TokenConnections tokenConnections) : Hub
{
    public const string Path = "/hubs/estate";
    public const string SnapshotMethod = "snapshot";

    public override async Task OnConnectedAsync()
    {
        tokenConnections.Add(Context);
        await Clients.Caller.SendAsync(SnapshotMethod, status.Current, Context.ConnectionAborted);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        tokenConnections.Remove(Context);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>Relays the status engine's changes to every hub client: one subscription for all of them.</summary>
public sealed class EstateHubBroadcaster(IEstateStatus status, IHubContext<EstateHub> hub, ILogger<EstateHubBroadcaster> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Capacity 1: a slow send is followed by the newest snapshot, never by a backlog of stale ones.
        using var subscription = status.Subscribe(capacity: 1);
        try
        {
            await foreach (var snapshot in subscription.Updates.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.All.SendAsync(EstateHub.SnapshotMethod, snapshot, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Sending the estate snapshot to hub clients failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
