using ApimConsole.Core.Guardrails;
using ApimConsole.Web.Guardrails;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ApimConsole.Web.Components.Layout;

/// <summary>The deployment guardrail's state on every page, kept live by <see cref="GuardrailService.Changed"/>.</summary>
public partial class StatusBanner : ComponentBase, IDisposable
{
    [Inject] public required GuardrailService Guardrail { get; init; }

    private bool _expanded;

    private GuardrailState State => Guardrail.Current;

    protected override void OnInitialized() => Guardrail.Changed += OnGuardrailChanged;

    // Raised on the guardrail's thread; the render goes back to this circuit. Changes are rare (a decision or a
    // reason), so there is nothing to throttle.
    private void OnGuardrailChanged() => _ = RefreshAsync();

    private async Task RefreshAsync()
    {
        try
        {
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the render.
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
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

    public void Dispose()
    {
        Guardrail.Changed -= OnGuardrailChanged;
        GC.SuppressFinalize(this);
    }
}
