using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Peer;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Metrics;
using ApimConsole.Web.Tests.Components;
using ApimConsole.Web.Tests.Incidents;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>What <c>/metrics</c> says for a given live state: names, labels, one-hot states, absent rather than zero.</summary>
public sealed class EstateMetricsTests
{
    private static readonly DateTimeOffset Now = TestEstate.T0.AddMinutes(5);
    private readonly FakeTimeProvider _time = new(Now);

    private (EstateMetrics Metrics, FakeEstateStatus Status) Create(EstateSnapshot snapshot, Func<MetricSources, MetricSources>? more = null)
    {
        var status = new FakeEstateStatus(snapshot);
        var sources = new MetricSources { Estate = status, Time = _time };
        return (new EstateMetrics(more?.Invoke(sources) ?? sources), status);
    }

    private static async Task<IReadOnlyList<Sample>> ScrapeAsync(EstateMetrics metrics) => Exposition.Parse(await metrics.ToTextAsync());

    [Fact]
    public async Task UnknownComponentState_IsTheUnknownSeries_NotADownZero()
    {
        var (metrics, _) = Create(TestEstate.NotProbed(Now));
        var samples = await ScrapeAsync(metrics);

        var labels = new[] { "datacenter=dc2", "component=instance-1", "kind=gateway_instance" };
        Assert.Equal(1, samples.Value("apimconsole_component_state", [.. labels, "state=unknown"]));
        Assert.Equal(0, samples.Value("apimconsole_component_state", [.. labels, "state=down"]));
        Assert.Equal(0, samples.Value("apimconsole_component_state", [.. labels, "state=up"]));
        Assert.Equal(1, samples.Value("apimconsole_datacenter_state", "datacenter=dc1", "state=unknown"));
        Assert.Equal(1, samples.Value("apimconsole_link_state", "state=unknown"));
    }

    [Fact]
    public async Task EveryComponent_HasExactlyOneStateThatHolds()
    {
        var snapshot = TestEstate.AllUp(Now).WithInstance("dc2", "instance-2", ComponentState.Down, Now);
        var (metrics, _) = Create(snapshot);
        var samples = await ScrapeAsync(metrics);

        var components = samples.Find("apimconsole_component_state").GroupBy(s => (s.Labels["datacenter"], s.Labels["component"])).ToList();
        Assert.Equal(snapshot.AllComponents().Count(), components.Count);
        Assert.All(components, c => Assert.Equal(1, c.Sum(s => s.Value)));
        Assert.Equal(1, samples.Value("apimconsole_component_state", "datacenter=dc2", "component=instance-2", "state=down"));
        Assert.Equal(1, samples.Value("apimconsole_component_state", "datacenter=dc2", "component=cassandra-1", "kind=cassandra_node", "state=up"));
        Assert.Equal(1, samples.Value("apimconsole_component_state", "datacenter=dc1", "component=anm", "kind=admin_node_manager", "state=up"));
    }

    [Fact]
    public async Task ScenariosInForce_AreCountedByKindDatacenterAndSeverity()
    {
        var snapshot = TestEstate.AllUp(Now).WithInstance("dc2", "instance-2", ComponentState.Down, Now);
        var (metrics, _) = Create(snapshot);
        var samples = await ScrapeAsync(metrics);

        var scenario = Assert.Single(snapshot.Scenarios);
        Assert.Equal(1, samples.Value("apimconsole_scenarios", "kind=gateway_instance_down", "datacenter=dc2",
            $"severity={EstateMetrics.Snake(scenario.Severity.ToString())}"));
        Assert.Equal(1, samples.Value("apimconsole_scenarios_in_force"));
    }

    [Fact]
    public async Task ASeriesThatNoLongerHolds_Disappears_RatherThanFreezing()
    {
        var (metrics, status) = Create(TestEstate.AllUp(Now).WithInstance("dc2", "instance-2", ComponentState.Down, Now));
        Assert.Single((await ScrapeAsync(metrics)).Find("apimconsole_scenarios"));

        status.Publish(TestEstate.AllUp(Now.AddSeconds(1)));
        var samples = await ScrapeAsync(metrics);
        Assert.Empty(samples.Find("apimconsole_scenarios"));
        Assert.Equal(0, samples.Value("apimconsole_scenarios_in_force"));
        Assert.Equal(1, samples.Value("apimconsole_component_state", "datacenter=dc2", "component=instance-2", "state=up"));
    }

