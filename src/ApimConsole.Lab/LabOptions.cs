namespace ApimConsole.Lab;

/// <summary>The simulated estate, bound from the <c>Lab</c> section (command line or environment when standalone).</summary>
public sealed class LabOptions
{
    public const string SectionName = "Lab";

    /// <summary>Whether the console host starts the lab. The lab itself ignores it.</summary>
    public bool Enabled { get; set; }

    /// <summary>The datacenter the console sits in: the link fault cuts the console off from the other one.</summary>
    public string ConsoleDatacenter { get; set; } = "dc1";

    /// <summary>Exactly two datacenters. Empty: dc1 "Frankfurt" and dc2 "Amsterdam".</summary>
    /// <remarks>Empty by default because configuration binding appends to a list instead of replacing it.</remarks>
    public List<LabDatacenterOptions> Datacenters { get; set; } = [];

    /// <summary>Gateway instances in each of a datacenter's two groups (internal and DMZ), 1 to 60.</summary>
    public int InstancesPerGroup { get; set; } = 2;

    /// <summary>Cassandra nodes per datacenter, 1 to 60.</summary>
    public int CassandraNodesPerDatacenter { get; set; } = 3;

    /// <summary>
    /// Whether gateway instances write trace files. Off, the lab keeps no trace writers (and no flush timers); the
    /// log servers then serve empty folders. For large labs whose own cost would get in the way of a measurement.
    /// </summary>
    public bool WriteTraceFiles { get; set; } = true;

    /// <summary>Whether the lab notes when each component is probed (<see cref="LabEstate.ProbeLog"/>); for benchmarks.</summary>
    public bool RecordProbes { get; set; }

    /// <summary>Whether the Cassandra nodes listen. Tests that do not need CQL switch it off.</summary>
    public bool StartCassandra { get; set; } = true;

    public string AnmUsername { get; set; } = "admin";
    public string AnmPassword { get; set; } = "changeme";

    /// <summary>PasswordAuthenticator credentials of the Cassandra nodes; no username means no authentication.</summary>
    public string? CassandraUsername { get; set; } = "cassandra";
    public string? CassandraPassword { get; set; } = "cassandra";

    /// <summary>Client-to-node encryption of the lab's Cassandra nodes; off by default.</summary>
    public LabCassandraTlsOptions CassandraTls { get; set; } = new();

    /// <summary>Requests per second the traffic generator sends through the load balancer; 0 switches it off.</summary>
    public double TrafficRatePerSecond { get; set; } = 20;

    /// <summary>Most requests the traffic generator keeps in flight.</summary>
    public int TrafficConcurrency { get; set; } = 32;

    /// <summary>How long an endpoint under the <c>slow</c> fault waits before it answers.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long each ANM holds a configuration push (<c>PUT .../api/configuration</c>) before the instance loads it;
    /// zero (the default) for none. For tests that need a deployment in flight (a console killed mid-push).
    /// </summary>
    public TimeSpan PushDelay { get; set; } = TimeSpan.Zero;

    public const string YarpLoadBalancer = "Yarp";
    public const string HaproxyLoadBalancer = "Haproxy";

    /// <summary>
    /// The lab's global load balancer: <c>Yarp</c> (in process, publishing the lab's own pool JSON) or <c>Haproxy</c>
    /// (a real HAProxy the lab configures and runs as a child process; the console then reads its stats CSV).
    /// </summary>
    public string LoadBalancer { get; set; } = YarpLoadBalancer;

    /// <summary>The haproxy binary for <c>LoadBalancer = Haproxy</c>; empty: found on PATH or in /usr/sbin.</summary>
    public string? HaproxyPath { get; set; }

    /// <summary>
    /// The lab's own load balancer (YARP) as an instance in each datacenter, as a global load balancer often runs: each
    /// datacenter gets a status endpoint of its own that obeys that datacenter's faults and the link (a console cut off
    /// from dc2 cannot read dc2's instance). The console is then handed every instance, <c>StatusUrl</c> and
    /// <c>StatusUrls</c>, and reads them together. Not with HAProxy.
    /// </summary>
    public bool LoadBalancerInEachDatacenter { get; set; }

