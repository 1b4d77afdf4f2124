using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Web.Guardrails;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ApimConsole.Web.Components.Layout;

/// <summary>
/// The deployment guardrail's state on every page, kept live by <see cref="GuardrailService.Changed"/>; under it, while
/// the console's own store refuses writes, a line saying so since when (<see cref="ConsoleStoreHealth"/>).
/// </summary>
public partial class StatusBanner : ComponentBase, IDisposable
{
    [Inject] public required GuardrailService Guardrail { get; init; }
    // Looked up rather than injected: hosts without a store (component tests) show no store line.
    [Inject] public required IServiceProvider Services { get; init; }

    private ConsoleStoreHealth? _store;

    private ConsoleStoreStatus? StoreStatus => _store?.Current;

    private bool _expanded;

    private GuardrailState State => Guardrail.Current;

    protected override void OnInitialized()
    {
        Guardrail.Changed += OnGuardrailChanged;
        _store = Services.GetService<ConsoleStoreHealth>();
        if (_store is not null)
            _store.Changed += OnStoreChanged;
    }

    private void OnStoreChanged(ConsoleStoreStatus status) => _ = RefreshAsync();

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
        if (_store is not null)
            _store.Changed -= OnStoreChanged;
        GC.SuppressFinalize(this);
    }
}
