namespace ApimConsole.Core.Alerts;

/// <summary>What an alert is about: the rules and silences match on it (<c>kind=scenario</c>).</summary>
public enum AlertKind
{
    Scenario,
    Guardrail,
    Deployment,
    Repair,
    Store,
    Witness,
    Drift,
    Test,
}

/// <summary>Ordered: a rule's <c>severity&gt;=warning</c> takes Warning and Critical.</summary>
public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>Where an alert is in its life; every phase is one message to each routed channel.</summary>
public enum AlertPhase
{
    /// <summary>The condition started (or a one-off event happened).</summary>
    Opened,

    /// <summary>The condition is still in force with another severity or text.</summary>
    Updated,

    /// <summary>The condition ended.</summary>
    Resolved,

    /// <summary>Still open and not acknowledged after the rule's repeat interval.</summary>
    Reminder,
}

/// <summary>
/// A condition as a raiser sees it at one moment. <see cref="Key"/> identifies the outage, not the message: every
/// signal with the same key belongs to the same alert (<c>scenario:DatacenterDown:dc2</c>), so an outage is one alert
/// with its updates, however many components it takes with it.
/// </summary>
public sealed record AlertSignal(
    AlertKind Kind,
    string Key,
    AlertSeverity Severity,
    string? DatacenterId,
    string Title,
    string Text,
    DateTimeOffset At);

/// <summary>An alert that is open in the store, as the reconciliation needs it.</summary>
public sealed record OpenAlert(string Key, AlertKind Kind, AlertSeverity Severity, string Text, string? DatacenterId = null);

/// <summary>One change to make to the store: open, update or resolve the alert of <see cref="Signal"/>'s key.</summary>
public sealed record AlertChange(AlertPhase Phase, AlertSignal Signal);
