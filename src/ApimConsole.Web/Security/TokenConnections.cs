using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace ApimConsole.Web.Security;

/// <summary>
/// The hub connections made with a token (API bearer or wall cookie). Every <see cref="AuthOptions.RevocationCheckInterval"/>
/// each is checked against the store, and a connection whose token was revoked is closed.
/// </summary>
public sealed class TokenConnections(ApiTokenService tokens, TimeProvider time, Microsoft.Extensions.Options.IOptions<AuthOptions> options, ILogger<TokenConnections> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, (long TokenId, HubCallerContext Context)> _connections = new();

    public int Count => _connections.Count;

    public void Add(HubCallerContext context)
    {
        if (TokenPrincipal.TokenId(context.User) is { } id)
            _connections[context.ConnectionId] = (id, context);
    }

    public void Remove(HubCallerContext context) => _connections.TryRemove(context.ConnectionId, out _);

    /// <summary>Closes every connection whose token is no longer active; returns how many.</summary>
    public async Task<int> CloseRevokedAsync(CancellationToken cancellationToken)
    {
        var closed = 0;
        foreach (var (connectionId, (tokenId, context)) in _connections)
        {
            if (await tokens.IsActiveAsync(tokenId, cancellationToken))
                continue;
            _connections.TryRemove(connectionId, out _);
            context.Abort();
            closed++;
            logger.LogInformation("Closed hub connection {ConnectionId}: its token {TokenId} was revoked", connectionId, tokenId);
        }
        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CloseRevokedAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Checking hub connections for revoked tokens failed; trying again at the next interval");
            }
        }
    }
}