    /// <summary>Interval of the load balancer's active health checks.</summary>
    public TimeSpan LoadBalancerHealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of one load balancer health check.</summary>
    public TimeSpan LoadBalancerHealthCheckTimeout { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Transactions each gateway instance keeps for ops/search and ops/trace.</summary>
    public int TransactionsPerInstance { get; set; } = 5000;

    /// <summary>Trace lines each gateway instance keeps in memory (for its trace API), newest last.</summary>
    public int TraceLinesPerInstance { get; set; } = 20_000;

    /// <summary>
    /// The root of the trace files: each instance writes to <c>&lt;root&gt;/&lt;dc&gt;/groups/&lt;group&gt;/&lt;instance&gt;/trace</c>.
    /// Empty: a new temporary folder per lab run, removed when the lab stops.
    /// </summary>
    public string? TraceDirectory { get; set; }

    /// <summary>Size at which an instance starts a new trace file (the gateway's default is 16 MB).</summary>
    public long TraceRollBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Trace files each instance keeps; rolling deletes the oldest beyond it.</summary>
    public int TraceFilesPerInstance { get; set; } = 20;

    /// <summary>How often buffered trace lines reach the files.</summary>
    public TimeSpan TraceFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The APIs the gateways serve. Empty: <see cref="DefaultApis"/>.</summary>
    public List<LabApiOptions> Apis { get; set; } = [];

    public static IReadOnlyList<LabApiOptions> DefaultApis { get; } =
    [
        new() { Path = "/orders/v1", Name = "Orders API", ClientErrorRate = 0.03, ServerErrorRate = 0.005, MedianLatency = TimeSpan.FromMilliseconds(4) },
        new() { Path = "/payments/v2", Name = "Payments API", ClientErrorRate = 0.02, ServerErrorRate = 0.01, MedianLatency = TimeSpan.FromMilliseconds(8) },
        new() { Path = "/customers/v1", Name = "Customers API", ClientErrorRate = 0.04, ServerErrorRate = 0.002, MedianLatency = TimeSpan.FromMilliseconds(3) },
        new() { Path = "/catalog/v1", Name = "Catalog API", ClientErrorRate = 0.01, ServerErrorRate = 0.001, MedianLatency = TimeSpan.FromMilliseconds(2) },
        new() { Path = "/oauth/token", Name = "OAuth Token", ClientErrorRate = 0.05, ServerErrorRate = 0.002, MedianLatency = TimeSpan.FromMilliseconds(5) },
    ];

    public IReadOnlyList<LabDatacenterOptions> EffectiveDatacenters =>
        Datacenters.Count == 0
            ? [new() { Id = "dc1", Name = "Frankfurt" }, new() { Id = "dc2", Name = "Amsterdam" }]
            : Datacenters.Select((d, i) => new LabDatacenterOptions
            {
                Id = string.IsNullOrWhiteSpace(d.Id) ? $"dc{i + 1}" : d.Id,
                Name = string.IsNullOrWhiteSpace(d.Name) ? (i == 0 ? "Frankfurt" : "Amsterdam") : d.Name,
            }).ToList();

    public bool UsesHaproxy => string.Equals(LoadBalancer, HaproxyLoadBalancer, StringComparison.OrdinalIgnoreCase);

    public IReadOnlyList<LabApiOptions> EffectiveApis => Apis.Count == 0 ? DefaultApis : Apis;

    /// <summary>Every problem with these options, each naming its key; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var dcs = EffectiveDatacenters;
        if (dcs.Count != 2)
            errors.Add($"Lab:Datacenters must list exactly two datacenters (found {dcs.Count}).");
        if (dcs.Select(d => d.Id).Distinct(StringComparer.OrdinalIgnoreCase).Count() != dcs.Count)
            errors.Add("Lab:Datacenters ids must be unique.");
        foreach (var dc in dcs)
        {
            if (dc.Id.Contains('/') || dc.Id is "link")
                errors.Add($"Lab:Datacenters id '{dc.Id}' is not allowed ('/' and 'link' are reserved for fault targets).");
        }
        if (!dcs.Any(d => string.Equals(d.Id, ConsoleDatacenter, StringComparison.OrdinalIgnoreCase)))
            errors.Add($"Lab:ConsoleDatacenter '{ConsoleDatacenter}' is not one of the datacenters ({string.Join(", ", dcs.Select(d => d.Id))}).");
        // Each instance and node has its own loopback address: 127.0.2.x for the instances of both datacenters
        // (2 groups x 2 DCs x 60 = 240), 127.0.1.x for the nodes (2 x 60 = 120).
        if (InstancesPerGroup is < 1 or > 60)
            errors.Add($"Lab:InstancesPerGroup must be between 1 and 60 (found {InstancesPerGroup}).");
        if (CassandraNodesPerDatacenter is < 1 or > 60)
            errors.Add($"Lab:CassandraNodesPerDatacenter must be between 1 and 60 (found {CassandraNodesPerDatacenter}).");
        if (string.IsNullOrEmpty(AnmUsername) || AnmUsername.Contains(':'))
            errors.Add("Lab:AnmUsername must be set and must not contain ':'.");
        if (string.IsNullOrEmpty(AnmPassword))
            errors.Add("Lab:AnmPassword must be set.");
        if (string.IsNullOrEmpty(CassandraUsername) != string.IsNullOrEmpty(CassandraPassword))
            errors.Add("Lab:CassandraUsername and Lab:CassandraPassword must be set together (or both left empty for no authentication).");
        if (CassandraTls.Enabled)
        {
            foreach (var (key, file) in new[]
                     {
                         ("CertificateFile", CassandraTls.CertificateFile), ("CaFile", CassandraTls.CaFile), ("ClientCertificateFile", CassandraTls.ClientCertificateFile),
                     })
            {
                if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
                    errors.Add($"Lab:CassandraTls:{key}: the file '{file}' does not exist.");
            }
            if (string.IsNullOrWhiteSpace(CassandraTls.CertificateFile) != string.IsNullOrWhiteSpace(CassandraTls.CaFile))
                errors.Add("Lab:CassandraTls:CertificateFile and Lab:CassandraTls:CaFile must be set together (or both left empty: the lab makes its own CA and node certificate).");
            if (!string.IsNullOrWhiteSpace(CassandraTls.CertificateFile) && CassandraTls.RequireClientCertificate && string.IsNullOrWhiteSpace(CassandraTls.ClientCertificateFile))
                errors.Add("Lab:CassandraTls:RequireClientCertificate with a given CA needs Lab:CassandraTls:ClientCertificateFile: the certificate the console presents.");
        }
        if (double.IsNaN(TrafficRatePerSecond) || TrafficRatePerSecond is < 0 or > 5000)
            errors.Add($"Lab:TrafficRatePerSecond must be between 0 and 5000 (found {TrafficRatePerSecond}).");
        if (TrafficConcurrency is < 1 or > 1024)
            errors.Add($"Lab:TrafficConcurrency must be between 1 and 1024 (found {TrafficConcurrency}).");
        if (PushDelay < TimeSpan.Zero || PushDelay > TimeSpan.FromMinutes(5))
            errors.Add($"Lab:PushDelay must be between 0 and 5 minutes (found {PushDelay}).");
        if (SlowDelay < TimeSpan.Zero || SlowDelay > TimeSpan.FromMinutes(5))
            errors.Add($"Lab:SlowDelay must be between 0 and 5 minutes (found {SlowDelay}).");
        if (!string.Equals(LoadBalancer, YarpLoadBalancer, StringComparison.OrdinalIgnoreCase) && !string.Equals(LoadBalancer, HaproxyLoadBalancer, StringComparison.OrdinalIgnoreCase))
            errors.Add($"Lab:LoadBalancer '{LoadBalancer}' is unknown: use '{YarpLoadBalancer}' or '{HaproxyLoadBalancer}'.");
        else if (UsesHaproxy && !string.IsNullOrWhiteSpace(HaproxyPath) && !File.Exists(HaproxyPath))
            errors.Add($"Lab:HaproxyPath '{HaproxyPath}' does not exist.");
        if (UsesHaproxy && LoadBalancerInEachDatacenter)
            errors.Add($"Lab:LoadBalancerInEachDatacenter is for the lab's own load balancer ('{YarpLoadBalancer}'), not '{HaproxyLoadBalancer}'.");
        if (LoadBalancerHealthCheckInterval < TimeSpan.FromMilliseconds(100) || LoadBalancerHealthCheckInterval > TimeSpan.FromMinutes(1))
            errors.Add($"Lab:LoadBalancerHealthCheckInterval must be between 100 ms and 1 minute (found {LoadBalancerHealthCheckInterval}).");
        if (LoadBalancerHealthCheckTimeout <= TimeSpan.Zero || LoadBalancerHealthCheckTimeout > TimeSpan.FromMinutes(1))
            errors.Add($"Lab:LoadBalancerHealthCheckTimeout must be positive and at most 1 minute (found {LoadBalancerHealthCheckTimeout}).");
        if (TransactionsPerInstance is < 10 or > 1_000_000)
            errors.Add($"Lab:TransactionsPerInstance must be between 10 and 1000000 (found {TransactionsPerInstance}).");
        if (TraceLinesPerInstance is < 100 or > 10_000_000)
            errors.Add($"Lab:TraceLinesPerInstance must be between 100 and 10000000 (found {TraceLinesPerInstance}).");
        if (TraceRollBytes is < 1024 or > 1L << 30)
            errors.Add($"Lab:TraceRollBytes must be between 1024 and 1073741824 (found {TraceRollBytes}).");
        if (TraceFilesPerInstance is < 1 or > 10_000)
            errors.Add($"Lab:TraceFilesPerInstance must be between 1 and 10000 (found {TraceFilesPerInstance}).");
        if (TraceFlushInterval < TimeSpan.FromMilliseconds(10) || TraceFlushInterval > TimeSpan.FromMinutes(1))
            errors.Add($"Lab:TraceFlushInterval must be between 10 ms and 1 minute (found {TraceFlushInterval}).");
        var apis = EffectiveApis;
        for (var i = 0; i < Apis.Count; i++)
        {
            var api = Apis[i];
            if (string.IsNullOrWhiteSpace(api.Path) || !api.Path.StartsWith('/') || api.Path.Length < 2)
                errors.Add($"Lab:Apis:{i}:Path must start with '/' and name a path (found '{api.Path}').");
            if (api.Path.StartsWith("/healthcheck", StringComparison.OrdinalIgnoreCase))
                errors.Add($"Lab:Apis:{i}:Path must not shadow /healthcheck.");
            if (api.ClientErrorRate is < 0 or > 1 || api.ServerErrorRate is < 0 or > 1 || api.ClientErrorRate + api.ServerErrorRate > 1)
                errors.Add($"Lab:Apis:{i}: ClientErrorRate and ServerErrorRate must be between 0 and 1 and add up to at most 1.");
            if (api.MedianLatency < TimeSpan.Zero || api.MedianLatency > TimeSpan.FromSeconds(30))
                errors.Add($"Lab:Apis:{i}:MedianLatency must be between 0 and 30 s.");
        }
        if (apis.Select(a => a.Path).Distinct(StringComparer.OrdinalIgnoreCase).Count() != apis.Count)
            errors.Add("Lab:Apis paths must be unique.");
        return errors;
    }
}

