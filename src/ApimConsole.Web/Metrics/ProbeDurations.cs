using ApimConsole.Monitoring.Engine;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace ApimConsole.Web.Metrics;

/// <summary>
/// <c>apimconsole_probe_duration_seconds</c>: the status engine reports each probe here as it completes. Apart from
/// <see cref="EstateMetrics"/> (which reads the engine's snapshot), so the engine needs nothing that needs the engine.
/// </summary>
public sealed class ProbeDurations : IProbeTimings
{
    /// <summary>Probe durations: a probe's timeout is 1 s by default, at most 1 min.</summary>
    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Histogram _histogram;

    public ProbeDurations(CollectorRegistry registry) =>
        _histogram = PrometheusMetrics.WithCustomRegistry(registry).CreateHistogram(EstateMetrics.Prefix + "probe_duration_seconds",
            "How long each probe of the estate took, by kind of component, datacenter (global: the load balancer) and outcome.",
            ["kind", "datacenter", "outcome"], new HistogramConfiguration { Buckets = Buckets });

    public void Record(ProbeTiming timing) =>
        _histogram.WithLabels(EstateMetrics.Snake(timing.Kind.ToString()), timing.DatacenterId, timing.Succeeded ? "success" : "failure")
            .Observe(Math.Max(0, timing.Duration.TotalSeconds));
}
