using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;

namespace ApimConsole.Monitoring.LoadBalancer;

/// <summary>A load balancer's pool view that cannot be used: unreachable, refused, of the wrong shape, or missing what is mapped.</summary>
public sealed class LoadBalancerStatusException(string message) : Exception(message);

/// <summary>What a load balancer says of one member, in the witness's terms.</summary>
public enum MemberHealth
{
    /// <summary>Health-checked and taking new traffic.</summary>
    Serving,
    /// <summary>Failed its checks, or taken out (maintenance, drain, disabled): no new traffic.</summary>
    NotServing,
    /// <summary>Taking traffic, but not health-checked: its "serving" says nothing of its datacenter.</summary>
    Unchecked,
}

/// <summary>One member of one pool as the load balancer reports it (<see cref="State"/> is its own word for it).</summary>
public sealed record PoolMember(string Pool, string Name, MemberHealth Health, string State);

/// <summary>What one read of a pool view found: every pool it lists (even empty ones) and every member.</summary>
public sealed record PoolViewDocument(IReadOnlySet<string> Pools, IReadOnlyList<PoolMember> Members);

/// <summary>
/// Turns members into each datacenter's pool through <c>Estate:LoadBalancer:Datacenters</c>. Anything it cannot vouch
/// for is an error rather than a verdict: a mapped pool or server pattern that is absent, a datacenter with no member,
/// or one whose members are all unchecked.
/// </summary>
public sealed class PoolMapping
{
    private readonly List<(string DatacenterId, IReadOnlyList<string> Pools, IReadOnlyList<Regex> Servers, IReadOnlyList<string> Patterns)> _datacenters = [];

    public PoolMapping(IReadOnlyDictionary<string, LoadBalancerDatacenterOptions> datacenters, IEnumerable<string>? order = null)
    {
        // In configuration order where given, each under the datacenter's own id (matched ignoring case, whatever
        // dictionary the configuration binder made), then any others.
        var known = (order ?? []).ToList();
        var entries = datacenters.OrderBy(d => known.FindIndex(o => string.Equals(o, d.Key, StringComparison.OrdinalIgnoreCase)) is var i && i >= 0 ? i : int.MaxValue);
        foreach (var (key, map) in entries)
        {
            var id = known.FirstOrDefault(o => string.Equals(o, key, StringComparison.OrdinalIgnoreCase)) ?? key;
            _datacenters.Add((id, map.Pools.Select(p => p.Trim()).ToList(), map.Servers.Select(Glob).ToList(), map.Servers));
        }
    }

    /// <summary>Every pool named in the mapping, for readers that fetch pool by pool (F5).</summary>
    public IReadOnlyList<string> MappedPools => _datacenters.SelectMany(d => d.Pools).Distinct(StringComparer.Ordinal).ToList();

    public IReadOnlyList<LoadBalancerPool> Apply(PoolViewDocument document)
    {
        var result = new List<LoadBalancerPool>();
        foreach (var (dc, pools, servers, patterns) in _datacenters)
        {
            foreach (var pool in pools)
            {
                if (!document.Pools.Contains(pool))
                    throw new LoadBalancerStatusException($"pool '{pool}' (mapped to {dc}) is not in the load balancer's status");
            }
            var members = document.Members.Where(m => pools.Contains(m.Pool, StringComparer.Ordinal) || servers.Any(r => r.IsMatch(m.Name))).ToList();
            if (members.Count == 0)
            {
                var what = pools.Count > 0 ? $"pool{(pools.Count > 1 ? "s" : "")} {string.Join(", ", pools.Select(p => $"'{p}'"))}" : "";
                if (patterns.Count > 0)
                    what += (what.Length > 0 ? " and " : "") + $"servers matching {string.Join(", ", patterns.Select(p => $"'{p}'"))}";
                throw new LoadBalancerStatusException($"no member of {dc} in the load balancer's status ({what})");
            }
            if (members.All(m => m.Health == MemberHealth.Unchecked))
                throw new LoadBalancerStatusException(
                    $"no member of {dc} is health-checked by the load balancer ({members[0].Pool}/{members[0].Name} is '{members[0].State}'): its view proves nothing of {dc}");
            var serving = members.Count(m => m.Health != MemberHealth.NotServing);
            result.Add(new LoadBalancerPool(dc, serving > 0, serving, members.Count));
        }
        return result;
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern.Trim()).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
}

