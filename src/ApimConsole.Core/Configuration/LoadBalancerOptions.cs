namespace ApimConsole.Core.Configuration;

/// <summary>
/// The global load balancer's view of its pools (<c>Estate:LoadBalancer</c>): the witness that tells "DC down" from
/// "link down". <see cref="Kind"/> says which product publishes it and so how it is read.
/// </summary>
public sealed class LoadBalancerOptions
{
    /// <summary>
    /// Which pool view <see cref="StatusUrl"/> serves: <c>Lab</c> (the lab's own JSON, the default), <c>HaproxyCsv</c>,
    /// <c>HaproxyJson</c>, <c>F5</c>, <c>NginxPlus</c> or <c>Citrix</c> (see <see cref="LoadBalancerKinds"/>).
    /// </summary>
    public string Kind { get; set; } = LoadBalancerKinds.Lab;

    /// <summary>
    /// Where the pool view is read; empty when there is no witness. Lab, HAProxy and NGINX Plus: the document's URL
    /// (HAProxy's stats URI, <c>;csv</c> or <c>;json</c> is added when missing; NGINX Plus:
    /// <c>https://lb/api/9/http/upstreams</c>). F5 and Citrix: the management base URL (<c>https://bigip.example</c>).
    /// </summary>
    public string? StatusUrl { get; set; }

    /// <summary>
    /// The status URLs of further members of the same load balancer (same <see cref="Kind"/>, credentials and pool
    /// names), such as the global load balancer's instance in each datacenter: <c>Estate:LoadBalancer:StatusUrls:0</c>.
    /// They are read together with <see cref="StatusUrl"/> (see <see cref="AllStatusUrls"/>): the members that answer
    /// must agree on which datacenters are serving, or there is no witness; one that does not answer is left out.
    /// </summary>
    public List<string> StatusUrls { get; set; } = [];

