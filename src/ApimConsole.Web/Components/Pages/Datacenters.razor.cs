using System.Security.Claims;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Components.Datacenters;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// One datacenter in depth, chosen with <c>?dc=</c>: its ANMs, both gateway groups with every instance and the archive
/// it runs, its Cassandra ring as <c>nodetool status</c> shows it, each component's stored state history, and its
/// incidents. Live through the estate snapshot, the incident timeline's writes and the deployment store's writes; the
/// deployed archives are asked of the ANMs in the background (page open, the refresh button, a deployment ending), so a
/// slow ANM never holds the page.
/// </summary>
public partial class Datacenters : EstateComponentBase
{
    /// <summary>Stored state changes shown per component.</summary>
    public const int HistoryLength = 10;

    /// <summary>How far back past incidents are listed.</summary>
    public const int IncidentDays = 7;

    [Inject] public required IIncidentTimeline Incidents { get; init; }
    [Inject] public required ComponentHistory History { get; init; }
    [Inject] public required DeployedVersionsReader VersionsReader { get; init; }
    [Inject] public required DeploymentStore Deployments { get; init; }
    [Inject] public required IOptions<EstateOptions> EstateOptions { get; init; }

    /// <summary>The datacenter shown, from the address (<c>/datacenters?dc=dc2</c>) so a view can be linked.</summary>
    [SupplyParameterFromQuery(Name = "dc")] public string? DatacenterKey { get; set; }

    /// <summary>The signed-in user: a Support user limited to some datacenters sees only those (<see cref="DatacenterAccess"/>).</summary>
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    private readonly CancellationTokenSource _gone = new();
    private ClaimsPrincipal _user = new(new ClaimsIdentity());
    private ITimer? _clock;

    private IReadOnlyList<IncidentView> _incidents = [];
    private string? _incidentsError;
    private readonly HashSet<string> _openHistories = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, IReadOnlyList<ComponentStateChange>> _histories = new Dictionary<string, IReadOnlyList<ComponentStateChange>>();
    private string? _historyError;
    private IReadOnlyDictionary<string, string> _lastSeen = new Dictionary<string, string>();
    // The nodes whose last seen state was asked of the store: one never seen is not asked again on every snapshot.
    private readonly HashSet<string> _lastSeenAsked = new(StringComparer.Ordinal);
    private string? _storeFor;

    private DeployedVersions? _versions;
    private string? _versionsError;
    private bool _readingVersions;
    private bool _deploymentRunning;

    private DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>The datacenters this user may read, in the snapshot's order.</summary>
    private IReadOnlyList<DatacenterSnapshot> Visible => Snapshot.Datacenters.Where(d => DatacenterAccess.Allows(_user, d.Id)).ToList();

    /// <summary>The one asked for when the user may read it, else the first they may.</summary>
    private DatacenterSnapshot? Selected => SelectedIn(Snapshot);

    private DatacenterSnapshot? SelectedIn(EstateSnapshot snapshot)
    {
        var visible = snapshot.Datacenters.Where(d => DatacenterAccess.Allows(_user, d.Id)).ToList();
        return visible.FirstOrDefault(d => string.Equals(d.Id, DatacenterKey, StringComparison.OrdinalIgnoreCase)) ?? visible.FirstOrDefault();
    }

    /// <summary>A datacenter asked for in the address that this user may not read, or that does not exist.</summary>
    private string? Refused =>
        DatacenterKey is { Length: > 0 } asked && !Visible.Any(d => string.Equals(d.Id, asked, StringComparison.OrdinalIgnoreCase)) ? asked : null;

    private HistoryRows Histories => new(_openHistories, _histories, _historyError);