/// <summary>
/// HAProxy's stats page as CSV (<c>;csv</c>) and as JSON (<c>;json</c>). Facts from the HAProxy 2.6 management guide,
/// section 9.1 "CSV format" (fields 0 pxname, 1 svname, 17 status; FRONTEND and BACKEND rows are the proxies' own) and
/// section 9.2 (the typed JSON output: an array of rows, each an array of <c>{"field":{"name"},"value":{"value"}}</c>).
/// </summary>
public static class HaproxyStats
{
    public static PoolViewDocument ParseCsv(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
            throw new LoadBalancerStatusException($"HAProxy status is not the stats CSV (it should start with '# pxname,svname,...', found '{Excerpt(lines.FirstOrDefault())}')");
        var header = SplitCsv(lines[0][2..]);
        int Column(string name)
        {
            var i = header.IndexOf(name);
            return i >= 0 ? i : throw new LoadBalancerStatusException($"HAProxy stats CSV has no '{name}' column");
        }
        int px = Column("pxname"), sv = Column("svname"), status = Column("status");
        var rows = new List<(string Proxy, string Server, string Status)>();
        for (var n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0)
                continue;
            var fields = SplitCsv(lines[n]);
            if (fields.Count <= Math.Max(px, Math.Max(sv, status)))
                throw new LoadBalancerStatusException($"HAProxy stats CSV line {n + 1} has {fields.Count} fields, fewer than the header's columns");
            rows.Add((fields[px], fields[sv], fields[status]));
        }
        return Build(rows);
    }

    public static PoolViewDocument ParseJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new LoadBalancerStatusException("HAProxy stats JSON is not an array of rows");
            var rows = new List<(string, string, string)>();
            foreach (var row in document.RootElement.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array)
                    throw new LoadBalancerStatusException("an HAProxy stats JSON row is not an array of fields");
                string? pxname = null, svname = null, status = null;
                foreach (var field in row.EnumerateArray())
                {
                    if (field.ValueKind != JsonValueKind.Object
                        || !field.TryGetProperty("field", out var f) || f.ValueKind != JsonValueKind.Object
                        || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                        || !field.TryGetProperty("value", out var v) || v.ValueKind != JsonValueKind.Object
                        || !v.TryGetProperty("value", out var value))
                        continue;
                    var text1 = value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString();
                    switch (name.GetString())
                    {
                        case "pxname": pxname = text1; break;
                        case "svname": svname = text1; break;
                        case "status": status = text1; break;
                    }
                }
                if (pxname is null || svname is null)
                    throw new LoadBalancerStatusException("an HAProxy stats JSON row lacks 'pxname' or 'svname'");
                if (status is null)
                    throw new LoadBalancerStatusException($"HAProxy stats JSON row {pxname}/{svname} has no 'status'");
                rows.Add((pxname, svname, status));
            }
            return Build(rows);
        }
        catch (JsonException ex)
        {
            throw new LoadBalancerStatusException($"HAProxy status is not JSON: {ex.Message}");
        }
    }

    /// <summary>
    /// A server's status (field 17) as the witness reads it: <c>UP</c> and <c>UP 1/3</c> (up, failing checks: going
    /// down, still in the farm) serve; <c>DOWN</c>, <c>DOWN 1/2</c> (down, passing checks: going up, not in the farm
    /// yet), <c>NOLB</c> (up but refusing new load-balanced traffic), <c>MAINT</c> (also <c>MAINT (via ...)</c>,
    /// <c>MAINT (resolution)</c>) and <c>DRAIN</c> (weight 0) do not; <c>no check</c> takes traffic unchecked.
    /// </summary>
    public static MemberHealth Health(string status, string where)
    {
        var s = status.Trim();
        if (string.Equals(s, "no check", StringComparison.OrdinalIgnoreCase))
            return MemberHealth.Unchecked;
        var word = s.Split(' ', 2)[0].ToUpperInvariant();
        return word switch
        {
            "UP" => MemberHealth.Serving,
            "DOWN" or "NOLB" or "MAINT" or "DRAIN" => MemberHealth.NotServing,
            _ => throw new LoadBalancerStatusException($"HAProxy server {where} has an unknown status '{Excerpt(status)}'"),
        };
    }

    private static PoolViewDocument Build(List<(string Proxy, string Server, string Status)> rows)
    {
        var pools = new HashSet<string>(StringComparer.Ordinal);
        var members = new List<PoolMember>();
        foreach (var (proxy, server, status) in rows)
        {
            if (server == "FRONTEND")
                continue;
            pools.Add(proxy);
            if (server == "BACKEND")
                continue;
            members.Add(new PoolMember(proxy, server, Health(status, $"{proxy}/{server}"), status));
        }
        if (rows.Count == 0)
            throw new LoadBalancerStatusException("HAProxy stats list no proxy at all");
        return new PoolViewDocument(pools, members);
    }

    /// <summary>One CSV line; HAProxy quotes a field holding a comma or a quote (RFC 4180 style).</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"' && current.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }

    internal static string Excerpt(string? text)
    {
        text ??= "";
        text = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return text.Length <= 60 ? text : text[..60] + "...";
    }
}

