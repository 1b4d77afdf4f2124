using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Guardrails;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ApimConsole.Web.Components.Layout;

/// <summary>
/// The deployment guardrail's state on every page, watched live (<see cref="GuardrailService"/> is a live feed); under
/// it, while the console's own store refuses writes, a line saying so since when (<see cref="ConsoleStoreHealth"/>).
/// </summary>
public partial class StatusBanner : LiveComponentBase
{
    [Inject] public required GuardrailService Guardrail { get; init; }
    [Inject] public required ConsoleStoreHealth Store { get; init; }

    private bool _expanded;

    // Read at render time: a render caused by either feed shows the newest of both (attempts move without a turn).
    private GuardrailState State => Guardrail.Current;

    private ConsoleStoreStatus StoreStatus => Store.Current;

    protected override void OnInitialized()
    {
        Watch(Guardrail);
        Watch(Store);
    }

    private void ToggleReasons() => _expanded = !_expanded;

    private string? FirstReason => State.Changes.OrderByDescending(c => c.Decision).SelectMany(c => c.Reasons).FirstOrDefault();

    private int ReasonCount => State.Changes.SelectMany(c => c.Reasons).Distinct().Count();

    private string MoreLabel => ReasonCount > 1 ? $"Why ({ReasonCount} reasons)" : "Why";

    private Severity Severity => State.Worst switch
    {
        GuardrailDecision.Block => Severity.Error,
        GuardrailDecision.Warn => Severity.Warning,
        _ => Severity.Success,
    };

    private string CssClass => State.Worst switch
    {
        GuardrailDecision.Block => "guardrail-block",
        GuardrailDecision.Warn => "guardrail-warn",
        _ => "guardrail-allow",
    };

    private string Headline => State.Worst switch
    {
        GuardrailDecision.Block => "Deployments blocked",
        GuardrailDecision.Warn => "Deployments need confirmation",
        _ => "Deployments allowed",
    };

    internal static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.GatewayConfiguration => "Gateway configuration",
        ChangeKind.KpsTableStructure => "KPS table structure",
        _ => kind.ToString(),
    };

    internal static string DecisionWord(GuardrailDecision decision) => decision switch
    {
        GuardrailDecision.Block => "blocked",
        GuardrailDecision.Warn => "confirm",
        _ => "allowed",
    };
}
