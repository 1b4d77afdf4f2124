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
