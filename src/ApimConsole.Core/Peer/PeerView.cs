using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Peer;

/// <summary>
/// What a console tells the console in the other datacenter about its own datacenter (<c>GET /api/peer/view</c>):
/// only what it observed itself, never what it heard from its own peer. Read-only; served to a Viewer token.
/// </summary>
/// <param name="Version">The console's version: consoles on different versions do not witness for each other.</param>
/// <param name="Datacenter">The datacenter the console runs in (<c>Estate:ConsoleDatacenter</c>).</param>
/// <param name="At">When the console assessed what it reports.</param>
/// <param name="FailingComponents">
/// Components of its datacenter whose latest probe failed but that are not Down yet (falling: their state does not show
/// it yet). Components already Down are in <see cref="Own"/> as such.
/// </param>
/// <param name="Own">Its own datacenter, components with state and since, as its status engine assessed them.</param>
/// <param name="Answered">
/// Per component key (<c>dc2/instance-1</c>), when its latest successful probe started, on the peer's clock: a probe
/// that started after T and succeeded proves the component answered after T. Components never answered are absent.
/// </param>
/// <param name="Traffic">Traffic rates of its datacenter, when it collects traffic.</param>
/// <param name="Logs">The state of its datacenter's log tail, when it reads logs.</param>
/// <param name="Deployment">Whether a deployment is running from that console.</param>
public sealed record PeerView(
    string Version,
    string Datacenter,
    DateTimeOffset At,
    int FailingComponents,
    DatacenterSnapshot Own,
    IReadOnlyDictionary<string, DateTimeOffset>? Answered,
    PeerTraffic? Traffic,
    PeerLogTail? Logs,
    PeerDeployment Deployment);

/// <summary>Requests per second in the last window, and the share that failed.</summary>
public sealed record PeerTraffic(DateTimeOffset? AsOf, double RequestsPerSecond, double FailuresPerSecond);

/// <summary>The log tail of the peer's datacenter: its state ("Tailing", "Unreachable", ...) and why.</summary>
public sealed record PeerLogTail(string State, string? Reason, DateTimeOffset? LastReadAt);

/// <summary>A deployment running from the peer console (queued or pushing), or none.</summary>
public sealed record PeerDeployment(bool Running, string? Id = null, string? Description = null, DateTimeOffset? Since = null);

/// <summary>The console that reported a datacenter's state, when it is not this one: a sighting through the peer.</summary>
public sealed record PeerSighting(string ConsoleDatacenter, DateTimeOffset At)
{
    /// <summary>"as seen by the console in dc2, 10:46:33" (UTC).</summary>
    public string Label => $"as seen by the console in {ConsoleDatacenter}, {At.UtcDateTime:HH:mm:ss}";
}

/// <summary>
/// What this console knows of its peer right now. A peer that is slow, hung, down, on another version or refusing the
/// token is no witness (<see cref="Available"/> false, with <see cref="Reason"/>), never a verdict.
/// </summary>
/// <param name="Datacenter">The peer's datacenter, as configured or as it last said.</param>
/// <param name="Url">Where the peer is read (for screens; no credentials).</param>
/// <param name="Available">The last read succeeded and is recent.</param>
/// <param name="Reason">Why there is no peer witness (null when available).</param>
/// <param name="View">The last view read (kept while unavailable, for the record; only used as evidence when available).</param>
/// <param name="ReadAt">When <see cref="View"/> was read.</param>
/// <param name="Since">When <see cref="Available"/> last changed.</param>
public sealed record PeerWitness(
    string? Datacenter,
    string Url,
    bool Available,
    string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore] PeerView? View,
    DateTimeOffset? ReadAt,
    DateTimeOffset Since)
{
    /// <summary>The view, when it may be used as evidence (not serialized: the snapshot says whether, not the whole view).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public PeerView? Evidence => Available ? View : null;

    public string Describe() => Available ? $"the console in {Datacenter}" : $"no peer witness ({Reason})";
}
