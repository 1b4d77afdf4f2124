using ApimConsole.Core.Scenarios;
using ApimConsole.Storage;
using ApimConsole.Web.Restarts;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace ApimConsole.Web.Components.Controls;

/// <summary>
/// Starts and restarts gateway instances through <see cref="IGatewayRestarter"/> (which audits each request and
/// refuses what the restart order forbids): one implementation for the runbooks page and the overview.
/// </summary>
public partial class RestartPanel : ComponentBase
{
    private readonly HashSet<string> _busy = new(StringComparer.OrdinalIgnoreCase);
    private bool _interactive;
    private bool _mayAct;

    [Inject] public required IGatewayRestarter Restarter { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required ConsoleStoreHealth StoreHealth { get; init; }

    /// <summary>The signed-in user (or token) who acts.</summary>
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>What the restart order allows now for each instance concerned.</summary>
    [Parameter, EditorRequired] public required IReadOnlyList<RestartDecision> Decisions { get; set; }

    /// <summary>The panel's heading.</summary>
    [Parameter] public string Title { get; set; } = "Through the Admin Node Manager";

    /// <summary>True: users who may not act see the decisions as text; false: they see nothing.</summary>
    [Parameter] public bool ReadOnlyText { get; set; } = true;

    protected override async Task OnInitializedAsync() =>
        _mayAct = AuthenticationState is not null && (await AuthenticationState).User.IsInRole(ConsoleRoles.Administrator);

    protected override void OnAfterRender(bool firstRender)
    {
        // Only once the circuit is live: a click on a prerendered button would be lost.
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

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
}
