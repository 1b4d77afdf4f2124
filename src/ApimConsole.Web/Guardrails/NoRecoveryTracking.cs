using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;

namespace ApimConsole.Web.Guardrails;

/// <summary>
/// The stand-in until incident recording provides <see cref="IRecoveryStatus"/>: no recovery is known to be
/// incomplete, and none ever will be. Registered with <c>TryAdd</c>, so the real one, registered first, replaces it.
/// </summary>
public sealed class NoRecoveryTracking : IRecoveryStatus
{
    private readonly LiveFeed<IReadOnlyList<IncompleteRecovery>> _none = new([]);

    public IReadOnlyList<IncompleteRecovery> Current => [];

    public bool Tracked => false;

    public FeedSubscription<IReadOnlyList<IncompleteRecovery>> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _none.Subscribe(capacity);
}
