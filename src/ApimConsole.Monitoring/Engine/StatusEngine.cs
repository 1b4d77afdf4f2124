using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Live;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Gateways;
using ApimConsole.Monitoring.LoadBalancer;
using ApimConsole.Monitoring.Peer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// Owns the live picture of the estate. Each component has its own probe in flight (so one hung peer delays
/// nobody else), a failure detector, and a bounded share of the probe concurrency; one <see cref="ProbeScheduler"/>
/// starts the probes in batches. Any change of state wakes the publisher, which reassesses the whole estate
/// (<see cref="EstateAssessor"/>) and hands the new snapshot to every subscriber.
/// </summary>
public sealed class StatusEngine : BackgroundService, IEstateStatus
{
    /// <summary>Probes in flight at once, whatever the size of the estate.</summary>
    public const int MaxConcurrentProbes = 64;

    /// <summary>The load balancer's component key in the snapshot's terms: <c>global/load-balancer</c>.</summary>
    public const string LoadBalancerDatacenter = "global";
    public const string LoadBalancerComponent = "load-balancer";

    private readonly EstateOptions _estate;
    private readonly ProbeOptions _probes;
    private readonly TimeProvider _time;
    private readonly ILogger<StatusEngine> _logger;
    private readonly CassandraProbe _cassandraProbe;
    private readonly SemaphoreSlim _concurrency = new(MaxConcurrentProbes);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ProbeScheduler _scheduler;
    private readonly List<DatacenterMonitor> _datacenters = [];
    private readonly List<HttpClient> _clients = [];
    private readonly ComponentMonitor? _loadBalancer;
    private readonly ILoadBalancerWitness? _witness;
    private readonly Func<CancellationToken, Task<(ProbeOutcome, object?)>>? _witnessProbe;
    private readonly TimeSpan _witnessTimeout;
    private IReadOnlyList<LoadBalancerPool> _pools = [];
    /// <summary>When <see cref="_pools"/> was read (UTC ticks of the engine's clock); 0 before the first read.</summary>
    private long _poolsReadAtTicks;
    private readonly LiveFeed<EstateSnapshot> _feed;
    private readonly IPeerWitnessSource? _peer;
    private CancellationToken _stopping;

    public StatusEngine(IOptions<EstateOptions> estate, IOptions<ProbeOptions> probes, TimeProvider time, ILogger<StatusEngine> logger, IPeerWitnessSource? peer = null)
    {
        // The console in the other datacenter is a witness too (Peer/): each of its reads wakes the publisher.
        _peer = peer;
        if (peer is not null)
            peer.Changed += Changed;
        _estate = estate.Value;
        _probes = probes.Value;
        _time = time;
        _logger = logger;
        _cassandraProbe = new CassandraProbe(source: EstateSourceAddress.Parse(_estate.SourceAddress));
        _scheduler = new ProbeScheduler(time, _probes.Interval, logger);
        var now = time.GetUtcNow();

        var probeClient = NewClient(acceptAnyCertificate: false);
        var health = new GatewayHealthProbe(probeClient);
        foreach (var dc in _estate.Datacenters)
        {
            var anmClient = dc.AdminNodeManager.AcceptAnyServerCertificate ? NewClient(acceptAnyCertificate: true) : probeClient;
            _datacenters.Add(new DatacenterMonitor(this, dc, anmClient, health, now));
        }
        if (Uri.TryCreate(_estate.LoadBalancer.StatusUrl, UriKind.Absolute, out _))
        {
            // The witness has its own client: its credentials and TLS trust are not the estate's.
            _witnessTimeout = _estate.LoadBalancer.Timeout ?? _probes.Timeout;
            var witnessClient = LoadBalancerWitnesses.CreateHttpClient(_estate.LoadBalancer, _witnessTimeout);
            _clients.Add(witnessClient);
            _witness = LoadBalancerWitnesses.Create(_estate.LoadBalancer, _estate.Datacenters.Select(d => d.Id), witnessClient);
            var name = _witness.Product == "lab" ? "Global load balancer" : $"Global load balancer ({_witness.Product})";
            _loadBalancer = new ComponentMonitor(LoadBalancerDatacenter, LoadBalancerComponent, name, _probes, now);
            _witnessProbe = ProbeLoadBalancerAsync;
        }
        // Subscribers hear only snapshots that say something new; Current moves on every assessment.
        _feed = new LiveFeed<EstateSnapshot>(Assess(null, now), EstateChanges.SameContent);
    }

    public EstateSnapshot Current => _feed.Current;

    internal ProbeOptions Probes => _probes;
    internal TimeProvider Time => _time;
    internal ILogger Logger => _logger;
    internal CassandraProbe CassandraProbe => _cassandraProbe;

