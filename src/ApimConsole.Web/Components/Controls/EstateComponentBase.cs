using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// A component that shows live estate state: it watches the status engine (never probes) through
/// <see cref="LiveComponentBase"/>, so it re-renders at most once per <see cref="LiveComponentBase.Throttle"/> however
/// fast changes come, and unsubscribes when disposed.
/// </summary>
public abstract class EstateComponentBase : LiveComponentBase
{
    [Inject] public required IEstateStatus Status { get; init; }

    protected EstateSnapshot Snapshot { get; private set; } = null!;

    protected override void OnInitialized() => Snapshot = Watch(Status, snapshot => Snapshot = snapshot);
}
