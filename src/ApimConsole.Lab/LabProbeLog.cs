using System.Collections.Concurrent;

namespace ApimConsole.Lab;

/// <summary>
/// When the lab's probe targets were asked about, per component (<c>dc/instance-3</c>, <c>dc/cassandra-2</c>,
/// <c>dc/anm</c>): gateway <c>/healthcheck</c> calls other than the load balancer's, CQL queries of
/// <c>system.local</c>, and ANM topology reads. Lets a benchmark check the interval a console really probes at,
/// from the peer's side. Off unless <see cref="LabOptions.RecordProbes"/> is set.
/// </summary>
public sealed class LabProbeLog(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, List<long>> _byComponent = new(StringComparer.Ordinal);

    /// <summary>Notes a probe of <paramref name="componentKey"/> now.</summary>
    public void Record(string componentKey)
    {
        var stamps = _byComponent.GetOrAdd(componentKey, _ => []);
        var now = time.GetTimestamp();
        lock (stamps)
            stamps.Add(now);
    }

    /// <summary>Forgets everything recorded so far (e.g. after a warm-up).</summary>
    public void Clear() => _byComponent.Clear();

    /// <summary>Per component, the time between successive probes, in recording order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TimeSpan>> Gaps()
    {
        var result = new Dictionary<string, IReadOnlyList<TimeSpan>>(StringComparer.Ordinal);
        foreach (var (key, stamps) in _byComponent)
        {
            long[] copy;
            lock (stamps)
                copy = [.. stamps];
            var gaps = new List<TimeSpan>(Math.Max(0, copy.Length - 1));
            for (var i = 1; i < copy.Length; i++)
                gaps.Add(time.GetElapsedTime(copy[i - 1], copy[i]));
            result[key] = gaps;
        }
        return result;
    }

    /// <summary>Probes recorded per component.</summary>
    public IReadOnlyDictionary<string, int> Counts() =>
        _byComponent.ToDictionary(p => p.Key, p => { lock (p.Value) return p.Value.Count; }, StringComparer.Ordinal);
}
