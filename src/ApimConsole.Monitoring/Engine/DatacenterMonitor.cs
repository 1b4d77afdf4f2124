using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Gateways;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// The probes of one datacenter: its Admin Node Manager(s), whose topology says which gateway instances
/// exist, the instances themselves, and the Cassandra nodes from configuration.
/// </summary>
internal sealed class DatacenterMonitor
{
    private readonly StatusEngine _engine;
    private readonly DatacenterOptions _options;
    private readonly GatewayHealthProbe _health;
    private readonly List<(ComponentMonitor Monitor, AdminNodeManagerClient Client)> _anms = [];
    private readonly List<(ComponentMonitor Monitor, CassandraProbeRequest Request, CassandraConnection Connection)> _cassandra = [];
    private readonly Dictionary<string, ComponentMonitor> _instances = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private AnmTopology? _topology;
    // Service id -> the host its instance answers on, from _topology: one lookup per probe, not a scan.
    private Dictionary<string, string?> _hostOf = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _lastNudge;

    public DatacenterMonitor(StatusEngine engine, DatacenterOptions options, HttpClient anmHttp, GatewayHealthProbe health, DateTimeOffset now)
    {
        _engine = engine;
        _options = options;
        _health = health;
        var urls = options.AdminNodeManager.Urls;
        for (var i = 0; i < urls.Count; i++)
        {
            var id = AdminNodeManagerConnections.ComponentId(urls.Count, i);
            var client = new AdminNodeManagerClient(anmHttp, urls[i], options.AdminNodeManager.Username, options.AdminNodeManager.Password);
            var name = $"Admin Node Manager ({new Uri(urls[i]).Authority})";
            _anms.Add((new ComponentMonitor(options.Id, id, name, engine.Probes, now), client));
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
            var monitor = new ComponentMonitor(options.Id, $"cassandra-{i + 1}", $"cassandra-{i + 1}", engine.Probes, now);
            _cassandra.Add((monitor, new CassandraProbeRequest(endpoint, options.Cassandra.Username, options.Cassandra.Password, tls), new CassandraConnection()));
        }
    }

    public void Start()
    {
        foreach (var (monitor, client) in _anms)
            _engine.Schedule(monitor, ct => ProbeAnmAsync(client, ct), NudgeOthers);
        foreach (var (monitor, request, connection) in _cassandra)
            _engine.Schedule(monitor, ct => ProbeCassandraAsync(request, connection, ct), NudgeOthers);
    }

    /// <summary>
    /// One component just failed a probe: probe the rest of this datacenter now. When the whole DC is being cut
    /// off, every component then shows failing before the first one is confirmed Down, and the assessment names
    /// the datacenter (or the link) instead of a string of component outages. At most once per interval.
    /// </summary>
    private void NudgeOthers(ComponentMonitor source)
    {
        var now = _engine.Time.GetUtcNow();
        List<ComponentMonitor> others;
        lock (_gate)
        {
            if (now - _lastNudge < _engine.Probes.Interval)
                return;
            _lastNudge = now;
            others = _instances.Values.Concat(_anms.Select(a => a.Monitor)).Concat(_cassandra.Select(c => c.Monitor))
                .Where(m => m != source).ToList();
        }
        foreach (var monitor in others)
            monitor.Nudge();
    }

    public void Retire()
    {
        lock (_gate)
        {
            foreach (var monitor in _instances.Values.Concat(_anms.Select(a => a.Monitor)).Concat(_cassandra.Select(c => c.Monitor)))
                monitor.Stop.Cancel();
        }
        foreach (var (_, _, connection) in _cassandra)
            connection.Dispose();
    }

    private async Task<(ProbeOutcome, object?)> ProbeAnmAsync(AdminNodeManagerClient client, CancellationToken cancellationToken)
    {
        var topology = await client.GetTopologyAsync(cancellationToken);
        Reconcile(topology);
        return (ProbeOutcome.Ok, new AnmDetails(topology.ProductVersion));
    }

    /// <summary>Starts loops for instances that appeared in the topology and retires those that left it.</summary>
    private void Reconcile(AnmTopology topology)
    {
        var changed = false;
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
                var monitor = new ComponentMonitor(_options.Id, service.Id, service.Name, _engine.Probes, _engine.Time.GetUtcNow());
                _instances[service.Id] = monitor;
                var groupId = group.Id;
                var serviceId = service.Id;
                _engine.Schedule(monitor, ct => ProbeInstanceAsync(groupId, serviceId, ct), NudgeOthers);
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
        if (changed)
            _engine.Changed();
    }

    private static bool SameShape(AnmTopology a, AnmTopology b) =>
        a.Groups.Count == b.Groups.Count
        && a.Groups.Zip(b.Groups).All(p => p.First.Id == p.Second.Id && p.First.Name == p.Second.Name
            && p.First.Services.Select(s => (s.Id, s.Name, s.HostId)).SequenceEqual(p.Second.Services.Select(s => (s.Id, s.Name, s.HostId))))
        && a.Hosts.SequenceEqual(b.Hosts);

