using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;

namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// The one source of live estate state. Pages, the hub, the API and storage subscribe; nothing else probes.
/// <see cref="ILiveFeed{T}.Current"/> moves on every assessment (<see cref="EstateSnapshot.AsOf"/> moves even when
/// nothing changed); subscribers hear only snapshots that say something new. Each snapshot is complete, so a subscriber
/// that falls behind and loses the oldest still has the truth in the newest.
/// </summary>
public interface IEstateStatus : ILiveFeed<EstateSnapshot>;

/// <summary>
/// Evidence of this console's own datacenter made after a given time, for the console in the other datacenter
/// (<c>GET /api/peer/view?freshAfter=</c>): the status engine probes its own datacenter at once, at most one forced
/// round per <see cref="Core.Peer.PeerProtocol.ForcedRoundSpacing"/>.
/// </summary>
public interface IOwnDatacenterEvidence
{
    /// <summary>
    /// An assessment made once every component of the own datacenter has a result from a probe that started at or after
    /// <paramref name="after"/> (at most now), or after <paramref name="wait"/> with what there is by then.
    /// </summary>
    Task<EstateSnapshot> AssessFreshAsync(DateTimeOffset after, TimeSpan wait, CancellationToken cancellationToken);
}