/// <summary>
/// F5 BIG-IP iControl REST pool member statistics: <c>GET /mgmt/tm/ltm/pool/~Common~&lt;pool&gt;/members/stats</c>
/// (and <c>/mgmt/tm/gtm/pool/a/~Common~&lt;pool&gt;/members/stats</c> for DNS/GTM pools). The answer is
/// <c>{"entries":{"&lt;selfLink&gt;":{"nestedStats":{"entries":{"nodeName":{"description"},"port":{"value"},
/// "status.availabilityState":{"description"},"status.enabledState":{"description"}}}}}}</c>. Availability is
/// <c>available</c> (green), <c>offline</c> (red: its monitor failed), <c>unavailable</c> (yellow: a limit reached) or
/// <c>unknown</c> (blue: no monitor); enabled state is <c>enabled</c>, <c>disabled</c> or <c>disabled-by-parent</c>.
/// </summary>
public static class F5PoolStats
{
    public static IReadOnlyList<PoolMember> Parse(string pool, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}' are not a JSON object");
            if (!root.TryGetProperty("entries", out var entries))
                return []; // iControl REST leaves "entries" out of an empty collection.
            if (entries.ValueKind != JsonValueKind.Object)
                throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}': 'entries' is not an object");
            var members = new List<PoolMember>();
            foreach (var entry in entries.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Object
                    || !entry.Value.TryGetProperty("nestedStats", out var nested) || nested.ValueKind != JsonValueKind.Object
                    || !nested.TryGetProperty("entries", out var stats) || stats.ValueKind != JsonValueKind.Object)
                    throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}': an entry has no 'nestedStats.entries'");
                var availability = Description(stats, "status.availabilityState")
                    ?? throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}': a member has no 'status.availabilityState'");
                var enabled = Description(stats, "status.enabledState")
                    ?? throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}': a member has no 'status.enabledState'");
                var node = Description(stats, "nodeName") ?? Description(stats, "vsName") ?? Description(stats, "serverName") ?? entry.Name;
                var name = node.Contains('/') ? node[(node.LastIndexOf('/') + 1)..] : node;
                if (stats.TryGetProperty("port", out var port) && port.ValueKind == JsonValueKind.Object && port.TryGetProperty("value", out var p))
                    name += ":" + p.ToString();
                var isEnabled = enabled switch
                {
                    "enabled" => true,
                    "disabled" or "disabled-by-parent" => false,
                    _ => throw new LoadBalancerStatusException($"F5 member {pool}/{name} has an unknown enabled state '{HaproxyStats.Excerpt(enabled)}'"),
                };
                var health = availability switch
                {
                    "available" => MemberHealth.Serving,
                    "offline" or "unavailable" => MemberHealth.NotServing,
                    "unknown" => MemberHealth.Unchecked,
                    _ => throw new LoadBalancerStatusException($"F5 member {pool}/{name} has an unknown availability state '{HaproxyStats.Excerpt(availability)}'"),
                };
                members.Add(new PoolMember(pool, name, isEnabled ? health : MemberHealth.NotServing, $"{availability}/{enabled}"));
            }
            return members;
        }
        catch (JsonException ex)
        {
            throw new LoadBalancerStatusException($"F5 member stats of pool '{pool}' are not JSON: {ex.Message}");
        }
    }

    private static string? Description(JsonElement stats, string name) =>
        stats.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object && v.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String
            ? d.GetString()
            : null;

    /// <summary><c>/Common/pool_dc1</c> or <c>pool_dc1</c> (partition Common) as iControl REST writes it in a path: <c>~Common~pool_dc1</c>.</summary>
    public static string PathName(string pool) =>
        Uri.EscapeDataString(pool.StartsWith('/') ? pool.Replace('/', '~') : "~Common~" + pool).Replace("%7E", "~", StringComparison.Ordinal);
}