    private async Task<(ProbeOutcome, object?)> ProbeInstanceAsync(string groupId, string serviceId, CancellationToken cancellationToken)
    {
        string? host;
        lock (_gate)
            host = _hostOf.GetValueOrDefault(serviceId);
        if (string.IsNullOrWhiteSpace(host))
            return (ProbeOutcome.Failed("its host is not in the ANM topology"), new InstanceDetails(groupId, "", null));

        var url = new UriBuilder(_options.Gateways.TrafficScheme, host, _options.Gateways.TrafficPort, "/healthcheck").Uri;
        var outcome = await _health.ProbeAsync(url, cancellationToken);
        if (outcome.Success)
            return (outcome, new InstanceDetails(groupId, host, null));

        // The healthcheck failed: ask the ANM whether the process runs, so the reason says "stopped" when it is.
        var anm = FirstAnswering();
        if (anm is null)
            return (outcome, new InstanceDetails(groupId, host, null));
        try
        {
            var (status, detail) = await anm.GetStatusAsync(groupId, serviceId, cancellationToken);
            var management = status switch { ManagementStatus.Running => "Running", ManagementStatus.NotRunning => "Stopped", _ => null };
            var reason = status == ManagementStatus.NotRunning ? $"stopped ({detail}); {outcome.Reason}" : outcome.Reason!;
            return (ProbeOutcome.Failed(reason), new InstanceDetails(groupId, host, management));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _engine.Logger.LogDebug(ex, "ANM status of {Instance} failed", serviceId);
            return (outcome, new InstanceDetails(groupId, host, null));
        }
    }

    private AdminNodeManagerClient? FirstAnswering() =>
        _anms.FirstOrDefault(a => a.Monitor.Read().State == ComponentState.Up).Client;

    private async Task<(ProbeOutcome, object?)> ProbeCassandraAsync(CassandraProbeRequest request, CassandraConnection connection, CancellationToken cancellationToken)
    {
        // The engine needs the node's own row only (its peers, the whole ring, would make every probe grow with the
        // ring), on a connection kept from the last probe (one round trip instead of a connect and a handshake).
        var result = await _engine.CassandraProbe.ProbeLocalAsync(request, connection, _engine.Probes.Timeout, cancellationToken);
        return result.Success
            ? (ProbeOutcome.Ok, result.Local)
            : (ProbeOutcome.Failed(result.Failure ?? "CQL probe failed"), null);
    }

    /// <summary>What the probes see now, before the estate-wide assessment.</summary>
    public DatacenterSnapshot Observe()
    {
        var anms = _anms.Select(a =>
        {
            var (state, since, reason, _, failing) = a.Monitor.Read();
            return new ComponentStatus(_options.Id, a.Monitor.Id, a.Monitor.Name, ComponentKind.AdminNodeManager, state, since, reason) { Failing = failing };
        }).ToList();

        AnmTopology? topology;
        Dictionary<string, ComponentMonitor> instances;
        Dictionary<string, string?> hostOf;
        lock (_gate)
        {
            topology = _topology;
            instances = new Dictionary<string, ComponentMonitor>(_instances, StringComparer.OrdinalIgnoreCase);
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
                var (state, since, reason, details, failing) = monitor.Read();
                var instance = details as InstanceDetails;
                members.Add(new GatewayInstanceStatus(_options.Id, service.Id, service.Name, state, since, reason, group.Id,
                    instance?.Host ?? hostOf.GetValueOrDefault(service.Id) ?? "", state == ComponentState.Up ? "Running" : instance?.ManagementStatus)
                { Failing = failing });
            }
            if (members.Count > 0)
                groups.Add(new GatewayGroupStatus(group.Id, group.Name, group.Zone, members));
        }

        var nodes = _cassandra.Select(c =>
        {
            var (state, since, reason, details, failing) = c.Monitor.Read();
            var local = details as CassandraLocalInfo;
            return new CassandraNodeStatus(_options.Id, c.Monitor.Id, c.Monitor.Name, state, since, reason, c.Request.Endpoint.ToString(),
                local?.DataCenter, local?.Rack, local?.ReleaseVersion, local?.SchemaVersion, local?.HostId, null) { Failing = failing };
        }).ToList();

        var name = string.IsNullOrWhiteSpace(_options.Name) ? _options.Id : _options.Name;
        return new DatacenterSnapshot(_options.Id, name, DatacenterState.Unknown, default, null, anms, groups, nodes);
    }

    private sealed record AnmDetails(string? ProductVersion);
    private sealed record InstanceDetails(string GroupId, string Host, string? ManagementStatus);
}
