using ApimConsole.Storage;
using ApimConsole.Web.Security;
using ApimConsole.Core.Recovery;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Restarts;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace ApimConsole.Web.Components.Pages;

public partial class Runbooks : EstateComponentBase
{
    private readonly HashSet<string> _busy = new(StringComparer.OrdinalIgnoreCase);
    private ITimer? _clock;
    private IReadOnlyList<IncidentView> _recentIncidents = [];
    private readonly CancellationTokenSource _closing = new();
    private bool _interactive;

    [Inject] public required IGatewayRestarter Restarter { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required IRecoveryStatus Recovery { get; init; }
    [Inject] public required IIncidentTimeline Incidents { get; init; }
    [Inject] public required ConsoleStoreHealth StoreHealth { get; init; }

    /// <summary>The signed-in user (or token) who acts.</summary>
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

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

    protected override async Task OnInitializedAsync()
    {
        _mayAct = AuthenticationState is not null && (await AuthenticationState).User.IsInRole(ConsoleRoles.Administrator);
        await LoadIncidentsAsync();
    }

    /// <summary>Restarts are for Administrators: the buttons are disabled for others, and <see cref="RestartAsync"/> refuses them.</summary>
    private bool _mayAct;

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

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once the circuit is live: a click on a prerendered button would be lost.
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    /// <summary>The instances whose restart a scenario's runbook calls for: the instance itself, or every instance of the datacenter.</summary>
    private IEnumerable<string> InstancesOf(FailoverScenario scenario) => scenario.Kind switch
    {
        FailoverScenarioKind.GatewayInstanceDown when scenario.ComponentKey is not null => [scenario.ComponentKey],
        FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.DatacenterUnreachable or FailoverScenarioKind.CassandraQuorumLost
            when scenario.DatacenterId is not null =>
            Snapshot.Find(scenario.DatacenterId)?.GatewayInstances.Select(i => i.Key) ?? [],
        _ => [],
    };

    /// <summary>The reasons that hold back more than one of <paramref name="decisions"/>: said once above their buttons.</summary>
    internal static IReadOnlySet<string> SharedReasons(IEnumerable<RestartDecision> decisions) =>
        decisions.Where(d => d.Blocked is not null).GroupBy(d => d.Blocked!, StringComparer.Ordinal)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);

    private async Task RestartAsync(RestartDecision decision)
    {
        if (AuthenticationState is null || !(await AuthenticationState).User.IsInRole(ConsoleRoles.Administrator))
        {
            Snackbar.Add("Only an Administrator may start or restart gateway instances.", Severity.Error);
            return;
        }
        if (decision.Action == RestartAction.Restart)
        {
            var confirmed = await Dialogs.ShowMessageBoxAsync(
                $"Restart {decision.InstanceName}?",
                $"{decision.InstanceName} ({decision.Key}) runs now. The console will stop it and start it again through the Admin Node Manager; "
                    + "the requests it serves meanwhile go to the other instances of its group.",
                yesText: "Restart", cancelText: "Cancel");
            if (confirmed != true)
                return;
        }

        if (!_busy.Add(decision.Key))
            return;
        StateHasChanged();
        try
        {
            var result = await Restarter.RestartAsync(decision.DatacenterId, decision.InstanceId, decision.Action, await ActorAsync(), CancellationToken.None);
            Snackbar.Add(result.Message, result.Outcome switch
            {
                RestartOutcome.Done => Severity.Success,
                RestartOutcome.Refused => Severity.Warning,
                _ => Severity.Error,
            });
        }
        catch (ConsoleStoreUnavailableException ex)
        {
            // The request could not be audited, so nothing was sent (the restarter records the outcome itself).
            Snackbar.Add(StoreRefusal.Message(ex, StoreHealth,
                $"{decision.Key} was not {(decision.Action == RestartAction.Restart ? "restarted" : "started")}. Nothing was sent to its Admin Node Manager."), Severity.Error);
        }
        catch (Exception ex)
        {
            Snackbar.Add($"{decision.Key} was not restarted: {ex.Message}", Severity.Error);
        }
        finally
        {
            _busy.Remove(decision.Key);
        }
    }

    private async Task<string> ActorAsync() =>
        ConsoleActor.Of(AuthenticationState is null ? null : (await AuthenticationState).User);

    public override void Dispose()
    {
        _clock?.Dispose();
        _closing.Cancel();
        _closing.Dispose();
        base.Dispose();
    }
}
