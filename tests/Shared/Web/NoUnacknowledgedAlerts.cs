using ApimConsole.Core.Live;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Alerts;

namespace ApimConsole.Web.Tests.Components;

/// <summary>A host without notifications (a component test of the Overview or the wall): no alert is open.</summary>
public sealed class NoUnacknowledgedAlerts : IUnacknowledgedAlerts
{
    public ILiveFeed<long> Changes { get; } = new LiveFeed<long>(0);

    public Task<IReadOnlyList<Alert>> UnacknowledgedAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Alert>>([]);
}
