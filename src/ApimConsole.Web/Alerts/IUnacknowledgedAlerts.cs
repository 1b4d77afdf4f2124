using ApimConsole.Core.Live;
using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Alerts;

/// <summary>What the Overview and the wall show of the alerts: the open ones nobody acknowledged, and when to read again.</summary>
public interface IUnacknowledgedAlerts
{
    /// <summary>A version that moves whenever alerts changed.</summary>
    ILiveFeed<long> Changes { get; }

    Task<IReadOnlyList<Alert>> UnacknowledgedAsync(CancellationToken cancellationToken);
}
