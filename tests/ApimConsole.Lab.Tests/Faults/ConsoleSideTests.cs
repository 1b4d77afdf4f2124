using System.Net;
using ApimConsole.Lab.Faults;

namespace ApimConsole.Lab.Tests.Faults;

/// <summary>Two consoles, one per datacenter: the lab tells which side a console sits on by its source address.</summary>
public class ConsoleSideTests
{
    private static LabFaults Faults() => new("dc1",
        new Dictionary<string, IReadOnlySet<string>> { ["dc1"] = new HashSet<string> { "anm" }, ["dc2"] = new HashSet<string> { "anm" } },
        TimeSpan.FromMilliseconds(100), TimeProvider.System, ["dc1", "dc2"]);

    [Fact]
    public void LinkDown_CutsEachConsoleOffFromTheOtherDatacenter_NotTheLoadBalancer()
    {
        var faults = Faults();
        faults.Apply("link", "down", "test");
        var dc1Console = LabAddresses.ConsoleSource(0);
        var dc2Console = LabAddresses.ConsoleSource(1);
        Assert.Equal(IPAddress.Parse("127.0.3.1"), dc1Console);
        Assert.Equal(IPAddress.Parse("127.0.3.2"), dc2Console);

        Assert.Equal(FaultMode.None, faults.ModeFor("dc1", "anm", dc1Console));
        Assert.Equal(FaultMode.Down, faults.ModeFor("dc2", "anm", dc1Console));
        Assert.Equal(FaultMode.None, faults.ModeFor("dc2", "anm", dc2Console));
        Assert.Equal(FaultMode.Down, faults.ModeFor("dc1", "anm", dc2Console));
        // Any other address is the lab's Lab:ConsoleDatacenter, as before; the load balancer does not use the link.
        Assert.Equal(FaultMode.Down, faults.ModeFor("dc2", "anm", IPAddress.Loopback));
        Assert.Equal(FaultMode.None, faults.ModeFor("dc1", "anm", IPAddress.Loopback));
        Assert.Equal(FaultMode.None, faults.ModeFor("dc2", "anm", LabAddresses.LoadBalancerSource));
        Assert.Equal("dc2", faults.ConsoleDatacenterOf(IPAddress.Parse("127.0.3.2").MapToIPv6()));
        Assert.Equal("dc1", faults.ConsoleDatacenterOf(IPAddress.Parse("127.0.3.9")));
    }
}
