using System.Net;

namespace ApimConsole.Lab.Faults;

/// <summary>A fault in force on one target.</summary>
public sealed record ActiveFault(string Target, FaultMode Mode, DateTimeOffset Since, string Source);

/// <summary>One change to the faults, as it happened: the lab's ground truth for tests.</summary>
public sealed record FaultLogEntry(long Sequence, DateTimeOffset Time, string Target, string Action, string Source);

/// <summary>A fault request the lab cannot carry out; nothing was changed.</summary>
public sealed class LabFaultException(string message) : Exception(message);

/// <summary>
/// The lab's fault registry. Targets: <c>link</c>, a datacenter (<c>dc2</c>), or one component of a datacenter
/// (<c>dc1/instance-2</c>, <c>dc1/cassandra-3</c>, <c>dc1/anm</c>). Actions: <c>down</c>, <c>up</c>, <c>hang</c>,
/// <c>slow</c>, and <c>drain</c> for a gateway instance (its <c>/healthchecklb</c> answers 503).
/// A gateway instance stopped through the Admin Node Manager is a <c>down</c> fault on it with source <c>anm</c>.
/// </summary>
public sealed class LabFaults : IEndpointFaults
{
    public const string LinkTarget = "link";
    public static readonly IReadOnlyList<string> Actions = ["down", "up", "hang", "slow", "drain"];
    private const int MaxLogEntries = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ActiveFault> _faults = new(StringComparer.Ordinal);
    private readonly HashSet<string> _draining = new(StringComparer.Ordinal);
    private readonly Queue<FaultLogEntry> _log = new();
    private readonly string _consoleDatacenter;
    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _components;
    private readonly IReadOnlyList<string> _datacenterOrder;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewChangeSignal();
    private long _sequence;

    /// <param name="components">Per datacenter id, the component ids a target may name (anm, instance-1, cassandra-1, ...).</param>
    /// <param name="datacenterOrder">The datacenters in the lab's order (<see cref="LabAddresses.ConsoleSource"/>); default: as <paramref name="components"/> lists them.</param>
    public LabFaults(string consoleDatacenter, IReadOnlyDictionary<string, IReadOnlySet<string>> components, TimeSpan slowDelay, TimeProvider time,
        IReadOnlyList<string>? datacenterOrder = null)
    {
        _datacenterOrder = datacenterOrder ?? components.Keys.ToList();
        _consoleDatacenter = consoleDatacenter;
        _components = components;
        SlowDelay = slowDelay;
        _time = time;
    }

    public TimeSpan SlowDelay { get; }

    /// <summary>Raised after every change, outside the registry's lock.</summary>
    public event Action? Changed;

    private double _probeDropRate;
    private long _dropped;

    /// <summary>The share of the console's probes dropped at random (0 to 1); set with target "*" and action "drop".</summary>
    public double ProbeDropRate => Volatile.Read(ref _probeDropRate);

    /// <summary>How many probes were dropped at random so far.</summary>
    public long DroppedProbes => Interlocked.Read(ref _dropped);

    public bool DropProbe(IPAddress? remote)
    {
        var rate = ProbeDropRate;
        if (rate <= 0 || remote is null || Normalize(remote).Equals(LabAddresses.LoadBalancerSource) || Random.Shared.NextDouble() >= rate)
            return false;
        Interlocked.Increment(ref _dropped);
        return true;
    }

    /// <summary>Drops the given share of the console's probes at random, until set back to 0 or healed.</summary>
    public FaultLogEntry SetProbeDropRate(double rate, string source = "lab-api")
    {
        if (double.IsNaN(rate) || rate < 0 || rate > 1)
            throw new LabFaultException($"probability must be between 0 and 1, not {rate}.");
        Volatile.Write(ref _probeDropRate, rate);
        lock (_gate)
            return AppendLog(_time.GetUtcNow(), "*", rate > 0 ? $"drop {rate:0.###}" : "drop 0", source);
    }

    public FaultMode ModeFor(string datacenterId, string componentId, IPAddress? remote)
    {
        lock (_gate)
        {
            var mode = FaultMode.None;
            if (_faults.TryGetValue($"{datacenterId}/{componentId}", out var own))
                mode = Worse(mode, own.Mode);
            if (_faults.TryGetValue(datacenterId, out var dc))
                mode = Worse(mode, dc.Mode);
            // The link cuts a console off from the other datacenter (each console from the one it does not sit in);
            // the load balancer does not use it.
            if (remote is not null
                && _faults.TryGetValue(LinkTarget, out var link)
                && !Normalize(remote).Equals(LabAddresses.LoadBalancerSource)
                && !string.Equals(datacenterId, ConsoleDatacenterOf(remote), StringComparison.Ordinal))
                mode = Worse(mode, link.Mode);
            return mode;
        }
    }

    /// <summary>Whether the component's own process is stopped (a <c>down</c> on it or on its datacenter), whoever asks.</summary>
    public bool IsStopped(string datacenterId, string componentId) => ModeFor(datacenterId, componentId, null) == FaultMode.Down;

    public bool IsDraining(string datacenterId, string instanceId)
    {
        lock (_gate)
            return _draining.Contains($"{datacenterId}/{instanceId}");
    }

