using System.Net;

namespace ApimConsole.Lab.Faults;

/// <summary>What a lab endpoint does with a connection, given the faults in force.</summary>
public enum FaultMode
{
    /// <summary>Answer normally.</summary>
    None,
    /// <summary>Refuse: the connection is closed at once, as a stopped process or a cut network would.</summary>
    Down,
    /// <summary>Accept and never answer.</summary>
    Hang,
    /// <summary>Answer, but only after <see cref="IEndpointFaults.SlowDelay"/>.</summary>
    Slow,
}

/// <summary>
/// The lab's fault registry as seen by one endpoint. The remote address matters: the inter-DC link fault cuts the
/// console's connections to the other datacenter, but not the global load balancer's (which connects from
/// <see cref="LabAddresses.LoadBalancerSource"/>).
/// </summary>
public interface IEndpointFaults
{
    FaultMode ModeFor(string datacenterId, string componentId, IPAddress? remote);
    TimeSpan SlowDelay { get; }

    /// <summary>
    /// True when this one probe (an HTTP request, or a new CQL connection) from <paramref name="remote"/> is to be
    /// dropped at random: the soak's "5% of probes lost" without any component being really down.
    /// </summary>
    bool DropProbe(IPAddress? remote) => false;
}

public static class LabAddresses
{
    /// <summary>The source address the lab's load balancer binds its outgoing connections to.</summary>
    public static readonly IPAddress LoadBalancerSource = IPAddress.Parse("127.0.0.2");

    /// <summary>
    /// The source address of a console in the datacenter at <paramref name="datacenterIndex"/> (0-based, in the lab's
    /// order): 127.0.3.1 for the first, 127.0.3.2 for the second. A console connecting from any other address (the
    /// default 127.0.0.1) sits in the lab's <c>Lab:ConsoleDatacenter</c>.
    /// </summary>
    public static IPAddress ConsoleSource(int datacenterIndex) => new([127, 0, 3, (byte)(datacenterIndex + 1)]);
}
