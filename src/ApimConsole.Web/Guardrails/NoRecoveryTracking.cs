using ApimConsole.Core.Recovery;

namespace ApimConsole.Web.Guardrails;

/// <summary>
/// The stand-in until incident recording provides <see cref="IRecoveryStatus"/>: no recovery is known to be
/// incomplete. Registered with <c>TryAdd</c>, so the real one, registered first, replaces it.
/// </summary>
public sealed class NoRecoveryTracking : IRecoveryStatus
{
    public IReadOnlyList<IncompleteRecovery> Incomplete => [];

    public event Action? Changed
    {
        add { }
        remove { }
    }
}
