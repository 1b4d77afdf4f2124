using ApimConsole.Core.Recovery;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Incidents;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Pages;

public partial class Runbooks : EstateComponentBase
{
    private ITimer? _clock;
    private IReadOnlyList<IncidentView> _recentIncidents = [];
    private readonly CancellationTokenSource _closing = new();

    [Inject] public required IRecoveryStatus Recovery { get; init; }
    [Inject] public required IIncidentTimeline Incidents { get; init; }

    private DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>The snapshot's own classification, so scenarios and buttons never disagree; advice as of now.</summary>
    private IReadOnlyList<FailoverScenario> Scenarios => Snapshot.Scenarios.At(Now);

    protected override void OnInitialized()
    {
        base.OnInitialized();
        _clock = Time.CreateTimer(_ => RequestRender(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        // Incident recording keeps incomplete recoveries; without it (Tracked false) this section is not shown.
        Watch(Recovery);
        // The incident timeline gives each scenario's incident its repair checklist; without it, no checklist.
        Watch(Incidents.Writes, _ => LoadIncidentsAsync());
    }

    protected override Task OnInitializedAsync() => LoadIncidentsAsync();

    private async Task LoadIncidentsAsync()
    {
        try
        {
            // Repairs are asked for after outages of more than 2 h; recoveries are judged for weeks at most.
            _recentIncidents = await Incidents.ListAsync(openOnly: false, days: 31, _closing.Token);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
    }

    /// <summary>The open incident of a scenario in force, when the timeline has recorded it.</summary>
    private long? OpenIncidentOf(FailoverScenario scenario) =>
        TouchesCassandra(scenario.Kind) ? _recentIncidents.FirstOrDefault(i => i.IsOpen && i.Key == scenario.Key)?.Id : null;

    /// <summary>The ended incident an incomplete recovery is about: same key, ended when the recovery says.</summary>
    private long? IncidentOf(IncompleteRecovery recovery) =>
        (_recentIncidents.FirstOrDefault(i => i.Key == recovery.IncidentKey && i.EndedAt == recovery.Ended)
            ?? _recentIncidents.Where(i => i.Key == recovery.IncidentKey && !i.IsOpen).MaxBy(i => i.EndedAt))?.Id;

    private static bool TouchesCassandra(FailoverScenarioKind kind) => kind is not
        (FailoverScenarioKind.GatewayInstanceDown or FailoverScenarioKind.AdminNodeManagerDown);

    /// <summary>The instances whose restart a scenario's runbook calls for: the instance itself, or every instance of the datacenter.</summary>
    private IEnumerable<string> InstancesOf(FailoverScenario scenario) => scenario.Kind switch
    {
        FailoverScenarioKind.GatewayInstanceDown when scenario.ComponentKey is not null => [scenario.ComponentKey],
        FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.DatacenterUnreachable or FailoverScenarioKind.CassandraQuorumLost
            when scenario.DatacenterId is not null =>
            Snapshot.Find(scenario.DatacenterId)?.GatewayInstances.Select(i => i.Key) ?? [],
        _ => [],
    };

    public override void Dispose()
    {
        _clock?.Dispose();
        _closing.Cancel();
        _closing.Dispose();
        base.Dispose();
    }
}