    protected override async Task OnInitializedAsync()
    {
        // Who is signed in decides which datacenters exist for this page: known before the first render.
        if (AuthenticationState is not null)
            _user = (await AuthenticationState).User;
        // The base class watches the snapshot; this second watch notices a node turning Unknown, which needs the last
        // state the store saw of it (U? or D?).
        // It reads the nodes from the snapshot it is handed: the base class's watch may apply its own after this one.
        Watch(Status, snapshot =>
            SelectedIn(snapshot) is { } dc && dc.CassandraNodes.Any(n => n.State == ComponentState.Unknown && !_lastSeenAsked.Contains(n.Id))
                ? LoadStoreAsync(dc)
                : Task.CompletedTask);
        // The recorder writes after every change of the estate: a burst becomes one reload (the render throttle).
        Watch(Incidents.Writes, _ => LoadStoreAsync());
        Watch(Deployments.Writes, _ => DeploymentsChangedAsync());
        _clock = Time.CreateTimer(_ => RequestRender(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        // Asked of the ANMs once the page is live, never awaited here: the page renders without them.
        if (RendererInfo.IsInteractive)
            _ = InvokeAsync(ReadVersionsAsync);
    }

    protected override async Task OnParametersSetAsync()
    {
        // Another datacenter chosen (a tab, a link): its histories and incidents are read for it.
        if (Selected?.Id != _storeFor)
        {
            _openHistories.Clear();
            _histories = new Dictionary<string, IReadOnlyList<ComponentStateChange>>();
            _lastSeen = new Dictionary<string, string>();
            _lastSeenAsked.Clear();
            await LoadStoreAsync();
        }
    }

    /// <summary>
    /// Re-reads what the store holds for the datacenter shown (<paramref name="shown"/>, or the selected one): its
    /// incidents, open histories and last seen states. A read that finds another datacenter chosen when it returns is
    /// dropped.
    /// </summary>
    private async Task LoadStoreAsync(DatacenterSnapshot? shown = null)
    {
        if (_gone.IsCancellationRequested || (shown ?? Selected) is not { } dc)
            return;
        _storeFor = dc.Id;
        try
        {
            var incidents = await Incidents.ListAsync(openOnly: false, IncidentDays, _gone.Token);
            if (_storeFor != dc.Id)
                return;
            _incidents = incidents.Where(i => i.DatacenterId is null || string.Equals(i.DatacenterId, dc.Id, StringComparison.OrdinalIgnoreCase)).ToList();
            _incidentsError = null;
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            // A slow or dead store shows as a message; the live state goes on.
            _incidentsError = $"The incidents cannot be read right now: {e.GetBaseException().Message}";
        }
        try
        {
            var histories = await History.RecentAsync(dc.Id, [.. _openHistories], HistoryLength, _gone.Token);
            var unknown = dc.CassandraNodes.Where(n => n.State == ComponentState.Unknown).Select(n => n.Id).ToList();
            var lastSeen = await History.LastSeenAsync(dc.Id, unknown, _gone.Token);
            if (_storeFor != dc.Id)
                return;
            (_histories, _lastSeen) = (histories, lastSeen);
            _lastSeenAsked.UnionWith(unknown);
            _historyError = null;
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _historyError = $"The state history cannot be read right now: {e.GetBaseException().Message}";
        }
    }

    private async Task ToggleHistoryAsync(string componentId)
    {
        if (!_openHistories.Remove(componentId))
        {
            _openHistories.Add(componentId);
            await LoadStoreAsync();
        }
    }

    /// <summary>A deployment that just ended changed what the instances run: ask the ANMs again.</summary>
    private async Task DeploymentsChangedAsync()
    {
        try
        {
            var recent = await Deployments.RecentAsync(10, _gone.Token);
            var running = recent.Any(d => !d.State.IsFinished());
            var ended = _deploymentRunning && !running;
            _deploymentRunning = running;
            if (ended)
                _ = InvokeAsync(ReadVersionsAsync);
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // The store's trouble is shown by the incidents section and the store banner; the refresh button remains.
        }
    }

    /// <summary>Reads every datacenter's deployed archives within the reader's own deadline; one read at a time.</summary>
    private async Task ReadVersionsAsync()
    {
        if (_readingVersions || _gone.IsCancellationRequested)
            return;
        _readingVersions = true;
        StateHasChanged();
        try
        {
            _versions = await VersionsReader.ReadAsync(_gone.Token);
            _versionsError = null;
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            _versionsError = e.GetBaseException().Message;
        }
        finally
        {
            _readingVersions = false;
        }
        StateHasChanged();
    }

    /// <summary>The archive each instance of <paramref name="dc"/> runs, null while unread for it.</summary>
    private IReadOnlyDictionary<string, string?>? ArchivesOf(DatacenterSnapshot dc) =>
        _versions is null || _versions.Unread.ContainsKey(dc.Id) ? null
        : _versions.Groups.SelectMany(g => g.Instances)
            .Where(i => string.Equals(i.DatacenterId, dc.Id, StringComparison.OrdinalIgnoreCase))
            .GroupBy(i => $"{i.GroupId}/{i.InstanceId}", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().ArchiveId, StringComparer.Ordinal);

    /// <summary>Why the archives of <paramref name="dc"/> are not shown, or null when they are.</summary>
    private string? ArchivesNotRead(DatacenterSnapshot dc) =>
        _versionsError is not null ? $"not read: {_versionsError}"
        : _versions is null ? (_readingVersions ? "reading…" : "not read yet")
        : _versions.Unread.TryGetValue(dc.Id, out var why) ? $"not read: {why}"
        : null;

    private IReadOnlyList<string> AnmUrls(DatacenterSnapshot dc) =>
        EstateOptions.Value.Datacenters.FirstOrDefault(d => string.Equals(d.Id, dc.Id, StringComparison.OrdinalIgnoreCase))
            ?.AdminNodeManager.Urls ?? [];

    private static string Href(DatacenterSnapshot dc) => $"/datacenters?dc={Uri.EscapeDataString(dc.Id)}";

    public override void Dispose()
    {
        _clock?.Dispose();
        // Cancelled, not disposed: a load still in flight reads its token once more on its way out.
        _gone.Cancel();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}
