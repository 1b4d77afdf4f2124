namespace ApimConsole.Monitoring.Engine;

/// <summary>The kinds of component the status engine probes.</summary>
public enum ProbedKind
{
    AdminNodeManager,
    GatewayInstance,
    CassandraNode,
    LoadBalancer,
}

/// <summary>
/// How long one probe took, of which component, and whether it succeeded. A probe cut off by its timeout is a failure
/// as long as the timeout; the wait for a free probe slot is not counted.
/// </summary>
public readonly record struct ProbeTiming(ProbedKind Kind, string DatacenterId, string ComponentId, TimeSpan Duration, bool Succeeded);

/// <summary>
/// Hears of every probe the status engine completes (optional: the engine runs the same without one). Called on the
/// probe's own task: an implementation must be quick, must not block and must not throw.
/// </summary>
public interface IProbeTimings
{
    void Record(ProbeTiming timing);
}