    [Fact]
    public async Task Witnesses_AreAbsentWhenNotConfigured_AndOneHotWhenThey_Are()
    {
        var (bare, _) = Create(TestEstate.AllUp(Now));
        Assert.Empty((await ScrapeAsync(bare)).Find("apimconsole_witness_state"));

        var snapshot = TestEstate.AllUp(Now) with
        {
            LoadBalancer = new LoadBalancerView(ComponentState.Up, TestEstate.T0, null,
                [new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", false, 0, 2)], Now),
            Peer = new PeerWitness("dc2", "http://peer", Available: false, "no answer within 1000 ms", null, ReadAt: Now.AddSeconds(-3), TestEstate.T0),
        };
        var (metrics, _) = Create(snapshot);
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(1, samples.Value("apimconsole_witness_state", "witness=load_balancer", "state=up"));
        Assert.Equal(1, samples.Value("apimconsole_witness_state", "witness=peer", "state=down"));
        Assert.Equal(0, samples.Value("apimconsole_load_balancer_pool_serving", "datacenter=dc2"));
        Assert.Equal(2, samples.Value("apimconsole_load_balancer_pool_healthy_destinations", "datacenter=dc1"));
        Assert.Equal(2, samples.Value("apimconsole_load_balancer_pool_destinations", "datacenter=dc2"));
        Assert.Equal(0, samples.Value("apimconsole_witness_unread_members", "witness=load_balancer"));
    }

    [Fact]
    public async Task AMemberOfTheLoadBalancerLeftOut_IsCounted_WhileTheWitnessIsUp_AndAbsentOnceItIsDown()
    {
        var (metrics, status) = Create(TestEstate.AllUp(Now) with
        {
            LoadBalancer = new LoadBalancerView(ComponentState.Up, TestEstate.T0, null, [new LoadBalancerPool("dc1", true, 2, 2)], Now,
                ["https://gslb.ams.example:8404/stats: connection refused"]),
        });
        Assert.Equal(1, (await ScrapeAsync(metrics)).Value("apimconsole_witness_unread_members", "witness=load_balancer"));

        status.Publish(TestEstate.AllUp(Now.AddSeconds(1)) with
        {
            LoadBalancer = new LoadBalancerView(ComponentState.Down, Now, "no member of the load balancer answered: …", [], Now),
        });
        Assert.Empty((await ScrapeAsync(metrics)).Find("apimconsole_witness_unread_members"));
    }

    [Fact]
    public async Task APeerNeverRead_IsUnknown_AndADownLoadBalancersLastPools_AreNotShownAsNow()
    {
        var snapshot = TestEstate.AllUp(Now) with
        {
            LoadBalancer = new LoadBalancerView(ComponentState.Down, Now, "connection refused", [new LoadBalancerPool("dc1", true, 2, 2)], Now.AddMinutes(-1)),
            Peer = new PeerWitness("dc2", "http://peer", Available: false, "not read yet", null, ReadAt: null, Now),
        };
        var (metrics, _) = Create(snapshot);
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(1, samples.Value("apimconsole_witness_state", "witness=peer", "state=unknown"));
        Assert.Equal(1, samples.Value("apimconsole_witness_state", "witness=load_balancer", "state=down"));
        Assert.Empty(samples.Find("apimconsole_load_balancer_pool_serving"));
    }

    [Fact]
    public async Task GuardrailDecisions_AreOneHotPerKindAndDatacenter()
    {
        var (metrics, _) = Create(TestEstate.AllUp(Now), s => s with
        {
            Guardrail = () => [(ChangeKind.GatewayConfiguration, "dc1", GuardrailDecision.Warn), (ChangeKind.KpsTableStructure, "dc2", GuardrailDecision.Block)],
        });
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(1, samples.Value("apimconsole_guardrail_decision", "kind=gateway_configuration", "datacenter=dc1", "decision=warn"));
        Assert.Equal(0, samples.Value("apimconsole_guardrail_decision", "kind=gateway_configuration", "datacenter=dc1", "decision=allow"));
        Assert.Equal(1, samples.Value("apimconsole_guardrail_decision", "kind=kps_table_structure", "datacenter=dc2", "decision=block"));
    }

    [Fact]
    public async Task TrafficGap_LeavesTheRatesAbsent_NotZero()
    {
        var point = new TrafficPoint(Now.AddMinutes(-1), 600, 10, 0.05, 12, 40, 80, null, []);
        var (metrics, _) = Create(TestEstate.AllUp(Now), s => s with
        {
            Traffic = () => [new DatacenterTrafficNow("dc1", true, true, point), new DatacenterTrafficNow("dc2", true, false, null)],
        });
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(10, samples.Value("apimconsole_traffic_requests_per_second", "datacenter=dc1"));
        Assert.Equal(0.5, samples.Value("apimconsole_traffic_failures_per_second", "datacenter=dc1"), 6);
        Assert.Equal(0.05, samples.Value("apimconsole_traffic_error_ratio", "datacenter=dc1"), 6);
        Assert.Equal(0, samples.Value("apimconsole_traffic_collected", "datacenter=dc2"));
        Assert.Empty(samples.Find("apimconsole_traffic_requests_per_second", "datacenter=dc2"));
        Assert.Empty(samples.Find("apimconsole_traffic_error_ratio", "datacenter=dc2"));
    }

    [Fact]
    public async Task LogTails_TellNotPolledFromUnreachable_AndLagIsTheTimeSinceTheLastAnswer()
    {
        var (metrics, _) = Create(TestEstate.AllUp(Now), s => s with
        {
            LogTails = () =>
            [
                new TraceTailStatus("dc1", "http://logs.dc1", Reachable: true, null, Now.AddSeconds(-2), []),
                new TraceTailStatus("dc2", "http://logs.dc2", Reachable: false, "connection refused", Now.AddSeconds(-90), [], Now.AddSeconds(-89)),
                new TraceTailStatus("dc3", "http://logs.dc3", Reachable: false, null, null, []),
            ],
        });
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(1, samples.Value("apimconsole_log_tail_state", "datacenter=dc1", "state=tailing"));
        Assert.Equal(1, samples.Value("apimconsole_log_tail_state", "datacenter=dc2", "state=unreachable"));
        Assert.Equal(1, samples.Value("apimconsole_log_tail_state", "datacenter=dc3", "state=not_polled"));
        Assert.Equal(2, samples.Value("apimconsole_log_tail_lag_seconds", "datacenter=dc1"));
        Assert.Equal(90, samples.Value("apimconsole_log_tail_lag_seconds", "datacenter=dc2"));
        Assert.Empty(samples.Find("apimconsole_log_tail_lag_seconds", "datacenter=dc3"));
    }

    [Fact]
    public async Task Deployments_AreCountedPerState_AndAbsentWhileTheStoreCannotBeCounted()
    {
        IReadOnlyDictionary<DeploymentState, long>? counts = new Dictionary<DeploymentState, long> { [DeploymentState.Succeeded] = 3, [DeploymentState.PartiallyApplied] = 1 };
        var (metrics, _) = Create(TestEstate.AllUp(Now), s => s with { Deployments = () => counts });
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(3, samples.Value("apimconsole_deployments", "state=succeeded"));
        Assert.Equal(1, samples.Value("apimconsole_deployments", "state=partially_applied"));
        Assert.Equal(0, samples.Value("apimconsole_deployments", "state=failed"));

        counts = null;
        Assert.Empty((await ScrapeAsync(metrics)).Find("apimconsole_deployments"));
    }

    [Fact]
    public async Task OutboxDepth_IsAbsentWithoutTheNotificationsFeature_AndReadFromItWhenRegistered()
    {
        var (bare, _) = Create(TestEstate.AllUp(Now));
        var text = await bare.ToTextAsync();
        Assert.DoesNotContain("apimconsole_notification_outbox", text, StringComparison.Ordinal);

        var (metrics, _) = Create(TestEstate.AllUp(Now), s => s with { Outbox = new FixedOutbox(new OutboxDepth(7, 2, Now.AddSeconds(-30))) });
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(7, samples.Value("apimconsole_notification_outbox_depth"));
        Assert.Equal(2, samples.Value("apimconsole_notification_outbox_dead_letters"));
        Assert.Equal(30, samples.Value("apimconsole_notification_outbox_oldest_age_seconds"));
    }

    [Fact]
    public async Task ProbeDurations_AreAHistogramPerKindDatacenterAndOutcome()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        IProbeTimings timings = new ProbeDurations(registry);
        var metrics = new EstateMetrics(new MetricSources { Estate = new FakeEstateStatus(TestEstate.AllUp(Now)), Time = _time }, registry);
        timings.Record(new ProbeTiming(ProbedKind.CassandraNode, "dc2", "cassandra-1", TimeSpan.FromMilliseconds(3), true));
        timings.Record(new ProbeTiming(ProbedKind.CassandraNode, "dc2", "cassandra-2", TimeSpan.FromMilliseconds(1000), false));
        var samples = await ScrapeAsync(metrics);
        Assert.Equal(1, samples.Value("apimconsole_probe_duration_seconds_count", "kind=cassandra_node", "datacenter=dc2", "outcome=success"));
        Assert.Equal(1, samples.Value("apimconsole_probe_duration_seconds_bucket", "kind=cassandra_node", "datacenter=dc2", "outcome=success", "le=0.005"));
        Assert.Equal(0, samples.Value("apimconsole_probe_duration_seconds_bucket", "kind=cassandra_node", "datacenter=dc2", "outcome=failure", "le=0.5"));
        Assert.Equal(1, samples.Value("apimconsole_probe_duration_seconds_bucket", "kind=cassandra_node", "datacenter=dc2", "outcome=failure", "le=1"));
    }

    [Fact]
    public async Task SnapshotAge_GrowsWhenTheStatusEngineStalls()
    {
        var (metrics, _) = Create(TestEstate.AllUp(Now));
        Assert.Equal(0, (await ScrapeAsync(metrics)).Value("apimconsole_estate_snapshot_age_seconds"));
        _time.Advance(TimeSpan.FromSeconds(42));
        Assert.Equal(42, (await ScrapeAsync(metrics)).Value("apimconsole_estate_snapshot_age_seconds"));
    }

    [Theory]
    [InlineData("GatewayInstance", "gateway_instance")]
    [InlineData("InterDatacenterLinkDown", "inter_datacenter_link_down")]
    [InlineData("Up", "up")]
    [InlineData("PartiallyApplied", "partially_applied")]
    public void LabelValues_AreTheConsolesNamesInSnakeCase(string name, string expected) => Assert.Equal(expected, EstateMetrics.Snake(name));

    private sealed class FixedOutbox(OutboxDepth depth) : IOutboxDepth
    {
        public OutboxDepth Read() => depth;
    }
}
