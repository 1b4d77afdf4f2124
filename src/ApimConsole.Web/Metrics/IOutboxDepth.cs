namespace ApimConsole.Web.Metrics;

/// <summary>
/// The notification outbox's depth, for <c>/metrics</c>: the extension point the notifications feature registers in DI
/// (optional: without one, the outbox series are absent, never zeros). Read on every scrape: answer from memory, never
/// from a store round trip or a receiver, and never throw.
/// </summary>
public interface IOutboxDepth
{
    /// <summary>The depth as last counted; null before the first count (the series stay absent until then).</summary>
    OutboxDepth? Read();
}

/// <param name="Pending">Notifications raised and not yet delivered (retries included).</param>
/// <param name="DeadLettered">Notifications whose retries ran out, not yet dealt with.</param>
/// <param name="OldestPendingSince">When the oldest pending notification was raised; null when none is pending.</param>
public sealed record OutboxDepth(long Pending, long DeadLettered, DateTimeOffset? OldestPendingSince);
