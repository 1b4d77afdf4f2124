using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ApimConsole.Lab.Faults;
using Microsoft.Extensions.Logging;

namespace ApimConsole.Lab.LoadBalancer;

/// <summary>
/// A real HAProxy as the lab's global load balancer (<c>Lab:LoadBalancer = Haproxy</c>): the lab writes its configuration
/// into a temporary folder and runs <c>haproxy -f cfg -db</c> as a child process on 127.0.0.1, killed when the lab stops.
/// One backend per datacenter (<c>be_&lt;dc&gt;</c>) health-checks that datacenter's DMZ gateways with
/// <c>GET /healthcheck</c> from <see cref="LabAddresses.LoadBalancerSource"/> (so the link fault, which cuts 127.0.0.1,
/// leaves it alone); the traffic frontend's backend tracks those servers. The stats page, behind basic auth, is the
/// witness the console reads (CSV or JSON).
/// </summary>
internal sealed class HaproxyLoadBalancer : IAsyncDisposable
{
    public const string StatsPath = "/stats";
    public const string StatsUser = "witness";

    /// <summary>
    /// Consecutive failed checks that take a server out, and passed ones that bring it back: HAProxy's defaults (its
    /// configuration manual, <c>fall</c> and <c>rise</c>). With <c>fall 1</c> one check that outlived its timeout on a
    /// busy machine took both of a datacenter's gateways out, and the console rightly named the datacenter down during a
    /// cut link (<c>HaproxyWitnessLiveTests</c>).
    /// </summary>
    public const int Fall = 3;
    public const int Rise = 2;

    private readonly ILogger _logger;
    private readonly Queue<string> _lastLines = new();
    private Process? _process;
    private string? _folder;

    private HaproxyLoadBalancer(ILogger logger) => _logger = logger;

    public int Port { get; private set; }
    public int StatsPort { get; private set; }
    public string StatsPassword { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    public static string BackendOf(string datacenterId) => "be_" + datacenterId;

    /// <summary>The haproxy binary: <paramref name="configured"/>, else the first on PATH, /usr/sbin or /usr/local/sbin; null when none.</summary>
    public static string? FindBinary(string? configured = null)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured) ? configured : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return path.Concat(["/usr/sbin", "/usr/local/sbin"]).Select(p => Path.Combine(p, "haproxy")).FirstOrDefault(File.Exists);
    }

    public static async Task<HaproxyLoadBalancer> StartAsync(LabOptions options, IReadOnlyList<LoadBalancerMember> members, IReadOnlyList<string> datacenters,
        ILogger logger, CancellationToken cancellationToken)
    {
        var binary = FindBinary(options.HaproxyPath)
            ?? throw new InvalidOperationException("Lab:LoadBalancer is Haproxy but no haproxy binary was found"
                + (string.IsNullOrWhiteSpace(options.HaproxyPath) ? " on PATH: apt-get install haproxy, or set Lab:HaproxyPath." : $" at Lab:HaproxyPath '{options.HaproxyPath}'."));
        var lb = new HaproxyLoadBalancer(logger) { _folder = Directory.CreateTempSubdirectory("apim-lab-haproxy-").FullName };
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                lb.Port = LabHosting.CandidatePort();
                lb.StatsPort = LabHosting.CandidatePort();
                var config = Path.Combine(lb._folder, "haproxy.cfg");
                await File.WriteAllTextAsync(config, lb.Configuration(options, members, datacenters), cancellationToken).ConfigureAwait(false);
                if (await lb.TryStartAsync(binary, config, cancellationToken).ConfigureAwait(false))
                    return lb;
                var output = lb.Output();
                await lb.StopProcessAsync().ConfigureAwait(false);
                if (attempt >= 5 || !output.Contains("cannot bind", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"haproxy did not start: {output}");
            }
        }
        catch
        {
            await lb.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private string Configuration(LabOptions options, IReadOnlyList<LoadBalancerMember> members, IReadOnlyList<string> datacenters)
    {
        static string Ms(TimeSpan t) => ((long)Math.Max(1, t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        var check = Ms(options.LoadBalancerHealthCheckTimeout);
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $$"""
            # Written by the APIM lab for one run; haproxy runs it in the foreground (-db) as the lab's child process.
            global
                maxconn 4096

            defaults
                mode http
                timeout connect {{check}}
                timeout check {{check}}
                timeout client 30s
                timeout server 30s
                # Checks and proxied requests leave from the load balancer's address, on its side of the lab's link fault.
                source {{LabAddresses.LoadBalancerSource}}

            listen stats
                bind 127.0.0.1:{{StatsPort}}
                stats enable
                stats uri {{StatsPath}}
                stats auth {{StatsUser}}:{{StatsPassword}}

            frontend traffic
                bind 127.0.0.1:{{Port}}
                default_backend gateways
            """);
        foreach (var dc in datacenters)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"""

                backend {BackendOf(dc)}
                    option httpchk GET /healthcheck
                    # HAProxy's own defaults, as an estate runs it: one slow or lost check is no outage.
                    default-server inter {Ms(options.LoadBalancerHealthCheckInterval)} fall {Fall} rise {Rise}
                """);
            foreach (var m in members.Where(m => m.DatacenterId == dc))
                config.AppendLine(CultureInfo.InvariantCulture, $"    server {ServerName(m)} {m.Address.Host}:{m.Address.Port} check");
        }
        config.AppendLine();
        config.AppendLine("backend gateways");
        config.AppendLine("    balance roundrobin");
        foreach (var m in members)
            config.AppendLine(CultureInfo.InvariantCulture, $"    server {ServerName(m)} {m.Address.Host}:{m.Address.Port} track {BackendOf(m.DatacenterId)}/{ServerName(m)}");
        return config.ToString();
    }

    public static string ServerName(LoadBalancerMember member) => $"{member.DatacenterId}-{member.InstanceId}";

    private async Task<bool> TryStartAsync(string binary, string config, CancellationToken cancellationToken)
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(binary)
            {
                ArgumentList = { "-f", config, "-db" },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        // Read both pipes all the time: haproxy writes a warning per server state change, and a full pipe would stop it.
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{StatsUser}:{StatsPassword}")));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                return false;
            try
            {
                using var response = await client.GetAsync(StatsCsvUrl, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
            }
            // Waiting for a child process to listen: there is no event to wait on but its port answering.
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        _logger.LogDebug("haproxy: {Line}", line);
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40)
                _lastLines.Dequeue();
        }
    }

    private string Output()
    {
        lock (_lastLines)
            return string.Join(Environment.NewLine, _lastLines);
    }

    public string TrafficUrl => $"http://127.0.0.1:{Port}";
    public string StatsUrl => $"http://127.0.0.1:{StatsPort}{StatsPath}";
    public string StatsCsvUrl => StatsUrl + ";csv";

    private async Task StopProcessAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
            return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // It had already gone.
        }
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync().ConfigureAwait(false);
        if (_folder is not null && Directory.Exists(_folder))
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException e)
            {
                _logger.LogDebug(e, "Removing haproxy's folder {Folder}", _folder);
            }
        }
    }
}
