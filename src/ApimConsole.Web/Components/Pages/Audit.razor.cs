using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Audit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// The audit trail, newest first, filtered by the address (<c>/audit?actor=alice&amp;action=deployment.</c>: the
/// parameters of <c>GET /api/audit</c>, read by the same <see cref="AuditFilter"/>), so a link shows the same entries to
/// whoever opens it. The rows are read from the store a window at a time (<see cref="Virtualize{TItem}"/> with an
/// items provider): the page never holds the table. The count and rows are those up to the newest entry when the
/// filters were applied, so rows do not shift while one scrolls; "Show newer" takes the entries written since.
/// </summary>
public partial class Audit
{
    private const float RowHeight = 40;

    private Virtualize<AuditEntry>? _rows;
    private AuditQuery? _query;
    private string? _problem;
    private int _total;
    private bool _filtered;
    private string? _actor, _kind, _action, _target, _datacenter, _from, _to, _text;

    [Inject] public required AuditLog Log { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IOptions<EstateOptions> Estate { get; init; }

    [SupplyParameterFromQuery(Name = AuditFilter.ActorKey)] public string? ActorQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.KindKey)] public string? KindQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.ActionKey)] public string? ActionQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.TargetKey)] public string? TargetQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.DatacenterKey)] public string? DatacenterQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.FromKey)] public string? FromQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.ToKey)] public string? ToQuery { get; set; }
    [SupplyParameterFromQuery(Name = AuditFilter.TextKey)] public string? TextQuery { get; set; }

    private IReadOnlyList<string> DatacenterIds => Estate.Value.Datacenters.Select(d => d.Id).ToList();

    private string CsvHref => "/api/audit?" + (_query is null || AuditFilter.ToQueryString(_query) is not { Length: > 0 } q ? "" : q + "&") + "format=csv";

    protected override async Task OnParametersSetAsync()
    {
        (_actor, _kind, _action, _target, _datacenter, _from, _to, _text) =
            (ActorQuery, KindQuery, ActionQuery, TargetQuery, DatacenterQuery, FromQuery, ToQuery, TextQuery);
        var values = Values();
        var (query, problem) = AuditFilter.Read(key => values.GetValueOrDefault(key), DatacenterIds);
        _problem = problem;
        _filtered = values.Values.Any(v => !string.IsNullOrWhiteSpace(v));
        if (query is null)
        {
            _query = null;
            return;
        }
        await SnapshotAsync(query);
    }

    private async Task SnapshotAsync(AuditQuery query)
    {
        try
        {
            _query = query with { UpToId = await Log.NewestIdAsync(CancellationToken.None) };
            _total = await Log.CountAsync(_query, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _query = null;
            _problem = $"The audit trail cannot be read: {StoreWriter.Describe(e)}";
            return;
        }
        if (_rows is not null)
            await _rows.RefreshDataAsync();
    }

    private async ValueTask<ItemsProviderResult<AuditEntry>> LoadAsync(ItemsProviderRequest request)
    {
        if (_query is not { } query)
            return new([], 0);
        var rows = await Log.SliceAsync(query, request.StartIndex, request.Count, request.CancellationToken);
        return new(rows, _total);
    }

    private Task RefreshAsync() => _query is { } query ? SnapshotAsync(query with { UpToId = null }) : Task.CompletedTask;

    private Dictionary<string, string?> Values() => new()
    {
        [AuditFilter.ActorKey] = _actor,
        [AuditFilter.KindKey] = _kind,
        [AuditFilter.ActionKey] = _action,
        [AuditFilter.TargetKey] = _target,
        [AuditFilter.DatacenterKey] = _datacenter,
        [AuditFilter.FromKey] = _from,
        [AuditFilter.ToKey] = _to,
        [AuditFilter.TextKey] = _text,
    };

    /// <summary>Puts the filters in the address; the page reads them back from there, as it does for a shared link.</summary>
    private void Apply()
    {
        var query = string.Join("&", Values().Where(v => !string.IsNullOrWhiteSpace(v.Value))
            .Select(v => $"{v.Key}={Uri.EscapeDataString(v.Value!.Trim())}"));
        Navigation.NavigateTo("/audit" + (query.Length > 0 ? "?" + query : ""));
    }

    private void Clear() => Navigation.NavigateTo("/audit");

    private void ShowOverrides() => Navigation.NavigateTo($"/audit?{AuditFilter.ActionKey}={Uri.EscapeDataString(AuditFilter.OverrideAction)}");

    private static Color KindColor(AuditActorKind kind) => kind switch
    {
        AuditActorKind.Token => Color.Info,
        AuditActorKind.System => Color.Default,
        _ => Color.Primary,
    };
}
