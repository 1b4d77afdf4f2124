namespace ApimConsole.Core.Alerts;

/// <summary>
/// Turns "these conditions of a kind are in force now" into the changes to the stored alerts: a new key opens, a key
/// whose severity moved is updated (a text that moves with the clock is no news), an open key no longer in force is resolved, anything else is no change.
/// Because it compares with what the store holds (not with the last thing this process saw), a restarted console
/// neither opens a second alert for an outage already open nor forgets to resolve one that ended while it was down.
/// </summary>
public static class AlertReconciliation
{
    /// <param name="mayResolve">
    /// Whether the absence of an open alert's condition proves it ended (null: always). A console that has just started
    /// knows nothing yet (everything Unknown): ending an outage then, only to open it again a moment later, would page
    /// the on-call engineer twice for nothing.
    /// </param>
    public static IReadOnlyList<AlertChange> Plan(AlertKind kind, IReadOnlyCollection<OpenAlert> open, IReadOnlyCollection<AlertSignal> inForce, DateTimeOffset now,
        Func<OpenAlert, bool>? mayResolve = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(inForce);
        var changes = new List<AlertChange>();
        var openByKey = open.Where(a => a.Kind == kind).ToDictionary(a => a.Key, StringComparer.Ordinal);
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signal in inForce)
        {
            if (signal.Kind != kind)
                throw new ArgumentException($"A {signal.Kind} signal ({signal.Key}) among the {kind} conditions.", nameof(inForce));
            if (!current.Add(signal.Key))
                continue;
            if (!openByKey.TryGetValue(signal.Key, out var existing))
                changes.Add(new AlertChange(AlertPhase.Opened, signal));
            else if (existing.Severity != signal.Severity)
                changes.Add(new AlertChange(AlertPhase.Updated, signal));
        }
        foreach (var gone in openByKey.Values.Where(a => !current.Contains(a.Key) && (mayResolve?.Invoke(a) ?? true)).OrderBy(a => a.Key, StringComparer.Ordinal))
            changes.Add(new AlertChange(AlertPhase.Resolved, new AlertSignal(kind, gone.Key, gone.Severity, null, "", "Ended.", now)));
        return changes;
    }
}
