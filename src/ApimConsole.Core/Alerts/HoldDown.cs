namespace ApimConsole.Core.Alerts;

/// <summary>
/// Which signals have held for at least <see cref="Hold"/> (Prometheus' <c>for:</c>): each key is timed from when it was
/// first observed, keeps its time while it stays in force (its severity or text may change), and is forgotten once an
/// observation no longer has it. <see cref="Due"/> also says when the next pending key falls due, so a caller that
/// looks again then never misses one, even when its timer fires a moment early (timers count whole milliseconds on a
/// monotonic clock, the wall clock does not). Thread-safe.
/// </summary>
public sealed class HoldDown(TimeSpan hold)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _since = new(StringComparer.Ordinal);
    private IReadOnlyList<AlertSignal> _signals = [];

    public TimeSpan Hold { get; } = hold >= TimeSpan.Zero ? hold : throw new ArgumentOutOfRangeException(nameof(hold), hold, "A hold-down cannot be negative.");

    /// <summary>The signals in force as of <paramref name="now"/>.</summary>
    public void Observe(IReadOnlyList<AlertSignal> signals, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signals);
        lock (_lock)
        {
            _signals = signals;
            foreach (var key in _since.Keys.Where(k => signals.All(s => s.Key != k)).ToList())
                _since.Remove(key);
            foreach (var signal in signals)
                _since.TryAdd(signal.Key, now);
        }
    }

    /// <summary>
    /// The latest observed signals that have held for <see cref="Hold"/> at <paramref name="now"/>, and when the
    /// earliest of the others will have (null when none is pending).
    /// </summary>
    public (IReadOnlyList<AlertSignal> Held, DateTimeOffset? NextDue) Due(DateTimeOffset now)
    {
        lock (_lock)
        {
            var held = new List<AlertSignal>();
            DateTimeOffset? next = null;
            foreach (var signal in _signals)
            {
                if (!_since.TryGetValue(signal.Key, out var since))
                    continue;
                var due = since + Hold;
                if (due <= now)
                    held.Add(signal);
                else if (next is null || due < next)
                    next = due;
            }
            return (held, next);
        }
    }
}
