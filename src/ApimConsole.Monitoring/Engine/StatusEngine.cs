using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Live;
using ApimConsole.Core.Peer;
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
public sealed class StatusEngine : BackgroundService, IEstateStatus, IOwnDatacenterEvidence
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
    private readonly ProbeRunner _runner;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ProbeScheduler _scheduler;
    private readonly List<DatacenterMonitor> _datacenters = [];
    private readonly HttpClient? _witnessClient;
    private readonly ComponentMonitor<LoadBalancerProbeDetails>? _loadBalancer;
    private readonly ILoadBalancerWitness? _witness;
    private string? _unreadMembers;
    private readonly TimeSpan _witnessTimeout;
    private readonly LiveFeed<EstateSnapshot> _feed;
    private readonly IPeerWitnessSource? _peer;
    private readonly Lock _roundGate = new();
    private DateTimeOffset _lastForcedRound = DateTimeOffset.MinValue;
    private CancellationToken _stopping;

    public StatusEngine(IOptions<EstateOptions> estate, IOptions<ProbeOptions> probes, IHttpClientFactory http, TimeProvider time, ILogger<StatusEngine> logger, IPeerWitnessSource? peer = null,
        IProbeTimings? probeTimings = null)
    {
        // The console in the other datacenter is a witness too (Peer/): each of its reads wakes the publisher.
        _peer = peer;
        if (peer is not null)
            peer.Changed += Changed;
        _estate = estate.Value;
        _probes = probes.Value;
        _time = time;
        _logger = logger;
        _scheduler = new ProbeScheduler(time, _probes.Interval, logger);
        // Probe durations go to whoever listens (the console's /metrics), when anyone does.
        _runner = new ProbeRunner(MaxConcurrentProbes, _probes.Timeout, time, probeTimings);
        var now = time.GetUtcNow();

        // The probes' clients (EstateHttpClients): a datacenter whose ANM certificate is accepted as is gets the lenient one.
        var probeClient = http.CreateClient(EstateHttpUse.Probe, acceptAnyCertificate: false);
        var health = new GatewayHealthProbe(probeClient);
        var cassandra = new CassandraProbe(source: EstateSourceAddress.Parse(_estate.SourceAddress));
        foreach (var dc in _estate.Datacenters)
        {
            var anmClient = dc.AdminNodeManager.AcceptAnyServerCertificate ? http.CreateClient(EstateHttpUse.Probe, acceptAnyCertificate: true) : probeClient;
            // The monitor's only ways back: new components to schedule, and a wake-up for the publisher.
            var context = new DatacenterMonitorContext(time, _probes, logger, anmClient, health, cassandra, _scheduler.Add, Changed);
            _datacenters.Add(new DatacenterMonitor(context, dc));
        }
        if (_estate.LoadBalancer.AllStatusUrls().Any(u => Uri.TryCreate(u, UriKind.Absolute, out _)))
        {
            // The witness has its own client: its credentials and TLS trust are not the estate's.
            _witnessTimeout = _estate.LoadBalancer.Timeout ?? _probes.Timeout;
            _witnessClient = LoadBalancerWitnesses.CreateHttpClient(_estate.LoadBalancer, _witnessTimeout);
            // Several members are each given most of the read's time, so one that does not answer leaves time to decide.
            _witness = LoadBalancerWitnesses.Create(_estate.LoadBalancer, _estate.Datacenters.Select(d => d.Id), _witnessClient, _witnessTimeout * 0.8);
            var name = _witness.Product == "lab" ? "Global load balancer" : $"Global load balancer ({_witness.Product})";
            _loadBalancer = new ComponentMonitor<LoadBalancerProbeDetails>(LoadBalancerDatacenter, LoadBalancerComponent, name, _probes, now);
        }
        // Subscribers hear only snapshots that say something new; Current moves on every assessment.
        _feed = new LiveFeed<EstateSnapshot>(Assess(null, now), EstateChanges.SameContent);
    }

    public EstateSnapshot Current => _feed.Current;

    public FeedSubscription<EstateSnapshot> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _feed.Subscribe(capacity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var probing = _scheduler.RunAsync(_runner, Changed, stoppingToken);
        foreach (var registration in _datacenters.SelectMany(dc => dc.Start()))
            _scheduler.Add(registration);
        if (_loadBalancer is not null)
            _scheduler.Add(new ProbeRegistration<LoadBalancerProbeDetails>(_loadBalancer, ProbeLoadBalancerAsync) { Timeout = _witnessTimeout });

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
    private void Changed()
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
        _peer?.AwaitEvidence(WantedFromPeer(next));
    }

    /// <summary>
    /// The silence of the peer's datacenter that the peer has yet to show evidence past: it is unreachable from here, and
    /// neither the peer's view has decided it nor has the load balancer called it down. Null: nothing is waiting on the peer.
    /// </summary>
    private DateTimeOffset? WantedFromPeer(EstateSnapshot snapshot)
    {
        var peerDatacenter = _peer?.Current?.Datacenter;
        return snapshot.Datacenters.FirstOrDefault(d => d.State == DatacenterState.Unreachable && d.SeenBy is null && d.SilentSince is not null
            && (peerDatacenter is null || string.Equals(d.Id, peerDatacenter, StringComparison.OrdinalIgnoreCase)))?.SilentSince;
    }

    public async Task<EstateSnapshot> AssessFreshAsync(DateTimeOffset after, TimeSpan wait, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var own = _datacenters.FirstOrDefault(d => string.Equals(d.Id, _estate.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase));
        if (own is not null)
        {
            var round = own.ProbedSinceAsync(after < now ? after : now, MayForceRound);
            try
            {
                await round.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Bounded: answer with what the probes have said by now.
                own.Forget(round);
            }
            catch (OperationCanceledException)
            {
                own.Forget(round);
                throw;
            }
        }
        // Not published: what the probes said is the same for every reader; only this answer needs it assessed now.
        return Assess(_feed.Current, _time.GetUtcNow());
    }

    /// <summary>At most one forced round per <see cref="PeerProtocol.ForcedRoundSpacing"/>, whoever asks.</summary>
    private bool MayForceRound()
    {
        var now = _time.GetUtcNow();
        lock (_roundGate)
        {
            if (now - _lastForcedRound < PeerProtocol.ForcedRoundSpacing)
                return false;
            _lastForcedRound = now;
            return true;
        }
    }

    private EstateSnapshot Assess(EstateSnapshot? previous, DateTimeOffset now)
    {
        var observed = _datacenters.Select(d => d.Observe()).ToList();
        LoadBalancerView? view = null;
        if (_loadBalancer is not null)
        {
            var r = _loadBalancer.Read();
            // Members left out are said only of a view being trusted: once it is Down its reason says all.
            view = new LoadBalancerView(r.State, r.Since, r.Reason, r.Details?.Pools ?? [], r.Details?.ReadAt ?? DateTimeOffset.MinValue,
                r.State == ComponentState.Up ? r.Details?.Unread : null);
        }
        return EstateAssessor.Assess(_estate.Name, _estate.ConsoleDatacenter, observed, view, previous, now, _estate.LoadBalancer.HealthCheckLag, _peer?.Current);
    }

    private async Task<ProbeResult<LoadBalancerProbeDetails>> ProbeLoadBalancerAsync(CancellationToken cancellationToken)
    {
        var pools = await _witness!.ReadPoolsAsync(cancellationToken);
        IReadOnlyList<string>? unread = null;
        if (_witness is LoadBalancerMembersWitness members)
        {
            unread = members.Unread;
            ReportUnreadMembers(unread);
        }
        // The pool list (and the members left out) is the detail: a change in it is a change worth publishing.
        return new(ProbeOutcome.Ok, new LoadBalancerProbeDetails(pools, _time.GetUtcNow(), unread is { Count: > 0 } ? unread : null));
    }

    /// <summary>
    /// A member of the load balancer left out of a read that others answered is not an outage of the witness, but the
    /// operator must hear of it: logged once when the set of unread members changes, and once when all answer again.
    /// </summary>
    private void ReportUnreadMembers(IReadOnlyList<string> unread)
    {
        var now = string.Join("; ", unread);
        if (string.Equals(now, _unreadMembers, StringComparison.Ordinal))
            return;
        if (unread.Count > 0)
            _logger.LogWarning("Load balancer: {Count} of its members could not be read; the view is the others': {Members}", unread.Count, now);
        else if (_unreadMembers is { Length: > 0 })
            _logger.LogInformation("Load balancer: every member read again");
        _unreadMembers = now;
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var dc in _datacenters)
            dc.Retire();
        // The estate clients' handlers belong to the factory; the witness's own client is the engine's.
        _witnessClient?.Dispose();
        // _wake (like the runner's bound) is not disposed: probes still in flight when the engine stops may wake the loop
        // after this point (that threw ObjectDisposedException at shutdown). A SemaphoreSlim holds no OS
        // handle unless its AvailableWaitHandle is used, which these never are.
    }
}
