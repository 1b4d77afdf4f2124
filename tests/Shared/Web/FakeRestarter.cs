using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Restarts;

namespace ApimConsole.Web.Tests.Components;

/// <summary>A restarter that records each call and reports it done: what the pages do with the decision, not the ANM.</summary>
public sealed class FakeRestarter : IGatewayRestarter
{
    public List<(string, string, RestartAction, string)> Calls { get; } = [];

    public Task<RestartResult> RestartAsync(string datacenterId, string instanceId, RestartAction action, string actor, CancellationToken cancellationToken)
    {
        Calls.Add((datacenterId, instanceId, action, actor));
        return Task.FromResult(new RestartResult(RestartOutcome.Done, datacenterId, instanceId, action, $"{datacenterId}/{instanceId} started by the fake."));
    }
}
