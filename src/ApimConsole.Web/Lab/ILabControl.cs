using ApimConsole.Core.Live;

namespace ApimConsole.Web.Lab;

/// <summary>A fault in force on a lab target (<c>dc2/cassandra-1</c>, <c>link</c>): its mode (Down, Hang, Slow) and since when.</summary>
public sealed record LabActiveFault(string Target, string Mode, DateTimeOffset Since, string Source);

/// <summary>One line of the lab's fault log.</summary>
public sealed record LabFaultLogLine(DateTimeOffset Time, string Target, string Action, string Source);

/// <summary>The targets of one lab datacenter: its ANM, its gateway instances, its Cassandra nodes.</summary>
public sealed record LabDatacenterTargets(string Id, string Name, IReadOnlyList<string> Targets);

/// <summary>The lab's faults at one moment: those in force, and the latest lines of the log.</summary>
public sealed record LabFaultsState(IReadOnlyList<LabActiveFault> Active, IReadOnlyList<LabFaultLogLine> Log)
{
    public static readonly LabFaultsState None = new([], []);
}

/// <summary>A fault the lab refused (an unknown target or action); nothing changed.</summary>
public sealed class LabControlException(string message) : Exception(message);

/// <summary>
/// What the console's pages may do with the embedded lab: read its targets, watch its faults, apply and heal them.
/// Always registered: inert (<see cref="Running"/> false, no targets, no faults) when <c>Lab:Enabled</c> is false, so
/// pages need no lookup and never touch the lab's own types. The console still sees the faults' effects only
/// through its probes.
/// </summary>
public interface ILabControl : ILiveFeed<LabFaultsState>
{
    /// <summary>Whether the lab runs in this console.</summary>
    bool Running { get; }

    /// <summary>The datacenter the console sits in, as the lab set it up.</summary>
    string ConsoleDatacenter { get; }

    IReadOnlyList<LabDatacenterTargets> Datacenters { get; }

    /// <summary>Applies <paramref name="action"/> (down, hang, slow, up, drain) to <paramref name="target"/>; throws <see cref="LabControlException"/> and changes nothing when either is invalid.</summary>
    void Apply(string target, string action, string source);

    /// <summary>Lifts every fault.</summary>
    void HealAll(string source);
}

/// <summary>The lab control of a console without a lab: nothing to show, nothing to do.</summary>
public sealed class NoLab : ILabControl
{
    private readonly LiveFeed<LabFaultsState> _faults = new(LabFaultsState.None);

    public bool Running => false;

    public string ConsoleDatacenter => "";

    public IReadOnlyList<LabDatacenterTargets> Datacenters => [];

    public LabFaultsState Current => LabFaultsState.None;

    public FeedSubscription<LabFaultsState> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _faults.Subscribe(capacity);

    public void Apply(string target, string action, string source) => throw new LabControlException("The lab is not running in this console.");

    public void HealAll(string source) => throw new LabControlException("The lab is not running in this console.");
}
