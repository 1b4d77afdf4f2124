using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// A component that shows live estate state. It subscribes to the status engine (never probes), re-renders at
/// most once per <see cref="Throttle"/> however fast changes come, and unsubscribes when disposed.
/// </summary>
public abstract class EstateComponentBase : ComponentBase, IDisposable
{
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(100);

    private readonly CancellationTokenSource _disposed = new();
    private EstateSubscription? _subscription;

    [Inject] public required IEstateStatus Status { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    protected EstateSnapshot Snapshot { get; private set; } = null!;

    protected override void OnInitialized()
    {
        // Capacity 1: when renders fall behind, the newest snapshot replaces the waiting one.
        _subscription = Status.Subscribe(capacity: 1);
        Snapshot = _subscription.Snapshot;
        _ = PumpAsync(_subscription, _disposed.Token);
    }

    private async Task PumpAsync(EstateSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in subscription.Updates.ReadAllAsync(cancellationToken))
            {
                Snapshot = snapshot;
                await InvokeAsync(StateHasChanged);
                await Task.Delay(Throttle, Time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Errors from the background loop belong to this component's circuit, not to the status engine.
            await DispatchExceptionAsync(ex);
        }
    }

    public virtual void Dispose()
    {
        _disposed.Cancel();
        _subscription?.Dispose();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
