using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Gateways;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// What a <see cref="DatacenterMonitor"/> is given by whoever runs it: the clock, the probe settings, a logger, the
/// probes it uses, and two callbacks that are the only way back: <see cref="Register"/> for the gateway instances the
/// ANM topology names as they appear, <see cref="Changed"/> when something visible changed that no probe result says
/// (an instance appeared or left, the topology changed shape).
/// </summary>
internal sealed record DatacenterMonitorContext(
    TimeProvider Time,
    ProbeOptions Probes,
    ILogger Logger,
    HttpClient AnmHttp,
    GatewayHealthProbe Health,
    CassandraProbe Cassandra,
    Action<ProbeRegistration> Register,
    Action Changed);

/// <summary>
/// The probes of one datacenter: its Admin Node Manager(s), whose topology says which gateway instances
/// exist, the instances themselves, and the Cassandra nodes from configuration. It knows nothing of the engine that
/// runs it: it hands back <see cref="ProbeRegistration"/>s and reports through its <see cref="DatacenterMonitorContext"/>.
/// </summary>
internal sealed class DatacenterMonitor
{
    private readonly DatacenterMonitorContext _context;
    private readonly DatacenterOptions _options;
    private readonly List<(ComponentMonitor<AnmProbeDetails> Monitor, AdminNodeManagerClient Client)> _anms = [];
    private readonly List<(ComponentMonitor<CassandraProbeDetails> Monitor, CassandraProbeRequest Request, CassandraConnection Connection)> _cassandra = [];
    private readonly Dictionary<string, ComponentMonitor<GatewayProbeDetails>> _instances = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly List<(DateTimeOffset After, TaskCompletionSource Done)> _rounds = [];
    private AnmTopology? _topology;
    // Service id -> the host its instance answers on, from _topology: one lookup per probe, not a scan.
    private Dictionary<string, string?> _hostOf = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _lastNudge;

    public DatacenterMonitor(DatacenterMonitorContext context, DatacenterOptions options)
    {
        _context = context;
        _options = options;
        var now = context.Time.GetUtcNow();
        var urls = options.AdminNodeManager.Urls;
        for (var i = 0; i < urls.Count; i++)
        {
            var id = AdminNodeManagerConnections.ComponentId(urls.Count, i);
            var client = new AdminNodeManagerClient(context.AnmHttp, urls[i], options.AdminNodeManager.Username, options.AdminNodeManager.Password);
            var name = $"Admin Node Manager ({new Uri(urls[i]).Authority})";
            _anms.Add((new ComponentMonitor<AnmProbeDetails>(options.Id, id, name, context.Probes, now), client));
        }
        CassandraTlsMaterial? tls = null;
        if (options.Cassandra.Tls.Enabled)
        {
            // The validator has loaded these files at start with the same code; failing here means they changed since.
            var errors = new List<string>();
            tls = CassandraTlsFiles.TryLoad(options.Cassandra.Tls, $"Estate:Datacenters ({options.Id}):Cassandra:Tls", errors)
                ?? throw new InvalidOperationException(string.Join(" ", errors));
        }
        for (var i = 0; i < options.Cassandra.ContactPoints.Count; i++)
        {
            HostPort.TryParse(options.Cassandra.ContactPoints[i], 9042, out var endpoint);
            var monitor = new ComponentMonitor<CassandraProbeDetails>(options.Id, $"cassandra-{i + 1}", $"cassandra-{i + 1}", context.Probes, now);
            _cassandra.Add((monitor, new CassandraProbeRequest(endpoint, options.Cassandra.Username, options.Cassandra.Password, tls), new CassandraConnection()));
        }
    }

