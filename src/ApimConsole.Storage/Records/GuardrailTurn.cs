using ApimConsole.Core.Guardrails;

namespace ApimConsole.Storage.Records;

/// <summary>
/// One turn of the deployment guardrail's published decision, as stored: a kind, to every datacenter
/// (<see cref="DatacenterId"/> null) or to one, turned to <see cref="Decision"/> at <see cref="At"/>.
/// The stored form of <see cref="GuardrailTransition"/>.
/// </summary>
public sealed class GuardrailTurn
{
    /// <summary>Longest stored list of calls on the wire, in characters (the rest is cut with "…").</summary>
    public const int MaxInFlight = 4000;

    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public ChangeKind Kind { get; set; }
    public string? DatacenterId { get; set; }
    public GuardrailDecision Decision { get; set; }
    /// <summary>The calls still on the wire on a turn to Block, one a line; null when there were none.</summary>
    public string? InFlight { get; set; }

    public static GuardrailTurn From(GuardrailTransition transition)
    {
        var inFlight = transition.InFlight is { Count: > 0 } calls ? string.Join('\n', calls) : null;
        if (inFlight is { Length: > MaxInFlight })
            inFlight = inFlight[..(MaxInFlight - 1)] + "…";
        return new GuardrailTurn
        {
            At = transition.At, Kind = transition.Kind, DatacenterId = transition.DatacenterId,
            Decision = transition.Decision, InFlight = inFlight,
        };
    }

    public GuardrailTransition ToTransition() =>
        new(At, Kind, DatacenterId, Decision, InFlight is null ? null : InFlight.Split('\n'));
}