    /// <summary><see cref="StatusUrl"/> (when set), then <see cref="StatusUrls"/>, without empty entries: every member read.</summary>
    public IReadOnlyList<string> AllStatusUrls() =>
        (string.IsNullOrWhiteSpace(StatusUrl) ? StatusUrls : StatusUrls.Prepend(StatusUrl)).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim()).ToList();

    /// <summary>
    /// How long after a datacenter fails the load balancer may still show its pool serving: its health-check interval
    /// times the failed checks it needs to take a member out (HAProxy <c>fall</c>), plus one check's timeout. Until the
    /// pools have been read this long after the console lost a datacenter, "pool serving" is not taken as proof that
    /// only the link is down.
    /// </summary>
    public TimeSpan HealthCheckLag { get; set; } = TimeSpan.FromSeconds(1.8);

    /// <summary>Basic-auth user (HAProxy <c>stats auth</c>, F5, NGINX Plus); for Citrix sent as <c>X-NITRO-USER</c>.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>F5 only: an iControl REST token (<c>X-F5-Auth-Token</c>), instead of Username/Password.</summary>
    public string? Token { get; set; }

    /// <summary>F5 only: <c>Ltm</c> (local traffic pools, the default) or <c>Gtm</c> (DNS/GTM pools of type A).</summary>
    public string F5Module { get; set; } = "Ltm";

    /// <summary>Accept any TLS certificate of the load balancer's management interface (they often ship self-signed).</summary>
    public bool AcceptAnyServerCertificate { get; set; }

    /// <summary>A PEM file of the CA(s) that signed the management interface's certificate; trusted for this witness only.</summary>
    public string? CaFile { get; set; }

    /// <summary>Longest one read of the pool view may take (all its requests); empty: <c>Probes:Timeout</c>.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// Which pools (HAProxy backends, F5 pools, NGINX Plus upstreams, Citrix LB virtual servers) or servers belong to
    /// which datacenter, by datacenter id: <c>Estate:LoadBalancer:Datacenters:dc1:Pools:0 = be_dc1</c>. Not used by
    /// <c>Lab</c>, whose document names the datacenters itself.
    /// </summary>
    public Dictionary<string, LoadBalancerDatacenterOptions> Datacenters { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One datacenter's share of the load balancer: whole pools, or servers by name pattern.</summary>
public sealed class LoadBalancerDatacenterOptions
{
    /// <summary>Pools whose every member is in this datacenter (exact names).</summary>
    public List<string> Pools { get; set; } = [];

    /// <summary>
    /// Server (member, peer) name patterns, <c>*</c> for any run of characters (<c>dc2-*</c>), for pools that mix
    /// datacenters, looked for in every pool. HAProxy and NGINX Plus only: F5 and Citrix are read pool by pool.
    /// </summary>
    public List<string> Servers { get; set; } = [];
}

/// <summary>The pool views the console can read.</summary>
public static class LoadBalancerKinds
{
    public const string Lab = "Lab";
    public const string HaproxyCsv = "HaproxyCsv";
    public const string HaproxyJson = "HaproxyJson";
    public const string F5 = "F5";
    public const string NginxPlus = "NginxPlus";
    public const string Citrix = "Citrix";

    public static IReadOnlyList<string> All { get; } = [Lab, HaproxyCsv, HaproxyJson, F5, NginxPlus, Citrix];

    /// <summary>The kind's canonical spelling, or null when unknown (case is ignored).</summary>
    public static string? Normalize(string? kind) =>
        string.IsNullOrWhiteSpace(kind) ? Lab : All.FirstOrDefault(k => string.Equals(k, kind.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>The checks of <c>Estate:LoadBalancer</c>, each message naming its key.</summary>
public static class LoadBalancerOptionsValidator
{
    public static void Validate(EstateOptions estate, List<string> errors)
    {
        const string root = "Estate:LoadBalancer";
        var lb = estate.LoadBalancer;
        var kind = LoadBalancerKinds.Normalize(lb.Kind);
        if (kind is null)
            errors.Add($"{root}:Kind '{lb.Kind}' is unknown: use one of {string.Join(", ", LoadBalancerKinds.All)}.");
        if (lb.HealthCheckLag < TimeSpan.Zero || lb.HealthCheckLag > TimeSpan.FromMinutes(5))
            errors.Add($"{root}:HealthCheckLag must be between 0 and 5 minutes (found {lb.HealthCheckLag}).");
        if (lb.Timeout is { } timeout && (timeout < TimeSpan.FromMilliseconds(50) || timeout > TimeSpan.FromMinutes(1)))
            errors.Add($"{root}:Timeout must be between 50 ms and 1 minute (found {timeout}).");
        // CaFile is read at start by ApimConsole.Monitoring.EstateFileChecks (Core does no I/O).
        if (!string.IsNullOrEmpty(lb.Username) && lb.Username.Contains(':'))
            errors.Add($"{root}:Username must not contain ':'.");
        if (!string.IsNullOrEmpty(lb.Username) != !string.IsNullOrEmpty(lb.Password))
            errors.Add($"{root}:Username and {root}:Password must be set together.");
        if (!string.Equals(lb.F5Module, "Ltm", StringComparison.OrdinalIgnoreCase) && !string.Equals(lb.F5Module, "Gtm", StringComparison.OrdinalIgnoreCase))
            errors.Add($"{root}:F5Module '{lb.F5Module}' is unknown: use 'Ltm' or 'Gtm'.");

        for (var i = 0; i < lb.StatusUrls.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lb.StatusUrls[i]))
                errors.Add($"{root}:StatusUrls:{i} is empty.");
            else
                ConsoleOptionsValidator.CheckHttpUrl(errors, $"{root}:StatusUrls:{i}", lb.StatusUrls[i]);
        }
        var all = lb.AllStatusUrls();
        foreach (var twice in all.GroupBy(u => u.TrimEnd('/'), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"{root}: the status URL '{twice.Key}' is given {twice.Count()} times (StatusUrl and StatusUrls list each member once).");
        if (string.IsNullOrWhiteSpace(lb.StatusUrl))
        {
            if (lb.StatusUrls.Count > 0)
                errors.Add($"{root}:StatusUrls adds members to {root}:StatusUrl, which is empty: set StatusUrl to the first member.");
            else if (kind is not null and not LoadBalancerKinds.Lab)
                errors.Add($"{root}:StatusUrl is required when {root}:Kind is {kind}.");
            return;
        }
        ConsoleOptionsValidator.CheckHttpUrl(errors, $"{root}:StatusUrl", lb.StatusUrl);
        if (kind is null or LoadBalancerKinds.Lab)
            return;

        var ids = estate.Datacenters.Select(d => d.Id).Where(id => !string.IsNullOrWhiteSpace(id)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (dcId, map) in lb.Datacenters)
        {
            var key = $"{root}:Datacenters:{dcId}";
            if (!ids.Contains(dcId))
                errors.Add($"{key}: '{dcId}' is not the id of a configured datacenter ({string.Join(", ", ids)}).");
            for (var i = 0; i < map.Pools.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(map.Pools[i]))
                    errors.Add($"{key}:Pools:{i} is empty.");
            }
            for (var i = 0; i < map.Servers.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(map.Servers[i]))
                    errors.Add($"{key}:Servers:{i} is empty.");
            }
            if (kind is LoadBalancerKinds.Citrix or LoadBalancerKinds.F5 && map.Servers.Count > 0)
                errors.Add($"{key}:Servers: the {kind} witness reads whole pools, one per datacenter ({(kind == LoadBalancerKinds.F5 ? "F5 pools" : "LB virtual servers")}): map them with Pools.");
        }
        foreach (var id in ids)
        {
            // Looked up ignoring case whatever dictionary the configuration binder made.
            var map = lb.Datacenters.FirstOrDefault(d => string.Equals(d.Key, id, StringComparison.OrdinalIgnoreCase)).Value;
            if (map is null || (map.Pools.Count == 0 && map.Servers.Count == 0))
                errors.Add($"{root}:Datacenters:{id} must name the pools (Pools:N) or servers (Servers:N) of datacenter '{id}': "
                    + $"without them a {kind} witness cannot say whether {id} is serving.");
        }
        var pools = lb.Datacenters.SelectMany(d => d.Value.Pools.Select(p => (Dc: d.Key, Pool: p))).GroupBy(x => x.Pool, StringComparer.Ordinal)
            .Where(g => g.Select(x => x.Dc).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1);
        foreach (var pool in pools)
            errors.Add($"{root}:Datacenters: pool '{pool.Key}' is mapped to more than one datacenter ({string.Join(", ", pool.Select(x => x.Dc))}).");
    }
}