    public FeedSubscription<EstateSnapshot> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _feed.Subscribe(capacity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var probing = _scheduler.RunAsync(RunProbeAsync, Changed, stoppingToken);
        foreach (var dc in _datacenters)
            dc.Start();
        if (_loadBalancer is not null)
            Schedule(_loadBalancer, _witnessProbe!);

        // The publisher: reassess on every change, and at least once per interval so AsOf shows the state is fresh.
        // One wake-up wait stays pending across ticks so that no signal is lost and no waiter leaks.
        var wake = _wake.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var delay = Task.Delay(_probes.Interval, _time, tick.Token);
                if (await Task.WhenAny(wake, delay) == wake)
                {
                    tick.Cancel();
                    if (stoppingToken.IsCancellationRequested)
                        break;
                    wake = _wake.WaitAsync(stoppingToken);
                }
            }
            if (stoppingToken.IsCancellationRequested)
                break;
            Publish();
        }
        await probing;
    }

    /// <summary>Called when a probe's result changed something visible.</summary>
    internal void Changed()
    {
        try
        {
            if (_wake.CurrentCount == 0)
                _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake: one wake-up covers any number of changes.
        }
    }

    private void Publish()
    {
        var next = Assess(_feed.Current, _time.GetUtcNow());
        // Classified here, once, before anyone reads it: screens, hub, API and recorder share this one result.
        _ = next.Scenarios;
        _feed.Publish(next);
    }

    private EstateSnapshot Assess(EstateSnapshot? previous, DateTimeOffset now)
    {
        var observed = _datacenters.Select(d => d.Observe()).ToList();
        LoadBalancerView? view = null;
        if (_loadBalancer is not null)
        {
            var (state, since, reason, _, _) = _loadBalancer.Read();
            var readTicks = Interlocked.Read(ref _poolsReadAtTicks);
            view = new LoadBalancerView(state, since, reason, Volatile.Read(ref _pools),
                readTicks == 0 ? DateTimeOffset.MinValue : new DateTimeOffset(readTicks, TimeSpan.Zero));
        }
        return EstateAssessor.Assess(_estate.Name, _estate.ConsoleDatacenter, observed, view, previous, now, _estate.LoadBalancer.HealthCheckLag, _peer?.Current);
    }

    private async Task<(ProbeOutcome, object?)> ProbeLoadBalancerAsync(CancellationToken cancellationToken)
    {
        var pools = await _witness!.ReadPoolsAsync(cancellationToken);
        Volatile.Write(ref _pools, pools);
        Interlocked.Exchange(ref _poolsReadAtTicks, _time.GetUtcNow().UtcTicks);
        // The pool list is the detail: a change in it is a change worth publishing.
        return (ProbeOutcome.Ok, new PoolSignature(string.Join(";", pools.Select(p => $"{p.DatacenterId}:{p.Serving}:{p.HealthyDestinations}/{p.Destinations}"))));
    }

    private sealed record PoolSignature(string Value);

    /// <summary>
    /// Schedules a component's probes until the engine stops or the monitor is retired (its <see cref="ComponentMonitor.Stop"/>).
    /// <paramref name="startedFailing"/> hears of the first failed probe after a success.
    /// </summary>
    internal void Schedule(ComponentMonitor monitor, Func<CancellationToken, Task<(ProbeOutcome Outcome, object? Details)>> probe, Action<ComponentMonitor>? startedFailing = null) =>
        _scheduler.Add(monitor, probe, startedFailing);

    /// <summary>One probe under the concurrency bound and the probe timeout; never throws.</summary>
    private async Task<(ProbeOutcome, object?)> RunProbeAsync(Func<CancellationToken, Task<(ProbeOutcome, object?)>> probe, CancellationToken token)
    {
        // The witness has a timeout of its own (Estate:LoadBalancer:Timeout); everything else the probes'.
        var timeout = ReferenceEquals(probe, _witnessProbe) ? _witnessTimeout : _probes.Timeout;
        try
        {
            await _concurrency.WaitAsync(token);
        }
        catch (OperationCanceledException)
        {
            return (ProbeOutcome.Failed("stopped"), null);
        }
        try
        {
            using var deadline = new CancellationTokenSource(timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
            return await probe(linked.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return (ProbeOutcome.Failed($"no answer within {timeout.TotalMilliseconds:0} ms"), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (ProbeOutcome.Failed(ProbeOutcome.Describe(ex)), null);
        }
        finally
        {
            _concurrency.Release();
        }
    }

    private HttpClient NewClient(bool acceptAnyCertificate)
    {
        var client = AdminNodeManagerConnections.CreateHttpClient(_probes.Timeout, acceptAnyCertificate, source: EstateSourceAddress.Parse(_estate.SourceAddress));
        _clients.Add(client);
        return client;
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var dc in _datacenters)
            dc.Retire();
        foreach (var client in _clients)
            client.Dispose();
        // _concurrency and _wake are not disposed: probes still in flight when the engine stops release a slot and may
        // wake the loop after this point (that threw ObjectDisposedException at shutdown). A SemaphoreSlim holds no OS
        // handle unless its AvailableWaitHandle is used, which these never are.
    }
}