/// <summary>
/// NGINX Plus API <c>GET /api/&lt;version&gt;/http/upstreams</c>: <c>{"&lt;upstream&gt;":{"peers":[{"name","server",
/// "state","backup"}]}}</c>. A peer's state is <c>up</c>, <c>draining</c>, <c>down</c> (marked down by
/// configuration or the API), <c>unavail</c> (max_fails reached), <c>checking</c> (being checked before it gets traffic)
/// or <c>unhealthy</c> (failed its active health checks); only <c>up</c> takes new traffic.
/// </summary>
public static class NginxPlusUpstreams
{
    public static PoolViewDocument Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LoadBalancerStatusException("NGINX Plus upstreams are not a JSON object (name: upstream)");
            var pools = new HashSet<string>(StringComparer.Ordinal);
            var members = new List<PoolMember>();
            foreach (var upstream in root.EnumerateObject())
            {
                if (upstream.Value.ValueKind != JsonValueKind.Object || !upstream.Value.TryGetProperty("peers", out var peers) || peers.ValueKind != JsonValueKind.Array)
                    throw new LoadBalancerStatusException($"NGINX Plus upstream '{upstream.Name}' has no 'peers' array");
                pools.Add(upstream.Name);
                foreach (var peer in peers.EnumerateArray())
                {
                    if (peer.ValueKind != JsonValueKind.Object
                        || !peer.TryGetProperty("state", out var state) || state.ValueKind != JsonValueKind.String)
                        throw new LoadBalancerStatusException($"a peer of NGINX Plus upstream '{upstream.Name}' has no 'state'");
                    var name = peer.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                        : peer.TryGetProperty("server", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()!
                        : throw new LoadBalancerStatusException($"a peer of NGINX Plus upstream '{upstream.Name}' has neither 'name' nor 'server'");
                    var health = state.GetString() switch
                    {
                        "up" => MemberHealth.Serving,
                        "draining" or "down" or "unavail" or "checking" or "unhealthy" => MemberHealth.NotServing,
                        var other => throw new LoadBalancerStatusException($"NGINX Plus peer {upstream.Name}/{name} has an unknown state '{HaproxyStats.Excerpt(other)}'"),
                    };
                    members.Add(new PoolMember(upstream.Name, name, health, state.GetString()!));
                }
            }
            return new PoolViewDocument(pools, members);
        }
        catch (JsonException ex)
        {
            throw new LoadBalancerStatusException($"NGINX Plus upstreams are not JSON: {ex.Message}");
        }
    }
}

