using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Lab.AdminNodeManager;
using ApimConsole.Lab.Cassandra;
using ApimConsole.Lab.Faults;
using ApimConsole.Lab.Gateways;
using ApimConsole.Lab.LoadBalancer;
using ApimConsole.Lab.Traffic;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab;

/// <summary>
/// A simulated two-datacenter estate on loopback, reached only over the network. Per datacenter: an Admin Node
/// Manager on 127.0.0.1, an internal-zone group and a DMZ group of gateway instances (each on its own 127.0.2.x
/// address, all on one shared traffic port) and Cassandra nodes (each on its own 127.0.1.x address, one shared port).
/// A YARP load balancer in front of the DMZ instances of both datacenters, a traffic generator, and a fault registry.
/// </summary>
public sealed class LabEstate : IAsyncDisposable
{
    private readonly LabOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<LabDatacenter> _datacenters;
    private readonly List<AdminNodeManagerServer> _anms = [];
    private readonly List<(string DatacenterId, string ComponentId, CqlNodeServer Server)> _cassandra = [];
    private readonly HashSet<string> _cassandraCutOff = new(StringComparer.Ordinal);
    private GatewayTrafficServer? _gateways;
    private GlobalLoadBalancer? _loadBalancer;
    private HaproxyLoadBalancer? _haproxy;
    private TrafficGenerator? _traffic;

    /// <summary>Requests the traffic generator has had answered since the lab started (0 without traffic).</summary>
    public long TrafficSent => _traffic?.Sent ?? 0;
    private readonly List<TraceFileWriter> _traceFiles = [];
    private readonly List<TraceLogServer> _logServers = [];
    private bool _ownsTraceRoot;
    private int _cassandraPort;
    private CqlNodeTls? _cassandraTls;
    private LabCassandraTlsEndpoint? _cassandraTlsEndpoint;
    private string? _tlsFolder;
    private int _disposed;

    private LabEstate(LabOptions options, List<LabDatacenter> datacenters, LabFaults faults, TimeProvider time, ILogger logger)
    {
        _options = options;
        _datacenters = datacenters;
        Faults = faults;
        Time = time;
        _logger = logger;
        Endpoints = null!;
    }

    /// <summary>The lab's fault registry: what is in force and the log of every change.</summary>
    public LabFaults Faults { get; }

    /// <summary>When each component was probed; null unless <see cref="LabOptions.RecordProbes"/> is set.</summary>
    public LabProbeLog? ProbeLog { get; private set; }

    /// <summary>Every configuration push the lab's ANMs received, append-only.</summary>
    public DeploymentLog Deployments { get; } = new();

    public LabEndpoints Endpoints { get; private set; }

    public TimeProvider Time { get; }

    /// <summary>The root of the trace files; each datacenter's tree is <see cref="TraceDirectory"/>.</summary>
    public string TraceRoot { get; private set; } = "";

    /// <summary>One datacenter's trace folders: <c>groups/&lt;group&gt;/&lt;instance&gt;/trace/&lt;server&gt;_&lt;yyyyMMddHHmmss&gt;.trc</c>.</summary>
    public string TraceDirectory(string datacenterId) =>
        _datacenters.Any(d => d.Id == datacenterId)
            ? Path.Combine(TraceRoot, datacenterId)
            : throw new KeyNotFoundException($"No datacenter '{datacenterId}' in the lab.");

    /// <summary>Pushes every instance's buffered trace lines to its file now (they also go on a timer).</summary>
    public void FlushTraceFiles()
    {
        foreach (var writer in _traceFiles)
            writer.Flush();
    }

    /// <summary>Requests the traffic generator completed (any status) and failed to complete.</summary>
    public (long Sent, long Failed) TrafficCounts => _traffic is null ? (0, 0) : (_traffic.Sent, _traffic.Failed);

