using System.Text.Json.Nodes;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Peer;

/// <summary>
/// What the pages read of the other datacenter through its console during a partition (<see cref="PeerLogRelay"/>):
/// whether a datacenter's logs or traffic come through the peer now, and the peer's JSON, marked <c>through</c>.
/// </summary>
public interface IPeerReads
{
    /// <summary>Whether a read of <paramref name="datacenter"/>'s logs goes through the peer: cut off here, its console a witness.</summary>
    bool ShouldRelay(string datacenter, TraceTailStatus? local);

    /// <summary>
    /// Whether <paramref name="datacenter"/>'s traffic is shown as its own console collects it: this console did not
    /// collect it, the datacenter is cut off from here (Unreachable) and its console is a witness.
    /// </summary>
    bool TrafficThroughPeer(string datacenter, bool collectedHere, EstateSnapshot estate);

    /// <summary>The peer's JSON at <paramref name="pathAndQuery"/> within <c>Peer:Timeout</c>, with <c>through</c> added; null when it did not answer well.</summary>
    Task<JsonObject?> PeerJsonAsync(string datacenter, string pathAndQuery, CancellationToken cancellationToken);
}