public sealed class LabDatacenterOptions
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
}

/// <summary>One API the lab gateways serve, and how it behaves.</summary>
public sealed class LabApiOptions
{
    /// <summary>Path prefix, e.g. <c>/orders/v1</c>.</summary>
    public string Path { get; set; } = "";
    /// <summary>The service name recorded in the traffic monitor.</summary>
    public string Name { get; set; } = "";
    /// <summary>Share of calls answered with a 4xx.</summary>
    public double ClientErrorRate { get; set; } = 0.02;
    /// <summary>Share of calls answered with a 5xx.</summary>
    public double ServerErrorRate { get; set; } = 0.005;
    /// <summary>Typical latency; a small share of calls take many times longer.</summary>
    public TimeSpan MedianLatency { get; set; } = TimeSpan.FromMilliseconds(4);
}

/// <summary>
/// TLS on the lab's Cassandra nodes (<c>Lab:CassandraTls</c>). Enabled without files, the lab makes a CA, a node
/// certificate naming every node address, 127.0.0.1 and localhost, and (with <see cref="RequireClientCertificate"/>) a
/// client certificate for the console, in a temporary folder removed when the lab stops; the console it feeds is
/// pointed at them. With files, the node certificate is <see cref="CertificateFile"/> and the console is told to trust
/// <see cref="CaFile"/> and to present <see cref="ClientCertificateFile"/>.
/// </summary>
public sealed class LabCassandraTlsOptions
{
    public bool Enabled { get; set; }

    /// <summary>The nodes' certificate with its key: PEM (certificate and key in one file) or PFX.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Password of a PFX <see cref="CertificateFile"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>PEM CA that signed <see cref="CertificateFile"/>; also the CA client certificates must chain to.</summary>
    public string? CaFile { get; set; }

    /// <summary><c>require_client_auth</c>: a client without a certificate from the CA is refused.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>The client certificate the console presents (PEM with key, or PFX); passed to the console as is.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>Password of a PFX <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientCertificatePassword { get; set; }
}
