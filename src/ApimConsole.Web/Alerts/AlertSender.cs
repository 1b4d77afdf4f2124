using System.Collections.Concurrent;
using ApimConsole.Core.Alerts;
using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Alerts;

/// <summary>
/// Empties the outbox: every due delivery is sent to its channel, then marked sent, or retried later with a growing
/// delay, or after the last attempt marked dead (a dead letter on the Alerts page). Each channel sends on its own task,
/// one message at a time and in order, with the channel's timeout; a channel still busy is skipped by the next round,
/// so a receiver that hangs or is gone holds up its own messages and nobody else's.
/// </summary>
/// <remarks>
/// Delivery is at least once: a console killed after a receiver took a message but before the row was marked sends it
/// again, with the same idempotency key (<see cref="WebhookSignature.IdempotencyHeader"/>), so the receiver can drop it.
/// </remarks>
public sealed class AlertSender(
    IDbContextFactory<ConsoleDbContext> contexts,
    AlertTransport transport,
    AlertSettings settings,
    AlertStore store,
    StoreWriter writer,
    AlertWake wake,
    TimeProvider time,
    IOptions<AlertOptions> options,
    IOptions<EstateOptions> estate,
    ILogger<AlertSender> logger) : BackgroundService, IOutboxDepth
{
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private volatile OutboxDepth? _depth;

    /// <summary>The outbox as counted at the start of the latest round (for <c>/metrics</c>; from memory, never the store).</summary>
    public OutboxDepth? Read() => _depth;

    /// <summary>Channels with a send in progress (for tests and the page).</summary>
    public IReadOnlyCollection<long> BusyChannels => _inFlight.Keys.ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = wake.Next;
            try
            {
                await RoundAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The store may be failing: the rows are still there, the next round tries again.
                logger.LogWarning("The alert sender could not read the outbox: {Problem}", StoreWriter.Describe(e));
            }
            try
            {
                await Task.WhenAny(woken, Task.Delay(options.Value.PollInterval, time, stoppingToken));
            }
            catch (OperationCanceledException)
            {
                break;
            }
            wake.Reset();
        }
        await Task.WhenAll(_inFlight.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var busy = _inFlight.Keys.ToList();
        List<(long Id, long ChannelId)> due;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            due = (await db.AlertDeliveries
                .Where(d => d.State == AlertDeliveryState.Pending && d.NextAttemptAt <= now && !busy.Contains(d.ChannelId))
                .OrderBy(d => d.Id).Select(d => new { d.Id, d.ChannelId }).Take(500).ToListAsync(cancellationToken))
                .Select(d => (d.Id, d.ChannelId)).ToList();
            await CountAsync(db, cancellationToken);
        }
        foreach (var channel in due.GroupBy(d => d.ChannelId))
        {
            var ids = channel.Select(d => d.Id).ToList();
            var channelId = channel.Key;
            var started = new TaskCompletionSource();
            if (!_inFlight.TryAdd(channelId, started.Task))
                continue;
            _ = Task.Run(async () =>
            {
                try
                {
                    await SendChannelAsync(channelId, ids, cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    logger.LogWarning("Sending alerts to channel {Channel} stopped: {Problem}", channelId, StoreWriter.Describe(e));
                }
                finally
                {
                    _inFlight.TryRemove(channelId, out _);
                    started.TrySetResult();
                    wake.Wake();
                }
            }, CancellationToken.None);
        }
    }

    private async Task CountAsync(ConsoleDbContext db, CancellationToken cancellationToken)
    {
        var pending = db.AlertDeliveries.Where(d => d.State == AlertDeliveryState.Pending);
        var count = await pending.LongCountAsync(cancellationToken);
        // Rows are inserted in raising order, so the lowest pending id is the oldest one waiting.
        DateTimeOffset? oldest = count == 0 ? null
            : await pending.OrderBy(d => d.Id).Select(d => (DateTimeOffset?)d.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var dead = await db.AlertDeliveries.LongCountAsync(d => d.State == AlertDeliveryState.Dead, cancellationToken);
        _depth = new OutboxDepth(count, dead, oldest);
    }

    private async Task SendChannelAsync(long channelId, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var backoff = new DeliveryBackoff(options.Value.FirstRetryDelay, options.Value.MaxRetryDelay, options.Value.MaxAttempts);
        AlertChannel? channel;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            channel = await db.AlertChannels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == channelId, cancellationToken);
        string? secret = null, password = null, unreadable = null;
        if (channel is null || channel.DeletedAt is not null)
            unreadable = "The channel was deleted.";
        else
        {
            try
            {
                (secret, password) = settings.Reveal(channel);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                unreadable = "The channel's secret cannot be read with this console's data-protection keys; enter it again on the Alerts page.";
            }
        }

        foreach (var id in ids)
        {
            AlertDelivery? delivery;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
                delivery = await db.AlertDeliveries.Include(d => d.Event).ThenInclude(e => e!.Alert).AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
            if (delivery is not { State: AlertDeliveryState.Pending })
                continue;
            var failure = unreadable;
            if (failure is null)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(channel!.TimeoutSeconds), time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
                try
                {
                    await transport.SendAsync(channel, secret, password, Message(delivery.Event!), linked.Token);
                }
                catch (AlertTransportException e)
                {
                    failure = e.Message;
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    failure = $"No answer within {channel.TimeoutSeconds} s.";
                }
            }
            var attempts = delivery.Attempts + 1;
            var dead = failure is not null && (unreadable is not null || backoff.After(attempts) is null);
            // Marked through the store writer (retried): a mark that is lost means the message is sent again, with the same key.
            await writer.WriteAsync($"alert delivery {id}", async ct =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                var row = await db.AlertDeliveries.SingleAsync(d => d.Id == id, ct);
                var now = time.GetUtcNow();
                row.Attempts = attempts;
                if (failure is null)
                {
                    row.State = AlertDeliveryState.Sent;
                    row.SentAt = now;
                    row.LastError = null;
                }
                else
                {
                    row.LastError = failure.Length > 2000 ? failure[..2000] : failure;
                    if (dead)
                        row.State = AlertDeliveryState.Dead;
                    else
                        row.NextAttemptAt = now + backoff.After(attempts)!.Value;
                }
                await db.SaveChangesAsync(ct);
            }, cancellationToken);
            store.Touch();
            if (failure is null)
                continue;
            logger.LogWarning("Alert {Key} ({Phase}) to channel {Channel}, attempt {Attempt}: {Problem}{Dead}", delivery.Event!.Alert!.Key, delivery.Event.Phase,
                channel?.Name ?? channelId.ToString(System.Globalization.CultureInfo.InvariantCulture), attempts, failure, dead ? "; no more attempts (dead letter)" : "");
            // In order per channel: after a failure the later messages wait for the next round, behind this one.
            if (unreadable is null)
                return;
        }
    }

    private AlertMessage Message(AlertEvent evt)
    {
        var alert = evt.Alert!;
        return new AlertMessage(evt.EventId, Enum.Parse<AlertPhase>(evt.Phase), evt.At, alert.Id, alert.Key, Enum.Parse<AlertKind>(alert.Kind),
            Enum.Parse<AlertSeverity>(evt.Severity), alert.DatacenterId, alert.Title, evt.Text, alert.OpenedAt, alert.ResolvedAt, alert.AcknowledgedAt,
            alert.AcknowledgedBy, options.Value.Link(alert.Id), estate.Value.Name, estate.Value.ConsoleDatacenter, alert.Kind == nameof(AlertKind.Test));
    }
}
