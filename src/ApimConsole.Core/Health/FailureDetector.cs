using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Health;

/// <summary>
/// Turns a stream of probe results for one component into a state that does not flap: <c>Fall</c> consecutive
/// failures take it Down, <c>Rise</c> consecutive successes bring it back Up. While the evidence disagrees with the
/// current state the next probe comes after the fast interval, so a real failure is confirmed quickly while a single
/// dropped probe is forgiven (the scheme HAProxy calls inter/fastinter/fall/rise).
/// </summary>
public sealed class FailureDetector
{
    private readonly ProbeOptions _options;
    private int _consecutiveFailures;
    private int _consecutiveSuccesses;

    public FailureDetector(ProbeOptions options, DateTimeOffset now)
    {
        _options = options;
        Since = now;
    }

    public ComponentState State { get; private set; } = ComponentState.Unknown;
    public DateTimeOffset Since { get; private set; }
    /// <summary>The reason of the last failure while Down; null while Up.</summary>
    public string? Reason { get; private set; } = "not probed yet";

    /// <summary>True when the latest probe failed, whether or not the failures have added up to Down yet.</summary>
    public bool Failing => _consecutiveFailures > 0;

    /// <summary>Records one probe result; returns true when the state changed.</summary>
    public bool Observe(bool success, string? failureReason, DateTimeOffset now)
    {
        if (success)
        {
            _consecutiveFailures = 0;
            _consecutiveSuccesses++;
            // A component seen for the first time is believed at once: Unknown says less than one good answer.
            if (State == ComponentState.Up || (State == ComponentState.Down && _consecutiveSuccesses < _options.Rise))
                return false;
            return Move(ComponentState.Up, null, now);
        }

        _consecutiveSuccesses = 0;
        _consecutiveFailures++;
        var reason = string.IsNullOrWhiteSpace(failureReason) ? "probe failed" : failureReason;
        if (State == ComponentState.Down)
        {
            // Keep the newest reason without announcing a change of state.
            Reason = reason;
            return false;
        }
        if (_consecutiveFailures < _options.Fall)
            return false;
        return Move(ComponentState.Down, reason, now);
    }

    /// <summary>Fast while the last results disagree with the state (or nothing is known yet), normal otherwise.</summary>
    public TimeSpan NextDelay =>
        State == ComponentState.Unknown
        || (State == ComponentState.Up && _consecutiveFailures > 0)
        || (State == ComponentState.Down && _consecutiveSuccesses > 0)
            ? _options.FastInterval
            : _options.Interval;

    private bool Move(ComponentState state, string? reason, DateTimeOffset now)
    {
        State = state;
        Reason = reason;
        Since = now;
        return true;
    }
}
