using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.Peer;

namespace ApimConsole.Web.Peer;

/// <summary>
/// A deployment may start from either console, never from both at once: before one starts, the peer is read afresh
/// (within <c>Peer:Timeout</c>) and a deployment it reports queued or running refuses this one. A console's own request
/// is stored (Pending, so its peer's reads see it) before it asks, so two consoles asking at the same moment both see
/// the other's and both refuse rather than both push. A peer that cannot be read is no witness: the request goes on
/// (with the link down the guardrail blocks it anyway).
/// </summary>
public sealed class PeerDeploymentExclusion(PeerWitnessReader reader)
{
    /// <summary>Why this console may not start a deployment now (the peer's running one), or null.</summary>
    public async Task<(string Message, PeerDeployment Deployment, string Datacenter)?> PeerRunningAsync(CancellationToken cancellationToken)
    {
        if (reader.Current is null)
            return null;
        await reader.ReadOnceAsync(cancellationToken);
        var peer = reader.Current;
        if (peer is not { Available: true, View: { Deployment.Running: true } view })
            return null;
        var what = view.Deployment.Description is { Length: > 0 } d ? $" (#{view.Deployment.Id}: {d})" : "";
        return ($"The console in {view.Datacenter} is running a deployment{what}: one deployment at a time across both consoles. "
                + "Wait until it has finished, then deploy again.", view.Deployment, view.Datacenter);
    }
}