    /// <summary>
    /// The probes of the components configuration names (ANMs, Cassandra nodes), for the scheduler to start. Gateway
    /// instances follow through <see cref="DatacenterMonitorContext.Register"/> once an ANM's topology names them.
    /// </summary>
    public IReadOnlyList<ProbeRegistration> Start()
    {
        var registrations = new List<ProbeRegistration>();
        foreach (var (monitor, client) in _anms)
            registrations.Add(new ProbeRegistration<AnmProbeDetails>(monitor, ct => ProbeAnmAsync(client, ct)) { StartedFailing = NudgeOthers, Recorded = OnRecorded });
        foreach (var (monitor, request, connection) in _cassandra)
            registrations.Add(new ProbeRegistration<CassandraProbeDetails>(monitor, ct => ProbeCassandraAsync(request, connection, ct)) { StartedFailing = NudgeOthers, Recorded = OnRecorded });
        return registrations;
    }

    /// <summary>
    /// One component just failed a probe: probe the rest of this datacenter now. When the whole DC is being cut
    /// off, every component then shows failing before the first one is confirmed Down, and the assessment names
    /// the datacenter (or the link) instead of a string of component outages. At most once per interval.
    /// </summary>
    private void NudgeOthers(ComponentMonitor source)
    {
        var now = _context.Time.GetUtcNow();
        List<ComponentMonitor> others;
        lock (_gate)
        {
            if (now - _lastNudge < _context.Probes.Interval)
                return;
            _lastNudge = now;
            others = AllMonitors().Where(m => m != source).ToList();
        }
        foreach (var monitor in others)
            monitor.Nudge();
    }

    public string Id => _options.Id;

