using Prometheus;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// A gauge rewritten whole from a snapshot on every scrape: the label sets set in this round are published, and those
/// of the round before that were not set again (a retired instance, a scenario that ended) are removed, so a series
/// stops rather than freezing at its last value.
/// </summary>
internal sealed class LabelledGauge(Gauge gauge)
{
    private Dictionary<string, string[]> _previous = new(StringComparer.Ordinal);
    private Dictionary<string, string[]> _current = new(StringComparer.Ordinal);

    public void Set(double value, params string[] labels)
    {
        gauge.WithLabels(labels).Set(value);
        _current[string.Join('\u001f', labels)] = labels;
    }

    /// <summary>Ends a round: removes every label set not set in it.</summary>
    public void EndRound()
    {
        foreach (var (key, labels) in _previous)
        {
            if (!_current.ContainsKey(key))
                gauge.RemoveLabelled(labels);
        }
        (_previous, _current) = (_current, _previous);
        _current.Clear();
    }

    /// <summary>
    /// One series per state with the state that holds set to 1 and the others to 0 ("one-hot"): a query for
    /// <c>state="down"</c> never mistakes an unknown state for a down one.
    /// </summary>
    public void SetOneHot(IReadOnlyList<string> states, string current, params string[] labels)
    {
        foreach (var state in states)
            Set(state == current ? 1 : 0, [.. labels, state]);
    }
}
