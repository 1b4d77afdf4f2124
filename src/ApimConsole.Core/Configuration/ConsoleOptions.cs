namespace ApimConsole.Core.Configuration;

/// <summary>The estate the console watches: bound from the <c>Estate</c> section of appsettings.json.</summary>
public sealed class EstateOptions
{
    public const string SectionName = "Estate";

    /// <summary>Shown in the app bar.</summary>
    public string Name { get; set; } = "API Management estate";

    /// <summary>The id of the datacenter this console runs in; the other one is reached over the inter-DC link.</summary>
    public string ConsoleDatacenter { get; set; } = "";

    public List<DatacenterOptions> Datacenters { get; set; } = [];

    /// <summary>
    /// The local address the console's connections to the estate leave from (ANMs, gateways, Cassandra, log servers).
    /// Empty: the operating system chooses. For a host with a management interface, and for the lab, which tells the
    /// datacenter a console sits in by it.
    /// </summary>
    public string? SourceAddress { get; set; }

    /// <summary>The global load balancer's view of its pools: the witness that tells "DC down" from "link down".</summary>
    public LoadBalancerOptions LoadBalancer { get; set; } = new();
}

public sealed class DatacenterOptions
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public AdminNodeManagerOptions AdminNodeManager { get; set; } = new();
    public GatewayOptions Gateways { get; set; } = new();
    public CassandraOptions Cassandra { get; set; } = new();
    public TraceLogOptions Logs { get; set; } = new();
}

public sealed class AdminNodeManagerOptions
{
    /// <summary>Base URLs such as <c>https://anm.dc1.example:8090</c>; the REST API lives under <c>/api</c>.</summary>
    public List<string> Urls { get; set; } = [];
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";
    /// <summary>The ANM ships a self-signed certificate; set this rather than disabling TLS.</summary>
    public bool AcceptAnyServerCertificate { get; set; }
}

public sealed class GatewayOptions
{
    /// <summary>Scheme and port of each instance's traffic listener, where <c>/healthcheck</c> answers.</summary>
    public string TrafficScheme { get; set; } = "http";
    public int TrafficPort { get; set; } = 8080;
}

public sealed class CassandraOptions
{
    /// <summary><c>host:port</c> of each node of this datacenter (port 9042 when omitted).</summary>
    public List<string> ContactPoints { get; set; } = [];
    public string? Username { get; set; }
    public string? Password { get; set; }
    /// <summary>Client-to-node encryption (<c>client_encryption_options</c> in cassandra.yaml).</summary>
    public CassandraTlsOptions Tls { get; set; } = new();
}

/// <summary>
/// TLS toward the Cassandra nodes of one datacenter, for clusters with <c>client_encryption_options: enabled: true</c>.
/// Files are PEM (or PFX/PKCS#12 for the client certificate); relative paths are resolved against the console's
/// working folder.
/// </summary>
public sealed class CassandraTlsOptions
{
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA certificate(s) that signed the nodes' certificates. Empty: the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>Whether the node's certificate must name the host the console connects to (SAN DNS or IP, or CN).</summary>
    public bool CheckHostName { get; set; } = true;

    /// <summary>
    /// The console's client certificate, for nodes with <c>require_client_auth: true</c>: a PEM certificate (its key in
    /// the same file or in <see cref="ClientKeyFile"/>) or a PFX/PKCS#12 file holding both.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of a PEM <see cref="ClientCertificateFile"/>, when the key is in a file of its own.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Password of a PFX <see cref="ClientCertificateFile"/>, or of an encrypted PEM key.</summary>
    public string? ClientCertificatePassword { get; set; }
}

public sealed class TraceLogOptions
{
    /// <summary>A mount of this DC's trace folders (<c>groups/&lt;group&gt;/&lt;instance&gt;/trace</c>).</summary>
    public string? Directory { get; set; }
    /// <summary>Or an HTTP base URL serving those folders like nginx autoindex (JSON format).</summary>
    public string? Url { get; set; }
    /// <summary>
    /// The time zone the gateways of this DC write trace times in (they carry no zone): an IANA or Windows id.
    /// Empty means UTC.
    /// </summary>
    public string? TimeZone { get; set; }
}

/// <summary>Failure detection, bound from <c>Probes</c>. See README for why the defaults are what they are.</summary>
public sealed class ProbeOptions
{
    public const string SectionName = "Probes";

    /// <summary>Time between probes of a healthy component.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(750);
    /// <summary>Time between probes while a component is changing state (after a failure or a first success).</summary>
    public TimeSpan FastInterval { get; set; } = TimeSpan.FromMilliseconds(150);
    /// <summary>Longest a single probe may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Consecutive failures before Up becomes Down.</summary>
    public int Fall { get; set; } = 4;
    /// <summary>Consecutive successes before Down becomes Up.</summary>
    public int Rise { get; set; } = 2;
}

/// <summary>The console's own store, bound from <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";
    public const string Sqlite = "Sqlite";
    public const string SqlServer = "SqlServer";

    public string Provider { get; set; } = Sqlite;
    /// <summary>SQLite file, relative to the content root.</summary>
    public string SqlitePath { get; set; } = "data/apimconsole.db";
    /// <summary>Required when <see cref="Provider"/> is SqlServer.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>
    /// How long one write attempt waits for a SQLite file another connection holds locked before it fails (and the
    /// store writer retries or refuses the action). SQLite counts it in whole seconds, rounded up.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;

    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromMinutes(5);

    /// <summary><see cref="BusyTimeout"/> as SQLite's <c>Default Timeout</c>: whole seconds, rounded up, at least 1 (0 would mean wait forever).</summary>
    public int BusyTimeoutSeconds => Math.Max(1, (int)Math.Ceiling(BusyTimeout.TotalSeconds));
}
