namespace ApimConsole.Core.Alerts;

/// <summary>A routing rule: alerts its matcher takes go to one channel, repeated while unacknowledged if it says so.</summary>
public sealed record AlertRoute(long RuleId, AlertMatcher Matcher, long ChannelId, TimeSpan? RepeatEvery);

/// <summary>A silence: alerts its matcher takes are not sent while it is in force (<see cref="From"/> inclusive, <see cref="Until"/> exclusive).</summary>
public sealed record AlertMute(long SilenceId, AlertMatcher Matcher, DateTimeOffset From, DateTimeOffset Until)
{
    public bool InForce(DateTimeOffset at) => at >= From && at < Until;
}

/// <summary>Where one signal goes: the channels, each once, and the silence that mutes it, if any.</summary>
public sealed record AlertRouteDecision(IReadOnlyList<long> ChannelIds, long? SilencedBy);

public static class AlertRouting
{
    /// <summary>
    /// The channels the rules route <paramref name="signal"/> to, each once however many rules name it. A silence in
    /// force at the signal's time that matches it mutes every channel (the alert is still stored and listed).
    /// </summary>
    public static AlertRouteDecision Route(AlertSignal signal, IEnumerable<AlertRoute> routes, IEnumerable<AlertMute> mutes)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var channels = routes.Where(r => r.Matcher.Matches(signal)).Select(r => r.ChannelId).Distinct().Order().ToList();
        var silence = mutes.FirstOrDefault(m => m.InForce(signal.At) && m.Matcher.Matches(signal));
        return new AlertRouteDecision(channels, silence?.SilenceId);
    }

    /// <summary>
    /// The shortest repeat interval of the rules that route an alert of this kind, severity, datacenter and key to
    /// <paramref name="channelId"/>; null when none repeats.
    /// </summary>
    public static TimeSpan? RepeatEvery(AlertKind kind, AlertSeverity severity, string? datacenterId, string key, long channelId, IEnumerable<AlertRoute> routes) =>
        routes.Where(r => r.ChannelId == channelId && r.RepeatEvery is not null && r.Matcher.Matches(kind, severity, datacenterId, key))
            .Select(r => r.RepeatEvery).Min();
}

/// <summary>How long a failed delivery waits before its next attempt: doubling from the first delay up to a ceiling.</summary>
public sealed record DeliveryBackoff(TimeSpan First, TimeSpan Ceiling, int MaxAttempts)
{
    public static DeliveryBackoff Default { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10), 8);

    /// <summary>The wait after the <paramref name="attempts"/>th failed attempt, or null when that was the last (a dead letter).</summary>
    public TimeSpan? After(int attempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        if (attempts >= MaxAttempts)
            return null;
        var doublings = Math.Min(attempts - 1, 30);
        var delay = TimeSpan.FromTicks((long)Math.Min(First.Ticks * Math.Pow(2, doublings), Ceiling.Ticks));
        return delay;
    }
}
