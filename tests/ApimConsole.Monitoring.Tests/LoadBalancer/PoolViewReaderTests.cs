using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.LoadBalancer;

namespace ApimConsole.Monitoring.Tests.LoadBalancer;

/// <summary>
/// The pool-view readers on documents of each kind. HAProxy's are captured from a real HAProxy 2.6 (and the live ones are
/// read again in <see cref="HaproxyWitnessLiveTests"/>); F5, NGINX Plus and Citrix cannot run here, so theirs are
/// written from each vendor's documentation, cited beside each sample.
/// </summary>
public sealed class PoolViewReaderTests
{
    private static PoolMapping Map(params (string Dc, string[] Pools, string[] Servers)[] datacenters) =>
        new(datacenters.ToDictionary(d => d.Dc, d => new LoadBalancerDatacenterOptions { Pools = [.. d.Pools], Servers = [.. d.Servers] }, StringComparer.OrdinalIgnoreCase));

    private static readonly PoolMapping ByBackend = Map(("dc1", ["be_dc1"], []), ("dc2", ["be_dc2"], []));

    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "LoadBalancer", "Samples", name));

    // --- HAProxy (management guide 2.6, https://docs.haproxy.org/2.6/management.html, 9.1 "CSV format", 9.2 typed output) ---

    [Fact]
    public void CapturedHaproxyCsv_GivesEachDatacentersPool()
    {
        // Captured from haproxy 2.6.12 (Debian): be_dc1 has one server UP and one DOWN (refused); be_dc2 one DOWN and one
        // without checks ("no check"), which serves unchecked.
        var pools = ByBackend.Apply(HaproxyStats.ParseCsv(Sample("haproxy-2.6-stats.csv")));
        Assert.Equal([new LoadBalancerPool("dc1", true, 1, 2), new LoadBalancerPool("dc2", true, 1, 2)], pools);
    }

    [Fact]
    public void CapturedHaproxyJson_SaysWhatTheCsvSays()
    {
        var csv = HaproxyStats.ParseCsv(Sample("haproxy-2.6-stats.csv"));
        var json = HaproxyStats.ParseJson(Sample("haproxy-2.6-stats.json"));
        Assert.Equal(csv.Members, json.Members);
        Assert.Equal(csv.Pools.Order(), json.Pools.Order());
        Assert.Contains(json.Members, m => (m.Pool, m.Name, m.Health, m.State) == ("be_dc2", "dc2-instance-4", MemberHealth.Unchecked, "no check"));
    }

    [Theory]
    [InlineData("UP", MemberHealth.Serving)]
    [InlineData("UP 1/3", MemberHealth.Serving)] // up, failing checks: going down, still in the farm
    [InlineData("DOWN", MemberHealth.NotServing)]
    [InlineData("DOWN 1/2", MemberHealth.NotServing)] // down, passing checks: going up, not in the farm yet
    [InlineData("NOLB", MemberHealth.NotServing)]
    [InlineData("NOLB 1/2", MemberHealth.NotServing)]
    [InlineData("MAINT", MemberHealth.NotServing)]
    [InlineData("MAINT (via be_dc1/dc1-gw1)", MemberHealth.NotServing)]
    [InlineData("MAINT (resolution)", MemberHealth.NotServing)]
    [InlineData("DRAIN", MemberHealth.NotServing)]
    [InlineData("DRAIN 1/2", MemberHealth.NotServing)]
    [InlineData("DOWN (agent)", MemberHealth.NotServing)]
    [InlineData("no check", MemberHealth.Unchecked)]
    public void HaproxyServerStatus_HasItsDocumentedMeaning(string status, MemberHealth health) =>
        Assert.Equal(health, HaproxyStats.Health(status, "be/srv"));

    [Fact]
    public void HaproxyUnknownStatus_IsAnErrorNamingIt()
    {
        var e = Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.Health("SLEEPY", "be_dc2/gw"));
        Assert.Equal("HAProxy server be_dc2/gw has an unknown status 'SLEEPY'", e.Message);
    }

    [Fact]
    public void OneBackendForBothDatacenters_IsSplitByServerNamePatterns()
    {
        const string csv = """
            # pxname,svname,status,weight
            gateways,dc1-gw1,UP,1
            gateways,dc1-gw2,"UP 1/3",1
            gateways,dc2-gw1,DOWN,1
            gateways,dc2-gw2,MAINT,1
            gateways,BACKEND,UP,2
            """;
        var pools = Map(("dc1", [], ["dc1-*"]), ("dc2", [], ["dc2-*"])).Apply(HaproxyStats.ParseCsv(csv));
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", false, 0, 2)], pools);
    }

    [Fact]
    public void MappingKeys_AreMatchedToTheDatacenterIds_IgnoringCase_InConfigurationOrder()
    {
        var map = new Dictionary<string, LoadBalancerDatacenterOptions>(StringComparer.Ordinal)
        {
            ["DC2"] = new() { Pools = ["be_dc2"] },
            ["Dc1"] = new() { Pools = ["be_dc1"] },
        };
        var pools = new PoolMapping(map, ["dc1", "dc2"]).Apply(HaproxyStats.ParseCsv(Sample("haproxy-2.6-stats.csv")));
        Assert.Equal(["dc1", "dc2"], pools.Select(p => p.DatacenterId));
    }

    [Fact]
    public void BadHaproxyDocuments_AreErrorsThatSayWhy()
    {
        Assert.Contains("is not the stats CSV", Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.ParseCsv("""{"pools":[]}""")).Message);
        Assert.Contains("has no 'svname' column", Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.ParseCsv("# pxname,status\nbe,UP\n")).Message);
        Assert.Contains("line 2 has 2 fields", Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.ParseCsv("# pxname,svname,qcur,status\nbe,srv\n")).Message);
        Assert.Contains("not an array of rows", Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.ParseJson("{}")).Message);
        Assert.Contains("is not JSON", Assert.Throws<LoadBalancerStatusException>(() => HaproxyStats.ParseJson(Sample("haproxy-2.6-stats.csv"))).Message);
        var absent = Assert.Throws<LoadBalancerStatusException>(() => Map(("dc1", ["be_dc1"], []), ("dc2", ["be_dc3"], [])).Apply(HaproxyStats.ParseCsv(Sample("haproxy-2.6-stats.csv"))));
        Assert.Equal("pool 'be_dc3' (mapped to dc2) is not in the load balancer's status", absent.Message);
        var noMatch = Assert.Throws<LoadBalancerStatusException>(() => Map(("dc1", ["be_dc1"], []), ("dc2", [], ["ams-*"])).Apply(HaproxyStats.ParseCsv(Sample("haproxy-2.6-stats.csv"))));
        Assert.Equal("no member of dc2 in the load balancer's status (servers matching 'ams-*')", noMatch.Message);
    }

    // --- F5 BIG-IP iControl REST (https://clouddocs.f5.com/api/icontrol-rest/ : GET /mgmt/tm/ltm/pool/~Common~<pool>/members/stats;
    //     each entry's nestedStats.entries carries status.availabilityState and status.enabledState as {"description"}) ---

    // Written from the iControl REST reference: pool be_dc1 with one member available and enabled, one offline (its
    // monitor failed); be_dc2 with one member available but disabled by the operator, one available but its node disabled.
    private const string F5PoolDc1 = """
        {
          "kind": "tm:ltm:pool:members:membersstats",
          "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc1/members/stats?ver=16.1.0",
          "entries": {
            "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc1/members/~Common~fra-gw1:8080/stats": {
              "nestedStats": {
                "kind": "tm:ltm:pool:members:membersstats",
                "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc1/members/~Common~fra-gw1:8080/stats?ver=16.1.0",
                "entries": {
                  "addr": { "description": "10.1.0.11" },
                  "nodeName": { "description": "/Common/fra-gw1" },
                  "poolName": { "description": "/Common/be_dc1" },
                  "port": { "value": 8080 },
                  "serverside.curConns": { "value": 3 },
                  "status.availabilityState": { "description": "available" },
                  "status.enabledState": { "description": "enabled" },
                  "status.statusReason": { "description": "Pool member is available" }
                }
              }
            },
            "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc1/members/~Common~fra-gw2:8080/stats": {
              "nestedStats": {
                "entries": {
                  "addr": { "description": "10.1.0.12" },
                  "nodeName": { "description": "/Common/fra-gw2" },
                  "port": { "value": 8080 },
                  "status.availabilityState": { "description": "offline" },
                  "status.enabledState": { "description": "enabled" },
                  "status.statusReason": { "description": "Pool member has been marked down by a monitor" }
                }
              }
            }
          }
        }
        """;

    private const string F5PoolDc2 = """
        {
          "kind": "tm:ltm:pool:members:membersstats",
          "entries": {
            "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc2/members/~Common~ams-gw1:8080/stats": {
              "nestedStats": {
                "entries": {
                  "nodeName": { "description": "/Common/ams-gw1" },
                  "port": { "value": 8080 },
                  "status.availabilityState": { "description": "available" },
                  "status.enabledState": { "description": "disabled" }
                }
              }
            },
            "https://localhost/mgmt/tm/ltm/pool/~Common~be_dc2/members/~Common~ams-gw2:8080/stats": {
              "nestedStats": {
                "entries": {
                  "nodeName": { "description": "/Common/ams-gw2" },
                  "port": { "value": 8080 },
                  "status.availabilityState": { "description": "available" },
                  "status.enabledState": { "description": "disabled-by-parent" }
                }
              }
            }
          }
        }
        """;

    [Fact]
    public void F5MemberStats_AvailableAndEnabledServe_OfflineOrDisabledDoNot()
    {
        var members = F5PoolStats.Parse("be_dc1", F5PoolDc1).Concat(F5PoolStats.Parse("be_dc2", F5PoolDc2)).ToList();
        Assert.Equal(["fra-gw1:8080", "fra-gw2:8080", "ams-gw1:8080", "ams-gw2:8080"], members.Select(m => m.Name));
        var pools = ByBackend.Apply(new PoolViewDocument(new HashSet<string> { "be_dc1", "be_dc2" }, members));
        Assert.Equal([new LoadBalancerPool("dc1", true, 1, 2), new LoadBalancerPool("dc2", false, 0, 2)], pools);
    }

    [Fact]
    public void F5_UnmonitoredMembers_ProveNothing_AndOddStatesAreErrors()
    {
        var blue = F5PoolDc1.Replace("\"available\"", "\"unknown\"", StringComparison.Ordinal).Replace("\"offline\"", "\"unknown\"", StringComparison.Ordinal);
        var members = F5PoolStats.Parse("be_dc1", blue);
        Assert.All(members, m => Assert.Equal(MemberHealth.Unchecked, m.Health));
        Assert.Contains("no member of dc1 is health-checked", Assert.Throws<LoadBalancerStatusException>(() =>
            ByBackend.Apply(new PoolViewDocument(new HashSet<string> { "be_dc1", "be_dc2" }, [.. members, .. F5PoolStats.Parse("be_dc2", F5PoolDc2)]))).Message);
        Assert.Contains("unknown enabled state 'sort-of'", Assert.Throws<LoadBalancerStatusException>(() =>
            F5PoolStats.Parse("be_dc2", F5PoolDc2.Replace("\"disabled\"", "\"sort-of\"", StringComparison.Ordinal))).Message);
        Assert.Contains("has no 'status.availabilityState'", Assert.Throws<LoadBalancerStatusException>(() =>
            F5PoolStats.Parse("be_dc1", """{"entries":{"x":{"nestedStats":{"entries":{"status.enabledState":{"description":"enabled"}}}}}}""")).Message);
        Assert.Empty(F5PoolStats.Parse("be_dc1", """{"kind":"tm:ltm:pool:members:membersstats"}"""));
    }

    [Theory]
    [InlineData("Ltm", "/mgmt/tm/ltm/pool/~Common~be_dc1/members/stats", "/mgmt/tm/ltm/pool/~Common~be_dc2/members/stats")]
    [InlineData("Gtm", "/mgmt/tm/gtm/pool/a/~Common~be_dc1/members/stats", "/mgmt/tm/gtm/pool/a/~Common~be_dc2/members/stats")]
    public async Task F5Witness_ReadsEachMappedPoolsMemberStats_WithItsToken(string module, string dc1Path, string dc2Path)
    {
        var paths = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var f5 = Hostile.HostilePeer.HttpAnswering(path =>
        {
            paths.Add(path);
            return Hostile.HostilePeer.HttpResponse(200, path.Contains("be_dc1", StringComparison.Ordinal) ? F5PoolDc1 : F5PoolDc2);
        });
        var options = new LoadBalancerOptions
        {
            Kind = "F5",
            F5Module = module,
            StatusUrl = f5.Url.ToString(),
            Token = "token",
            Datacenters = { ["dc1"] = new() { Pools = ["be_dc1"] }, ["dc2"] = new() { Pools = ["/Common/be_dc2"] } },
        };
        using var http = LoadBalancerWitnesses.CreateHttpClient(options, TimeSpan.FromSeconds(2));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var witness = LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http);
        var pools = await witness.ReadPoolsAsync(cts.Token);

        Assert.Equal([new LoadBalancerPool("dc1", true, 1, 2), new LoadBalancerPool("dc2", false, 0, 2)], pools);
        Assert.Equal([dc1Path, dc2Path], paths.Order(StringComparer.Ordinal));
        Assert.Equal(module == "Gtm" ? "F5 BIG-IP DNS" : "F5 BIG-IP", witness.Product);
    }

    [Theory]
    [InlineData("be_dc1", "~Common~be_dc1")]
    [InlineData("/Common/be_dc1", "~Common~be_dc1")]
    [InlineData("/Prod/gateways dc2", "~Prod~gateways%20dc2")]
    public void F5PoolNames_BecomeTildePaths(string pool, string path) => Assert.Equal(path, F5PoolStats.PathName(pool));

    // --- NGINX Plus API (https://nginx.org/en/docs/http/ngx_http_api_module.html, /http/upstreams/: each upstream's
    //     "peers" with "state": up, draining, down, unavail, checking, unhealthy) ---

    // Written from the ngx_http_api_module reference (API version 9): gw_fra has one peer up and one draining; gw_ams one
    // unhealthy (failed active health checks), one unavail (max_fails), one checking (slow start after recovery).
    private const string NginxUpstreams = """
        {
          "gw_fra": {
            "peers": [
              { "id": 0, "server": "10.1.0.11:8080", "name": "10.1.0.11:8080", "backup": false, "weight": 1, "state": "up", "active": 2,
                "requests": 8120, "responses": { "2xx": 8000, "5xx": 3, "total": 8119 }, "health_checks": { "checks": 1400, "fails": 0, "unhealthy": 0, "last_passed": true } },
              { "id": 1, "server": "10.1.0.12:8080", "name": "10.1.0.12:8080", "backup": false, "weight": 1, "state": "draining", "active": 1 }
            ],
            "keepalive": 0, "zombies": 0, "zone": "gw_fra"
          },
          "gw_ams": {
            "peers": [
              { "id": 0, "server": "10.2.0.11:8080", "name": "10.2.0.11:8080", "backup": false, "weight": 1, "state": "unhealthy",
                "health_checks": { "checks": 1400, "fails": 12, "unhealthy": 1, "last_passed": false } },
              { "id": 1, "server": "10.2.0.12:8080", "name": "10.2.0.12:8080", "backup": false, "weight": 1, "state": "unavail" },
              { "id": 2, "server": "10.2.0.13:8080", "name": "10.2.0.13:8080", "backup": true, "weight": 1, "state": "checking" }
            ],
            "keepalive": 0, "zombies": 0, "zone": "gw_ams"
          }
        }
        """;

    [Fact]
    public void NginxPlusPeers_OnlyUpServes()
    {
        var pools = Map(("dc1", ["gw_fra"], []), ("dc2", ["gw_ams"], [])).Apply(NginxPlusUpstreams.Parse(NginxUpstreams));
        Assert.Equal([new LoadBalancerPool("dc1", true, 1, 2), new LoadBalancerPool("dc2", false, 0, 3)], pools);
        var byAddress = Map(("dc1", [], ["10.1.*"]), ("dc2", [], ["10.2.*"])).Apply(NginxPlusUpstreams.Parse(NginxUpstreams));
        Assert.Equal(pools, byAddress);
    }

    [Fact]
    public void BadNginxPlusDocuments_AreErrorsThatSayWhy()
    {
        Assert.Contains("not a JSON object", Assert.Throws<LoadBalancerStatusException>(() => NginxPlusUpstreams.Parse("[]")).Message);
        Assert.Contains("has an unknown state 'resting'", Assert.Throws<LoadBalancerStatusException>(() =>
            NginxPlusUpstreams.Parse(NginxUpstreams.Replace("\"draining\"", "\"resting\"", StringComparison.Ordinal))).Message);
        Assert.Contains("pool 'gw_par' (mapped to dc2)", Assert.Throws<LoadBalancerStatusException>(() =>
            Map(("dc1", ["gw_fra"], []), ("dc2", ["gw_par"], [])).Apply(NginxPlusUpstreams.Parse(NginxUpstreams))).Message);
    }

    // --- Citrix ADC NITRO (https://developer-docs.netscaler.com/en-us/adc-nitro-api/current-release/statistics/lb/lbvserver :
    //     GET /nitro/v1/stat/lbvserver → lbvserver[] with name, state, actsvcs, inactsvcs) ---

    // Written from the NITRO statistics reference: vs_fra UP with 2 active services; vs_ams DOWN with both inactive;
    // vs_old taken out of service by the operator. NITRO writes counters as strings of digits or as numbers.
    private const string CitrixVservers = """
        {
          "errorcode": 0, "message": "Done", "severity": "NONE",
          "lbvserver": [
            { "name": "vs_fra", "primaryipaddress": "192.0.2.10", "primaryport": 443, "type": "SSL", "state": "UP",
              "actsvcs": "2", "inactsvcs": "0", "vslbhealth": "100", "tothits": "81200" },
            { "name": "vs_ams", "primaryipaddress": "192.0.2.20", "primaryport": 443, "type": "SSL", "state": "DOWN",
              "actsvcs": "0", "inactsvcs": "2", "vslbhealth": "0", "tothits": "40100" },
            { "name": "vs_old", "primaryipaddress": "192.0.2.30", "primaryport": 443, "type": "SSL", "state": "OUT OF SERVICE",
              "actsvcs": 2, "inactsvcs": 0, "vslbhealth": 100 }
          ]
        }
        """;

    [Fact]
    public void CitrixVirtualServers_UpWithActiveServicesServes_DownOrOutOfServiceDoesNot()
    {
        var document = CitrixLbVservers.Parse(CitrixVservers);
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", false, 0, 2)],
            Map(("dc1", ["vs_fra"], []), ("dc2", ["vs_ams"], [])).Apply(document));
        Assert.Equal([new LoadBalancerPool("dc1", true, 2, 2), new LoadBalancerPool("dc2", false, 0, 2)],
            Map(("dc1", ["vs_fra"], []), ("dc2", ["vs_old"], [])).Apply(document));
    }

    [Fact]
    public void BadCitrixDocuments_AreErrorsThatSayWhy()
    {
        Assert.Contains("no 'lbvserver' array", Assert.Throws<LoadBalancerStatusException>(() => CitrixLbVservers.Parse("""{"errorcode":0}""")).Message);
        Assert.Contains("'actsvcs' is not a count", Assert.Throws<LoadBalancerStatusException>(() =>
            CitrixLbVservers.Parse(CitrixVservers.Replace("\"actsvcs\": \"2\"", "\"actsvcs\": \"many\"", StringComparison.Ordinal))).Message);
        Assert.Contains("state 'UNKNOWN', which proves nothing", Assert.Throws<LoadBalancerStatusException>(() =>
            CitrixLbVservers.Parse(CitrixVservers.Replace("\"DOWN\"", "\"UNKNOWN\"", StringComparison.Ordinal))).Message);
    }
}
