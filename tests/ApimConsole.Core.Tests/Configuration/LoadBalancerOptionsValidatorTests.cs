using ApimConsole.Core.Configuration;

namespace ApimConsole.Core.Tests.Configuration;

/// <summary><c>Estate:LoadBalancer</c> is checked at start, each problem naming its key.</summary>
public sealed class LoadBalancerOptionsValidatorTests
{
    private static EstateOptions Estate(Action<LoadBalancerOptions> configure)
    {
        var estate = new EstateOptions
        {
            Name = "Test estate",
            ConsoleDatacenter = "dc1",
            Datacenters =
            [
                new DatacenterOptions { Id = "dc1", Name = "Frankfurt", AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc1.test:8090"] } },
                new DatacenterOptions { Id = "dc2", Name = "Amsterdam", AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc2.test:8090"] } },
            ],
        };
        configure(estate.LoadBalancer);
        return estate;
    }

    private static void Haproxy(LoadBalancerOptions lb)
    {
        lb.Kind = "haproxycsv"; // case is ignored
        lb.StatusUrl = "http://lb.test:8404/stats";
        lb.Username = "witness";
        lb.Password = "secret";
        lb.Datacenters["dc1"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc1"] };
        lb.Datacenters["DC2"] = new LoadBalancerDatacenterOptions { Servers = ["ams-*"] };
    }

    private static IReadOnlyList<string> Errors(Action<LoadBalancerOptions> configure) => ConsoleOptionsValidator.Validate(Estate(configure));

    [Fact]
    public void NoWitness_TheLabKind_AndAMappedHaproxy_AreValid()
    {
        Assert.Empty(Errors(_ => { }));
        Assert.Empty(Errors(lb => lb.StatusUrl = "http://127.0.0.1:5000/lb/pools"));
        Assert.Empty(Errors(Haproxy));
        Assert.Empty(Errors(lb =>
        {
            Haproxy(lb);
            lb.StatusUrls = ["http://lb-dc2.test:8404/stats"];
        }));
        Assert.Empty(Errors(lb =>
        {
            lb.Kind = "F5";
            lb.StatusUrl = "https://bigip.test";
            lb.Token = "abc";
            lb.F5Module = "gtm";
            lb.Datacenters["dc1"] = new LoadBalancerDatacenterOptions { Pools = ["/Common/gw_dc1"] };
            lb.Datacenters["dc2"] = new LoadBalancerDatacenterOptions { Pools = ["/Common/gw_dc2"] };
        }));
    }

    [Theory]
    [InlineData("Kind", "Estate:LoadBalancer:Kind 'Nginx' is unknown: use one of Lab, HaproxyCsv, HaproxyJson, F5, NginxPlus, Citrix.")]
    [InlineData("NoUrl", "Estate:LoadBalancer:StatusUrl is required when Estate:LoadBalancer:Kind is HaproxyCsv.")]
    [InlineData("BadUrl", "Estate:LoadBalancer:StatusUrl 'lb.test/stats' is not an absolute http(s) URL.")]
    [InlineData("Unmapped", "Estate:LoadBalancer:Datacenters:dc2 must name the pools (Pools:N) or servers (Servers:N) of datacenter 'dc2': without them a HaproxyCsv witness cannot say whether dc2 is serving.")]
    [InlineData("UnknownDc", "Estate:LoadBalancer:Datacenters:dc3: 'dc3' is not the id of a configured datacenter (dc1, dc2).")]
    [InlineData("EmptyPool", "Estate:LoadBalancer:Datacenters:dc1:Pools:1 is empty.")]
    [InlineData("TwoDcs", "Estate:LoadBalancer:Datacenters: pool 'be_dc1' is mapped to more than one datacenter (dc1, dc3).")]
    [InlineData("Timeout", "Estate:LoadBalancer:Timeout must be between 50 ms and 1 minute (found 00:00:00.0010000).")]
    [InlineData("HalfCredentials", "Estate:LoadBalancer:Username and Estate:LoadBalancer:Password must be set together.")]
    [InlineData("F5Module", "Estate:LoadBalancer:F5Module 'Apm' is unknown: use 'Ltm' or 'Gtm'.")]
    [InlineData("CitrixServers", "Estate:LoadBalancer:Datacenters:DC2:Servers: the Citrix witness reads whole pools, one per datacenter (LB virtual servers): map them with Pools.")]
    [InlineData("F5Servers", "Estate:LoadBalancer:Datacenters:DC2:Servers: the F5 witness reads whole pools, one per datacenter (F5 pools): map them with Pools.")]
    [InlineData("MemberBadUrl", "Estate:LoadBalancer:StatusUrls:1 'lb2.test/stats' is not an absolute http(s) URL.")]
    [InlineData("MemberEmpty", "Estate:LoadBalancer:StatusUrls:0 is empty.")]
    [InlineData("MemberTwice", "Estate:LoadBalancer: the status URL 'http://lb.test:8404/stats' is given 2 times (StatusUrl and StatusUrls list each member once).")]
    [InlineData("MembersWithoutFirst", "Estate:LoadBalancer:StatusUrls adds members to Estate:LoadBalancer:StatusUrl, which is empty: set StatusUrl to the first member.")]
    public void BadWitnessConfiguration_NamesTheKey(string what, string message)
    {
        var errors = Errors(lb =>
        {
            Haproxy(lb);
            switch (what)
            {
                case "Kind": lb.Kind = "Nginx"; break;
                case "NoUrl": lb.StatusUrl = ""; break;
                case "BadUrl": lb.StatusUrl = "lb.test/stats"; break;
                case "Unmapped": lb.Datacenters.Remove("DC2"); break;
                case "UnknownDc": lb.Datacenters["dc3"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc3"] }; break;
                case "EmptyPool": lb.Datacenters["dc1"].Pools.Add(" "); break;
                case "TwoDcs": lb.Datacenters["dc3"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc1"] }; break;
                case "Timeout": lb.Timeout = TimeSpan.FromMilliseconds(1); break;
                case "CaFile": lb.CaFile = "/nonexistent/ca.pem"; break;
                case "HalfCredentials": lb.Password = null; break;
                case "F5Module": lb.F5Module = "Apm"; break;
                case "CitrixServers": lb.Kind = "Citrix"; break;
                case "F5Servers": lb.Kind = "F5"; break;
                case "MemberBadUrl": lb.StatusUrls = ["http://lb2.test:8404/stats", "lb2.test/stats"]; break;
                case "MemberEmpty": lb.StatusUrls = [" "]; break;
                case "MemberTwice": lb.StatusUrls = ["HTTP://LB.TEST:8404/stats/"]; break;
                case "MembersWithoutFirst": lb.StatusUrl = null; lb.StatusUrls = ["http://lb2.test:8404/stats"]; break;
            }
        });
        Assert.Contains(message, errors);
    }

    [Fact]
    public void AllStatusUrls_IsStatusUrlThenTheMembers_WithoutEmptyEntries()
    {
        Assert.Empty(new LoadBalancerOptions().AllStatusUrls());
        Assert.Equal(["http://a.test/stats"], new LoadBalancerOptions { StatusUrl = " http://a.test/stats " }.AllStatusUrls());
        Assert.Equal(["http://a.test/stats", "http://b.test/stats"],
            new LoadBalancerOptions { StatusUrl = "http://a.test/stats", StatusUrls = ["", "http://b.test/stats"] }.AllStatusUrls());
    }
}