    /// <summary>
    /// Completes when every component of this datacenter has a result from a probe that started at or after
    /// <paramref name="after"/>. If some have none and <paramref name="force"/> says so, they are probed now (a probe in
    /// flight that started earlier is followed by another at once); else the regular probes bring them. The caller bounds
    /// the wait.
    /// </summary>
    public Task ProbedSinceAsync(DateTimeOffset after, Func<bool> force)
    {
        List<ComponentMonitor> stale;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            stale = AllMonitors().Where(m => !(m.LastProbeStarted >= after)).ToList();
            if (stale.Count == 0)
                return Task.CompletedTask;
            _rounds.Add((after, done));
        }
        if (force())
        {
            foreach (var monitor in stale)
                monitor.Refresh(after);
        }
        return done.Task;
    }

    /// <summary>A result was recorded: complete the rounds every component has now answered for (or failed).</summary>
    private void OnRecorded(ComponentMonitor source)
    {
        List<TaskCompletionSource>? done = null;
        lock (_gate)
        {
            if (_rounds.Count == 0)
                return;
            var oldest = AllMonitors().Min(m => m.LastProbeStarted ?? DateTimeOffset.MinValue);
            for (var i = _rounds.Count - 1; i >= 0; i--)
            {
                if (oldest >= _rounds[i].After)
                {
                    (done ??= []).Add(_rounds[i].Done);
                    _rounds.RemoveAt(i);
                }
            }
        }
        foreach (var round in done ?? [])
            round.TrySetResult();
    }

    /// <summary>Forgets a round whose caller stopped waiting.</summary>
    public void Forget(Task round)
    {
        lock (_gate)
            _rounds.RemoveAll(r => r.Done.Task == round);
    }

    public void Retire()
    {
        lock (_gate)
        {
            foreach (var monitor in AllMonitors())
                monitor.Stop.Cancel();
        }
        foreach (var (_, _, connection) in _cassandra)
            connection.Dispose();
    }

    // Called under _gate.
    private IEnumerable<ComponentMonitor> AllMonitors() =>
        _instances.Values.Concat<ComponentMonitor>(_anms.Select(a => a.Monitor)).Concat(_cassandra.Select(c => c.Monitor));

    private async Task<ProbeResult<AnmProbeDetails>> ProbeAnmAsync(AdminNodeManagerClient client, CancellationToken cancellationToken)
    {
        var topology = await client.GetTopologyAsync(cancellationToken);
        Reconcile(topology);
        return new(ProbeOutcome.Ok, new AnmProbeDetails(topology.ProductVersion));
    }

    /// <summary>Starts loops for instances that appeared in the topology and retires those that left it.</summary>
    private void Reconcile(AnmTopology topology)
    {
        var changed = false;
        var added = new List<ProbeRegistration>();
        lock (_gate)
        {
            // The ANM client hands back the same object when the topology did not change: nothing to do.
            if (ReferenceEquals(topology, _topology))
                return;
            var wanted = topology.Groups.SelectMany(g => g.Gateways.Select(s => (Group: g, Service: s))).ToList();
            foreach (var (group, service) in wanted)
            {
                if (_instances.TryGetValue(service.Id, out var existing))
                {
                    existing.Name = service.Name;
                    continue;
                }
                var monitor = new ComponentMonitor<GatewayProbeDetails>(_options.Id, service.Id, service.Name, _context.Probes, _context.Time.GetUtcNow());
                _instances[service.Id] = monitor;
                var groupId = group.Id;
                var serviceId = service.Id;
                added.Add(new ProbeRegistration<GatewayProbeDetails>(monitor, ct => ProbeInstanceAsync(groupId, serviceId, ct)) { StartedFailing = NudgeOthers, Recorded = OnRecorded });
                changed = true;
            }
            foreach (var gone in _instances.Keys.Except(wanted.Select(w => w.Service.Id), StringComparer.OrdinalIgnoreCase).ToList())
            {
                _instances[gone].Stop.Cancel();
                _instances.Remove(gone);
                changed = true;
            }
            changed |= _topology is null || !SameShape(_topology, topology);
            _topology = topology;
            var hosts = topology.Hosts.GroupBy(h => h.Id, StringComparer.Ordinal).ToDictionary(h => h.Key, h => h.First().Name, StringComparer.Ordinal);
            _hostOf = wanted
                .GroupBy(w => w.Service.Id, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(w => w.Key, w => w.First().Service.HostId is { } hostId ? hosts.GetValueOrDefault(hostId) : null, StringComparer.OrdinalIgnoreCase);
        }
        // Outside the lock: the callbacks are the runner's code, not ours.
        foreach (var registration in added)
            _context.Register(registration);
        if (changed)
            _context.Changed();
    }

    private static bool SameShape(AnmTopology a, AnmTopology b) =>
        a.Groups.Count == b.Groups.Count
        && a.Groups.Zip(b.Groups).All(p => p.First.Id == p.Second.Id && p.First.Name == p.Second.Name
            && p.First.Services.Select(s => (s.Id, s.Name, s.HostId)).SequenceEqual(p.Second.Services.Select(s => (s.Id, s.Name, s.HostId))))
        && a.Hosts.SequenceEqual(b.Hosts);

    private async Task<ProbeResult<GatewayProbeDetails>> ProbeInstanceAsync(string groupId, string serviceId, CancellationToken cancellationToken)
    {
        string? host;
        lock (_gate)
            host = _hostOf.GetValueOrDefault(serviceId);
        if (string.IsNullOrWhiteSpace(host))
            return new(ProbeOutcome.Failed("its host is not in the ANM topology"), new GatewayProbeDetails(groupId, "", null));

        var url = new UriBuilder(_options.Gateways.TrafficScheme, host, _options.Gateways.TrafficPort, "/healthcheck").Uri;
        var outcome = await _context.Health.ProbeAsync(url, cancellationToken);
        if (outcome.Success)
            return new(outcome, new GatewayProbeDetails(groupId, host, null));

        // The healthcheck failed: ask the ANM whether the process runs, so the reason says "stopped" when it is.
        var anm = FirstAnswering();
        if (anm is null)
            return new(outcome, new GatewayProbeDetails(groupId, host, null));
        try
        {
            var (status, _) = await anm.GetStatusAsync(groupId, serviceId, cancellationToken);
            var management = status switch { ManagementStatus.Running => "Running", ManagementStatus.NotRunning => "Stopped", _ => null };
            var reason = status == ManagementStatus.NotRunning ? StoppedReason(outcome.Reason) : outcome.Reason!;
            return new(ProbeOutcome.Failed(reason), new GatewayProbeDetails(groupId, host, management));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _context.Logger.LogDebug(ex, "ANM status of {Instance} failed", serviceId);
            return new(outcome, new GatewayProbeDetails(groupId, host, null));
        }
    }

    /// <summary>
    /// The reason of an instance whose health check failed while the ANM reports its process not running:
    /// "stopped according to the ANM; health check: connection refused".
    /// </summary>
    internal static string StoppedReason(string? healthCheck) =>
        string.IsNullOrWhiteSpace(healthCheck) ? "stopped according to the ANM" : $"stopped according to the ANM; health check: {healthCheck.Trim().TrimEnd('.')}";

    private AdminNodeManagerClient? FirstAnswering() =>
        _anms.FirstOrDefault(a => a.Monitor.Read().State == ComponentState.Up).Client;

    private async Task<ProbeResult<CassandraProbeDetails>> ProbeCassandraAsync(CassandraProbeRequest request, CassandraConnection connection, CancellationToken cancellationToken)
    {
        // The engine needs the node's own row only (its peers, the whole ring, would make every probe grow with the
        // ring), on a connection kept from the last probe (one round trip instead of a connect and a handshake).
        var result = await _context.Cassandra.ProbeLocalAsync(request, connection, _context.Probes.Timeout, cancellationToken);
        if (!result.Success)
            return ProbeResult<CassandraProbeDetails>.Failed(result.Failure ?? "CQL probe failed");
        var local = result.Local;
        return new(ProbeOutcome.Ok, local is null ? null : new CassandraProbeDetails(local.DataCenter, local.Rack, local.ReleaseVersion, local.SchemaVersion, local.HostId));
    }

    /// <summary>What the probes see now, before the estate-wide assessment.</summary>
    public DatacenterSnapshot Observe()
    {
        var anms = _anms.Select(a =>
        {
            var r = a.Monitor.Read();
            return new ComponentStatus(_options.Id, a.Monitor.Id, a.Monitor.Name, ComponentKind.AdminNodeManager, r.State, r.Since, r.Reason)
            {
                Failing = r.Failing, FailingSince = r.FailingSince, LastSuccessStarted = r.LastSuccessStarted,
            };
        }).ToList();

        AnmTopology? topology;
        Dictionary<string, ComponentMonitor<GatewayProbeDetails>> instances;
        Dictionary<string, string?> hostOf;
        lock (_gate)
        {
            topology = _topology;
            instances = new Dictionary<string, ComponentMonitor<GatewayProbeDetails>>(_instances, StringComparer.OrdinalIgnoreCase);
            hostOf = _hostOf;
        }
        var groups = new List<GatewayGroupStatus>();
        foreach (var group in topology?.Groups ?? [])
        {
            var members = new List<GatewayInstanceStatus>();
            foreach (var service in group.Gateways)
            {
                if (!instances.TryGetValue(service.Id, out var monitor))
                    continue;
                var r = monitor.Read();
                members.Add(new GatewayInstanceStatus(_options.Id, service.Id, service.Name, r.State, r.Since, r.Reason, group.Id,
                    r.Details?.Host ?? hostOf.GetValueOrDefault(service.Id) ?? "", r.State == ComponentState.Up ? "Running" : r.Details?.ManagementStatus)
                {
                    Failing = r.Failing, FailingSince = r.FailingSince, LastSuccessStarted = r.LastSuccessStarted,
                });
            }
            if (members.Count > 0)
                groups.Add(new GatewayGroupStatus(group.Id, group.Name, group.Zone, members));
        }

        var nodes = _cassandra.Select(c =>
        {
            var r = c.Monitor.Read();
            var local = r.Details;
            return new CassandraNodeStatus(_options.Id, c.Monitor.Id, c.Monitor.Name, r.State, r.Since, r.Reason, c.Request.Endpoint.ToString(),
                local?.DataCenter, local?.Rack, local?.ReleaseVersion, local?.SchemaVersion, local?.HostId, null)
            {
                Failing = r.Failing, FailingSince = r.FailingSince, LastSuccessStarted = r.LastSuccessStarted,
            };
        }).ToList();

        var name = string.IsNullOrWhiteSpace(_options.Name) ? _options.Id : _options.Name;
        return new DatacenterSnapshot(_options.Id, name, DatacenterState.Unknown, default, null, anms, groups, nodes);
    }
}