    public static async Task<LabEstate> StartAsync(LabOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid lab options: " + string.Join(" ", errors), nameof(options));

        var datacenters = BuildDatacenters(options, timeProvider);
        var faults = new LabFaults(
            options.ConsoleDatacenter,
            // With an instance of the load balancer in each datacenter, it is a component a fault can target too.
            datacenters.ToDictionary(d => d.Id, d => options.LoadBalancerInEachDatacenter
                ? (IReadOnlySet<string>)d.ComponentIds.Append(GlobalLoadBalancer.InstanceComponentId).ToHashSet(StringComparer.Ordinal) : d.ComponentIds, StringComparer.Ordinal),
            options.SlowDelay,
            timeProvider,
            datacenters.Select(d => d.Id).ToList());
        var estate = new LabEstate(options, datacenters, faults, timeProvider, loggerFactory.CreateLogger("ApimConsole.Lab"));
        try
        {
            await estate.StartServersAsync(loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await estate.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return estate;
    }

    private static List<LabDatacenter> BuildDatacenters(LabOptions options, TimeProvider time)
    {
        var result = new List<LabDatacenter>();
        var dcs = options.EffectiveDatacenters;
        var perDc = options.InstancesPerGroup * 2;
        for (var d = 0; d < dcs.Count; d++)
        {
            var dc = dcs[d];
            GatewayGroup[] groups = [new("group-2", "Internal Zone", "internal"), new("group-3", "DMZ", "dmz")];
            var hosts = new List<LabHost> { new("host-1", "127.0.0.1") };
            var instances = new List<GatewayInstance>();
            var n = 0;
            foreach (var group in groups)
            {
                for (var k = 1; k <= options.InstancesPerGroup; k++)
                {
                    n++;
                    var address = IPAddress.Parse($"127.0.2.{d * perDc + n}");
                    var host = new LabHost($"host-{n + 1}", address.ToString());
                    hosts.Add(host);
                    instances.Add(new GatewayInstance(dc.Id, $"instance-{n}", $"{dc.Name} {group.Name} {k}", group, address, host.Id,
                        InitialArchiveId(group.Id), options.TransactionsPerInstance, time.GetUtcNow(), options.TraceLinesPerInstance));
                }
            }
            result.Add(new LabDatacenter
            {
                Id = dc.Id,
                Name = dc.Name,
                CassandraDataCenter = dc.Id.ToUpperInvariant(),
                Hosts = hosts,
                Groups = groups,
                Instances = instances,
                CassandraAddresses = Enumerable.Range(1, options.CassandraNodesPerDatacenter)
                    .Select(k => IPAddress.Parse($"127.0.1.{d * options.CassandraNodesPerDatacenter + k}")).ToList(),
            });
        }
        return result;
    }

    /// <summary>The configuration every instance of a group starts with: the same in both datacenters.</summary>
    private static string InitialArchiveId(string groupId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("lab-initial-" + groupId)))[..32];

    private async Task StartServersAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var stopping = _stopping.Token;
        ProbeLog = _options.RecordProbes ? new LabProbeLog(Time) : null;
        StartTraceFiles(loggerFactory);
        var allInstances = _datacenters.SelectMany(d => d.Instances).ToList();
        _gateways = await GatewayTrafficServer.StartAsync(allInstances, _options.EffectiveApis, Faults, Time, loggerFactory, stopping, cancellationToken, ProbeLog).ConfigureAwait(false);

        foreach (var dc in _datacenters)
        {
            var anm = new AdminNodeManagerServer(dc, _options.AnmUsername, _options.AnmPassword, Faults, Deployments, Time,
                loggerFactory.CreateLogger("ApimConsole.Lab.AdminNodeManager"), stopping)
            {
                PushDelay = _options.PushDelay,
                ProbeLog = ProbeLog,
            };
            _anms.Add(anm);
            await anm.StartAsync(loggerFactory, cancellationToken).ConfigureAwait(false);
        }

        foreach (var dc in _datacenters)
        {
            var logs = new TraceLogServer(dc.Id, TraceDirectory(dc.Id), Faults, Time, stopping);
            _logServers.Add(logs);
            await logs.StartAsync(loggerFactory, cancellationToken).ConfigureAwait(false);
        }

        await StartCassandraAsync(loggerFactory, cancellationToken).ConfigureAwait(false);
        Faults.Changed += OnFaultsChanged;

        var members = _datacenters.SelectMany(d => d.DmzInstances.Select(i =>
            new LoadBalancerMember(d.Id, i.Id, new Uri($"http://{i.Address}:{_gateways.Port}/")))).ToList();
        if (_options.UsesHaproxy)
        {
            _haproxy = await HaproxyLoadBalancer.StartAsync(_options, members, _datacenters.Select(d => d.Id).ToList(),
                loggerFactory.CreateLogger("ApimConsole.Lab.LoadBalancer"), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _loadBalancer = new GlobalLoadBalancer(members, _datacenters.Select(d => d.Id).ToList(), Time, loggerFactory.CreateLogger("ApimConsole.Lab.LoadBalancer"));
            await _loadBalancer.StartAsync(_options, loggerFactory, cancellationToken, Faults, _stopping.Token).ConfigureAwait(false);
        }

        Endpoints = BuildEndpoints();

        if (_options.TrafficRatePerSecond > 0)
        {
            _traffic = new TrafficGenerator(new Uri(Endpoints.LoadBalancerUrl), _options.EffectiveApis, _options.TrafficRatePerSecond,
                _options.TrafficConcurrency, Time, loggerFactory.CreateLogger("ApimConsole.Lab.Traffic"));
            _traffic.Start();
        }
        _logger.LogInformation("Lab estate started: ANMs {Anms}, gateway traffic port {Port}, load balancer {LoadBalancer}",
            string.Join(", ", Endpoints.Datacenters.Select(d => d.AnmUrl)), _gateways.Port, Endpoints.LoadBalancerUrl);
    }

    private void StartTraceFiles(ILoggerFactory loggerFactory)
    {
        _ownsTraceRoot = string.IsNullOrWhiteSpace(_options.TraceDirectory);
        TraceRoot = _ownsTraceRoot
            ? Directory.CreateTempSubdirectory("apim-lab-trace-").FullName
            : Path.GetFullPath(_options.TraceDirectory!);
        if (!_options.WriteTraceFiles)
        {
            // The log servers still serve each datacenter's (empty) tree.
            foreach (var dc in _datacenters)
                Directory.CreateDirectory(Path.Combine(TraceRoot, dc.Id, "groups"));
            return;
        }
        var logger = loggerFactory.CreateLogger("ApimConsole.Lab.Gateways");
        foreach (var dc in _datacenters)
        {
            foreach (var instance in dc.Instances)
            {
                var folder = Path.Combine(TraceRoot, dc.Id, "groups", instance.Group.Id, instance.Id, "trace");
                var writer = new TraceFileWriter(folder, instance.Name, _options.TraceRollBytes, _options.TraceFilesPerInstance, _options.TraceFlushInterval, Time, logger);
                _traceFiles.Add(writer);
                instance.AttachTraceFile(writer);
            }
        }
    }

    private async Task StartCassandraAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var schemaVersion = Guid.NewGuid();
        var identities = new List<CqlNodeIdentity>();
        for (var attempt = 1; ; attempt++)
        {
            _cassandraPort = LabHosting.CandidatePort();
            identities.Clear();
            foreach (var dc in _datacenters)
            {
                for (var k = 0; k < dc.CassandraAddresses.Count; k++)
                {
                    identities.Add(new CqlNodeIdentity(dc.Id, LabDatacenter.CassandraComponentId(k), dc.CassandraAddresses[k], _cassandraPort,
                        dc.CassandraDataCenter, "RAC1", "4.0.13", DeterministicGuid($"{dc.Id}/{k}"), schemaVersion, "APIM Lab"));
                }
            }
            if (!_options.StartCassandra)
                return;
            if (_options.CassandraTls.Enabled && _cassandraTls is null)
                PrepareCassandraTls(identities.Select(i => i.Address));
            try
            {
                foreach (var identity in identities)
                {
                    var self = identity;
                    var peers = identities.Where(i => i != self).ToList();
                    var probeKey = $"{identity.DatacenterId}/{identity.ComponentId}";
                    var probeLog = ProbeLog;
                    var server = new CqlNodeServer(
                        () => self,
                        () => peers,
                        Faults,
                        loggerFactory.CreateLogger("ApimConsole.Lab.Cassandra"),
                        _options.CassandraUsername,
                        _options.CassandraPassword)
                    {
                        Tls = _cassandraTls,
                        StatementObserved = probeLog is null
                            ? null
                            : statement =>
                            {
                                if (statement.Contains("system.local", StringComparison.OrdinalIgnoreCase))
                                    probeLog.Record(probeKey);
                            },
                    };
                    _cassandra.Add((identity.DatacenterId, identity.ComponentId, server));
                    await server.StartAsync(new IPEndPoint(identity.Address, identity.NativePort), cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            catch (NotImplementedException)
            {
                // Until the CQL server lands the nodes cannot listen; the rest of the lab still runs.
                _logger.LogWarning("The lab's CQL node server is not implemented yet: Cassandra nodes are not listening");
                foreach (var (_, _, server) in _cassandra)
                    await server.DisposeAsync().ConfigureAwait(false);
                _cassandra.Clear();
                return;
            }
            catch (Exception e) when (attempt < 20 && LabHosting.IsAddressInUse(e))
            {
                _logger.LogDebug("Cassandra port {Port} is taken on one of the node addresses; trying another", _cassandraPort);
                foreach (var (_, _, server) in _cassandra)
                    await server.DisposeAsync().ConfigureAwait(false);
                _cassandra.Clear();
            }
        }
    }

    /// <summary>The nodes' TLS: the given certificate, or a CA and certificates made now (see <see cref="LabCassandraTlsOptions"/>).</summary>
    private void PrepareCassandraTls(IEnumerable<IPAddress> nodeAddresses)
    {
        var tls = _options.CassandraTls;
        if (!string.IsNullOrWhiteSpace(tls.CertificateFile))
        {
            var password = string.IsNullOrEmpty(tls.CertificatePassword) ? null : tls.CertificatePassword;
            var certificate = File.ReadAllText(tls.CertificateFile).Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509CertificateLoader.LoadPkcs12(X509Certificate2.CreateFromPemFile(tls.CertificateFile).Export(X509ContentType.Pkcs12), null)
                : X509CertificateLoader.LoadPkcs12FromFile(tls.CertificateFile, password);
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(tls.CaFile!);
            _cassandraTls = new CqlNodeTls(certificate, tls.RequireClientCertificate, authorities);
            _cassandraTlsEndpoint = new LabCassandraTlsEndpoint(Path.GetFullPath(tls.CaFile!),
                string.IsNullOrWhiteSpace(tls.ClientCertificateFile) ? null : Path.GetFullPath(tls.ClientCertificateFile),
                tls.ClientCertificatePassword);
            return;
        }

        var now = Time.GetUtcNow();
        var authority = LabCertificates.CreateAuthority("APIM Lab Cassandra CA", now);
        var node = LabCertificates.Issue(authority, "cassandra.apim-lab", now, server: true, ["localhost"],
            [IPAddress.Loopback, .. nodeAddresses]);
        _tlsFolder = Directory.CreateTempSubdirectory("apim-lab-tls-").FullName;
        var caFile = Path.Combine(_tlsFolder, "ca.pem");
        File.WriteAllText(caFile, authority.ExportCertificatePem());
        string? clientFile = null;
        if (tls.RequireClientCertificate)
        {
            using var client = LabCertificates.Issue(authority, "apim-console", now, server: false);
            clientFile = Path.Combine(_tlsFolder, "console-client.pem");
            File.WriteAllText(clientFile, LabCertificates.ToPemWithKey(client));
        }
        var trusted = new X509Certificate2Collection { authority };
        _cassandraTls = new CqlNodeTls(node, tls.RequireClientCertificate, trusted);
        _cassandraTlsEndpoint = new LabCassandraTlsEndpoint(caFile, clientFile, null);
    }

    private static Guid DeterministicGuid(string seed)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("apim-lab-host/" + seed));
        return new Guid(hash.AsSpan(0, 16));
    }

    /// <summary>A node that goes down, or becomes unreachable from the console's side, drops its open connections.</summary>
    private void OnFaultsChanged()
    {
        foreach (var (dcId, componentId, server) in _cassandra)
        {
            var key = $"{dcId}/{componentId}";
            var cutOff = Faults.ModeFor(dcId, componentId, IPAddress.Loopback) != FaultMode.None;
            bool changed;
            lock (_cassandraCutOff)
            {
                changed = cutOff && _cassandraCutOff.Add(key);
                if (!cutOff)
                    _cassandraCutOff.Remove(key);
            }
            if (!changed)
                continue;
            try
            {
                server.DropConnections();
            }
            catch (Exception e) when (e is NotImplementedException or ObjectDisposedException or InvalidOperationException)
            {
                _logger.LogDebug(e, "Could not drop the connections of Cassandra node {Node}", key);
            }
        }
    }

    private LabEndpoints BuildEndpoints()
    {
        var lbUrl = _haproxy is not null ? _haproxy.TrafficUrl : $"http://127.0.0.1:{_loadBalancer!.Port}";
        return new LabEndpoints(
            _options.ConsoleDatacenter,
            _datacenters.Select((dc, d) => new LabDatacenterEndpoints(
                dc.Id,
                dc.Name,
                $"http://127.0.0.1:{_anms[d].Port}",
                _options.AnmUsername,
                _options.AnmPassword,
                _gateways!.Port,
                "http",
                dc.CassandraAddresses.Select(a => $"{a}:{_cassandraPort}").ToList(),
                string.IsNullOrEmpty(_options.CassandraUsername) ? null : _options.CassandraUsername,
                string.IsNullOrEmpty(_options.CassandraUsername) ? null : _options.CassandraPassword,
                dc.Instances.Select(i => new LabGatewayEndpoint(i.Id, i.Group.Id, i.Address.ToString(), $"http://{i.Address}:{_gateways.Port}")).ToList(),
                $"http://127.0.0.1:{_logServers[d].Port}/",
                _cassandraTlsEndpoint))
                .ToList(),
            lbUrl,
            _haproxy is not null ? _haproxy.StatsCsvUrl : lbUrl + GlobalLoadBalancer.PoolsPath);
    }

    /// <summary>Configuration pushes the ANMs have received and not yet carried out.</summary>
    public int PushesInFlight => _anms.Sum(a => a.PushesInFlight);

    /// <summary>
    /// The same for a console that sits in <paramref name="consoleDatacenter"/>: its connections leave from that
    /// datacenter's console address (<see cref="LabAddresses.ConsoleSource"/>), so the link fault cuts it off from
    /// the other datacenter. Two such consoles, one per datacenter, watch one lab.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ToConsoleConfiguration(string consoleDatacenter)
    {
        var index = Endpoints.Datacenters.ToList().FindIndex(d => string.Equals(d.Id, consoleDatacenter, StringComparison.Ordinal));
        if (index < 0)
            throw new ArgumentException($"No datacenter '{consoleDatacenter}' in the lab.", nameof(consoleDatacenter));
        var config = new Dictionary<string, string?>(ToConsoleConfiguration(), StringComparer.OrdinalIgnoreCase)
        {
            ["Estate:ConsoleDatacenter"] = consoleDatacenter,
            ["Estate:SourceAddress"] = LabAddresses.ConsoleSource(index).ToString(),
        };
        return config;
    }

    /// <summary>Configuration keys for the console's <c>Estate</c> section that point it at this lab.</summary>
    public IReadOnlyDictionary<string, string?> ToConsoleConfiguration()
    {
        var config = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Estate:ConsoleDatacenter"] = Endpoints.ConsoleDatacenter,
            ["Estate:LoadBalancer:StatusUrl"] = Endpoints.LoadBalancerStatusUrl,
            // The lab's own pool document, unless it runs HAProxy (below); either way not what appsettings.json may say.
            ["Estate:LoadBalancer:Kind"] = "Lab",
            // The console must know how late this load balancer's health checks may see a datacenter fail: the failed
            // checks that take a member out, each an interval after the previous check ended plus its timeout (a member
            // that hangs; HAProxy schedules the next check `inter` after the last one ended, measured with haproxy 2.6).
            ["Estate:LoadBalancer:HealthCheckLag"] = ((_options.LoadBalancerHealthCheckInterval + _options.LoadBalancerHealthCheckTimeout)
                * (_haproxy is not null ? HaproxyLoadBalancer.Fall : GlobalLoadBalancer.Fall)).ToString("c", CultureInfo.InvariantCulture),
        };
        if (_loadBalancer is { InstancePorts.Count: > 0 } instances)
        {
            // The load balancer's instance in each datacenter, read together: the first datacenter's is StatusUrl.
            var urls = Endpoints.Datacenters.Select(d => $"http://127.0.0.1:{instances.InstancePorts[d.Id]}{GlobalLoadBalancer.PoolsPath}").ToList();
            config["Estate:LoadBalancer:StatusUrl"] = urls[0];
            for (var i = 1; i < urls.Count; i++)
                config[$"Estate:LoadBalancer:StatusUrls:{i - 1}"] = urls[i];
        }
        if (_haproxy is not null)
        {
            // A real HAProxy: the console reads its stats CSV, each datacenter's backend mapped to it.
            config["Estate:LoadBalancer:Kind"] = "HaproxyCsv";
            config["Estate:LoadBalancer:Username"] = HaproxyLoadBalancer.StatsUser;
            config["Estate:LoadBalancer:Password"] = _haproxy.StatsPassword;
            foreach (var dc in Endpoints.Datacenters)
                config[$"Estate:LoadBalancer:Datacenters:{dc.Id}:Pools:0"] = HaproxyLoadBalancer.BackendOf(dc.Id);
        }
        for (var i = 0; i < Endpoints.Datacenters.Count; i++)
        {
            var dc = Endpoints.Datacenters[i];
            var prefix = $"Estate:Datacenters:{i.ToString(CultureInfo.InvariantCulture)}:";
            config[prefix + "Id"] = dc.Id;
            config[prefix + "Name"] = dc.Name;
            config[prefix + "AdminNodeManager:Urls:0"] = dc.AnmUrl;
            config[prefix + "AdminNodeManager:Username"] = dc.AnmUsername;
            config[prefix + "AdminNodeManager:Password"] = dc.AnmPassword;
            config[prefix + "Gateways:TrafficScheme"] = dc.GatewayTrafficScheme;
            config[prefix + "Gateways:TrafficPort"] = dc.GatewayTrafficPort.ToString(CultureInfo.InvariantCulture);
            config[prefix + "Logs:Url"] = dc.LogsUrl;
            for (var j = 0; j < dc.CassandraContactPoints.Count; j++)
                config[$"{prefix}Cassandra:ContactPoints:{j.ToString(CultureInfo.InvariantCulture)}"] = dc.CassandraContactPoints[j];
            if (dc.CassandraUsername is not null)
            {
                config[prefix + "Cassandra:Username"] = dc.CassandraUsername;
                config[prefix + "Cassandra:Password"] = dc.CassandraPassword;
            }
            if (dc.CassandraTls is { } tls)
            {
                config[prefix + "Cassandra:Tls:Enabled"] = "true";
                config[prefix + "Cassandra:Tls:CaFile"] = tls.CaFile;
                config[prefix + "Cassandra:Tls:CheckHostName"] = "true";
                if (tls.ClientCertificateFile is not null)
                {
                    config[prefix + "Cassandra:Tls:ClientCertificateFile"] = tls.ClientCertificateFile;
                    config[prefix + "Cassandra:Tls:ClientCertificatePassword"] = tls.ClientCertificatePassword;
                }
            }
        }
        return config;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        Faults.Changed -= OnFaultsChanged;
        // Release whatever hangs on a fault first, so servers stop quickly.
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_traffic is not null)
            await _traffic.DisposeAsync().ConfigureAwait(false);
        var stops = new List<Task>();
        if (_loadBalancer is not null)
            stops.Add(_loadBalancer.DisposeAsync().AsTask());
        if (_haproxy is not null)
            stops.Add(_haproxy.DisposeAsync().AsTask());
        if (_gateways is not null)
            stops.Add(_gateways.DisposeAsync().AsTask());
        stops.AddRange(_anms.Select(a => a.DisposeAsync().AsTask()));
        stops.AddRange(_logServers.Select(l => l.DisposeAsync().AsTask()));
        stops.AddRange(_cassandra.Select(c => c.Server.DisposeAsync().AsTask()));
        try
        {
            await Task.WhenAll(stops).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Stopping the lab estate");
        }
        foreach (var writer in _traceFiles)
            writer.Dispose();
        if (_ownsTraceRoot)
        {
            try
            {
                Directory.Delete(TraceRoot, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug(e, "Removing the lab's trace folder {Folder}", TraceRoot);
            }
        }
        if (_tlsFolder is not null)
        {
            try
            {
                Directory.Delete(_tlsFolder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug(e, "Removing the lab's TLS folder {Folder}", _tlsFolder);
            }
        }
        _stopping.Dispose();
    }
}