    public IReadOnlyList<ActiveFault> Active
    {
        get
        {
            lock (_gate)
            {
                var list = _faults.Values.ToList();
                list.AddRange(_draining.Select(t => new ActiveFault(t, FaultMode.None, default, "drain")).Where(d => !_faults.ContainsKey(d.Target)));
                return list.OrderBy(f => f.Target, StringComparer.Ordinal).ToList();
            }
        }
    }

    public IReadOnlyList<string> DrainingTargets
    {
        get
        {
            lock (_gate)
                return _draining.Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>The most recent <paramref name="max"/> log entries, oldest first.</summary>
    public IReadOnlyList<FaultLogEntry> Log(int max = int.MaxValue)
    {
        lock (_gate)
            return _log.Skip(Math.Max(0, _log.Count - max)).ToList();
    }

    /// <summary>Completes at the next change; take it before reading the state so no change falls between.</summary>
    public Task WhenChanged()
    {
        lock (_gate)
            return _changed.Task;
    }

    /// <summary>Applies <paramref name="action"/> to <paramref name="target"/>; throws <see cref="LabFaultException"/> and changes nothing when either is invalid.</summary>
    public FaultLogEntry Apply(string? target, string? action, string source = "lab-api")
    {
        var (normalizedTarget, isInstance) = ParseTarget(target);
        var normalizedAction = action?.Trim().ToLowerInvariant();
        if (normalizedAction is null || !Actions.Contains(normalizedAction))
            throw new LabFaultException($"Unknown action '{action}'. Use one of: {string.Join(", ", Actions)}.");
        if (normalizedAction == "drain" && !isInstance)
            throw new LabFaultException($"'drain' applies to a gateway instance (e.g. dc1/instance-3), not to '{normalizedTarget}'.");

        FaultLogEntry entry;
        TaskCompletionSource signal;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            switch (normalizedAction)
            {
                case "up":
                    _faults.Remove(normalizedTarget);
                    _draining.Remove(normalizedTarget);
                    break;
                case "drain":
                    _draining.Add(normalizedTarget);
                    break;
                default:
                    var mode = normalizedAction switch { "down" => FaultMode.Down, "hang" => FaultMode.Hang, _ => FaultMode.Slow };
                    _faults[normalizedTarget] = new ActiveFault(normalizedTarget, mode, now, source);
                    break;
            }
            entry = AppendLog(now, normalizedTarget, normalizedAction, source);
            signal = SwapSignal();
        }
        Publish(signal);
        return entry;
    }

    /// <summary>Lifts every fault (and starts every stopped instance).</summary>
    public FaultLogEntry HealAll(string source = "lab-api")
    {
        Volatile.Write(ref _probeDropRate, 0);
        FaultLogEntry entry;
        TaskCompletionSource signal;
        lock (_gate)
        {
            _faults.Clear();
            _draining.Clear();
            entry = AppendLog(_time.GetUtcNow(), "*", "heal", source);
            signal = SwapSignal();
        }
        Publish(signal);
        return entry;
    }

    private (string Target, bool IsInstance) ParseTarget(string? target)
    {
        var t = target?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(t))
            throw new LabFaultException("A target is required: 'link', a datacenter (e.g. 'dc2') or a component (e.g. 'dc1/instance-2', 'dc1/cassandra-3', 'dc1/anm').");
        if (t == LinkTarget)
            return (t, false);
        var slash = t.IndexOf('/');
        var dc = slash < 0 ? t : t[..slash];
        if (!_components.TryGetValue(dc, out var components))
            throw new LabFaultException($"Unknown target '{target}': no datacenter '{dc}' (datacenters: {string.Join(", ", _components.Keys)}).");
        if (slash < 0)
            return (t, false);
        var component = t[(slash + 1)..];
        if (!components.Contains(component))
            throw new LabFaultException($"Unknown target '{target}': {dc} has no component '{component}' (it has: {string.Join(", ", components.Order(StringComparer.Ordinal))}).");
        return (t, component.StartsWith("instance-", StringComparison.Ordinal));
    }

    private FaultLogEntry AppendLog(DateTimeOffset now, string target, string action, string source)
    {
        var entry = new FaultLogEntry(++_sequence, now, target, action, source);
        _log.Enqueue(entry);
        while (_log.Count > MaxLogEntries)
            _log.Dequeue();
        return entry;
    }

    private TaskCompletionSource SwapSignal()
    {
        var previous = _changed;
        _changed = NewChangeSignal();
        return previous;
    }

    private void Publish(TaskCompletionSource signal)
    {
        signal.TrySetResult();
        Changed?.Invoke();
    }

    private static TaskCompletionSource NewChangeSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static FaultMode Worse(FaultMode a, FaultMode b) => Severity(a) >= Severity(b) ? a : b;

    private static int Severity(FaultMode mode) => mode switch
    {
        FaultMode.Down => 3,
        FaultMode.Hang => 2,
        FaultMode.Slow => 1,
        _ => 0,
    };

    /// <summary>The datacenter a console connecting from <paramref name="remote"/> sits in (see <see cref="LabAddresses.ConsoleSource"/>).</summary>
    public string ConsoleDatacenterOf(IPAddress remote)
    {
        var bytes = Normalize(remote).GetAddressBytes();
        if (bytes.Length == 4 && bytes[0] == 127 && bytes[1] == 0 && bytes[2] == 3 && bytes[3] >= 1 && bytes[3] <= _datacenterOrder.Count)
            return _datacenterOrder[bytes[3] - 1];
        return _consoleDatacenter;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