/// <summary>
/// Citrix ADC (NetScaler) NITRO statistics of the LB virtual servers: <c>GET /nitro/v1/stat/lbvserver</c> →
/// <c>{"errorcode":0,"message":"Done","lbvserver":[{"name","state","actsvcs","inactsvcs"}]}</c>. A virtual server's
/// state is UP, DOWN, OUT OF SERVICE, GOING OUT OF SERVICE, DOWN WHEN GOING OUT OF SERVICE (the documentation
/// abbreviates them OFS, TROFS, TROFS_DOWN) or UNKNOWN; <c>actsvcs</c> counts its active services, <c>inactsvcs</c>
/// its inactive ones. Each mapped virtual server is one datacenter's pool: its active services serve.
/// </summary>
public static class CitrixLbVservers
{
    public static PoolViewDocument Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LoadBalancerStatusException("Citrix NITRO answer is not a JSON object");
            if (root.TryGetProperty("errorcode", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() != 0)
                throw new LoadBalancerStatusException($"Citrix NITRO error {code.GetInt32()}: {(root.TryGetProperty("message", out var m) ? m.ToString() : "")}");
            if (!root.TryGetProperty("lbvserver", out var vservers) || vservers.ValueKind != JsonValueKind.Array)
                throw new LoadBalancerStatusException("Citrix NITRO answer has no 'lbvserver' array");
            var pools = new HashSet<string>(StringComparer.Ordinal);
            var members = new List<PoolMember>();
            foreach (var vserver in vservers.EnumerateArray())
            {
                if (vserver.ValueKind != JsonValueKind.Object
                    || !vserver.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                    || !vserver.TryGetProperty("state", out var s) || s.ValueKind != JsonValueKind.String)
                    throw new LoadBalancerStatusException("a Citrix lbvserver lacks 'name' or 'state'");
                var name = n.GetString()!;
                var state = s.GetString()!;
                var active = Count(vserver, "actsvcs", name);
                var inactive = Count(vserver, "inactsvcs", name);
                var up = state.ToUpperInvariant() switch
                {
                    "UP" => true,
                    "DOWN" or "OUT OF SERVICE" or "GOING OUT OF SERVICE" or "DOWN WHEN GOING OUT OF SERVICE" or "OFS" or "TROFS" or "TROFS_DOWN" => false,
                    _ => throw new LoadBalancerStatusException($"Citrix lbvserver '{name}' is in state '{HaproxyStats.Excerpt(state)}', which proves nothing"),
                };
                pools.Add(name);
                // The services behind it, as members: the active ones serve while the virtual server is UP.
                for (var i = 0; i < active; i++)
                    members.Add(new PoolMember(name, $"{name}#active{i + 1}", up ? MemberHealth.Serving : MemberHealth.NotServing, state));
                for (var i = 0; i < inactive; i++)
                    members.Add(new PoolMember(name, $"{name}#inactive{i + 1}", MemberHealth.NotServing, state));
            }
            return new PoolViewDocument(pools, members);
        }
        catch (JsonException ex)
        {
            throw new LoadBalancerStatusException($"Citrix NITRO answer is not JSON: {ex.Message}");
        }
    }

    /// <summary>NITRO writes counters as numbers or as strings of digits.</summary>
    private static int Count(JsonElement vserver, string field, string name)
    {
        if (!vserver.TryGetProperty(field, out var v))
            throw new LoadBalancerStatusException($"Citrix lbvserver '{name}' has no '{field}'");
        var ok = v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetDouble(out var d) ? (int?)d : null,
            JsonValueKind.String => double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (int?)d : null,
            _ => null,
        };
        return ok is >= 0 and <= 100_000 ? ok.Value : throw new LoadBalancerStatusException($"Citrix lbvserver '{name}': '{field}' is not a count");
    }
}
