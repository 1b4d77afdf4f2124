using ApimConsole.Core.Estate;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Traffic;
using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// Each datacenter's traffic side by side, then combined, over 10 minutes, 10 hours or 5 days. It reads only what
/// the collector gathered (never the estate), and refreshes when the history changes, at most once per
/// <see cref="LiveComponentBase.Throttle"/> however fast polls land.
/// </summary>
public partial class Traffic : LiveComponentBase
{
    private ITimer? _clock;
    private IReadOnlyList<TrafficMarker> _markers = [];
    private string? _markersProblem;
    private readonly CancellationTokenSource _disposed = new();

    [Inject] public required TrafficReports Reports { get; init; }
    [Inject] public required IEstateStatus Estate { get; init; }
    [Inject] public required IServiceProvider Services { get; init; }

    /// <summary>
    /// The deployment records marked on the charts (absent where no store is registered, as in some tests). This and
    /// <see cref="PeerReads"/> are looked up once, not at every render: a page still open in a browser while the
    /// console stops renders on for a moment after the console's services are disposed.
    /// </summary>
    private TrafficMarkers? Markers { get; set; }

    /// <summary>A datacenter cut off from here is shown as its own console collects it (absent where no peer is registered).</summary>
    private ApimConsole.Web.Peer.IPeerReads? PeerReads { get; set; }

    /// <summary>The window shown, from the address (<c>/traffic?window=10h</c>) so a view can be linked.</summary>
    [SupplyParameterFromQuery(Name = "window")] public string? WindowKey { get; set; }

    private TrafficWindow Window { get; set; } = TrafficWindow.TenMinutes;
    private TrafficReport Report { get; set; } = null!;

    /// <summary>The signed-in user: only the datacenters they may read are shown (<see cref="Security.DatacenterAccess"/>).</summary>
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    private ClaimsPrincipal _user = new(new ClaimsIdentity());

    protected override async Task OnInitializedAsync()
    {
        Markers = Services.GetService(typeof(TrafficMarkers)) as TrafficMarkers;
        PeerReads = Services.GetService(typeof(ApimConsole.Web.Peer.IPeerReads)) as ApimConsole.Web.Peer.IPeerReads;
        // Which datacenters the page shows depends on who is signed in: known before the first report is built.
        if (AuthenticationState is not null)
            _user = (await AuthenticationState).User;
        Report = Reports.Build(Window, _user);
        Watch(Reports.History.Versions, _ => Report = Reports.Build(Window, _user));
        // The window slides even when nothing arrives (a silent DC's gap must grow): rebuild now and then.
        _clock = Time.CreateTimer(_ => RequestRender(() => Report = Reports.Build(Window, _user)), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        if (Markers is { } markers)
        {
            // A deployment written (requested, started, finished) moves the marks: read them again then.
            Watch(markers.Writes, written => { _ = ReadMarkersAsync(); });
            await ReadMarkersAsync();
        }
    }

    private bool ShowCombined => Report.Withheld == 0 || Report.CombinedOver.Count > 1;

    private int Columns => Math.Clamp(Report.Datacenters.Count + (ShowCombined ? 1 : 0), 1, 3);

    private IReadOnlyList<TrafficMarker> MarkersOf(string datacenterId) =>
        _markers.Where(m => m.Datacenters.Contains(datacenterId, StringComparer.OrdinalIgnoreCase)).ToList();

    /// <summary>Reads the deployments of the longest window; a store that cannot be read is said above the charts, never fatal.</summary>
    private async Task ReadMarkersAsync()
    {
        if (Markers is not { } markers)
            return;
        try
        {
            var from = TrafficSeriesBuilder.WindowStart(TrafficWindow.FiveDays, Time.GetUtcNow());
            var read = await markers.ReadAsync(from, Report.CombinedOver, _disposed.Token);
            await InvokeAsync(() =>
            {
                _markers = read.Where(m => m.Datacenters.Any(d => Report.CombinedOver.Contains(d, StringComparer.OrdinalIgnoreCase))).ToList();
                _markersProblem = null;
                StateHasChanged();
            });
        }
        catch (Exception) when (_disposed.IsCancellationRequested)
        {
            // The page went away while the store was read.
        }
        catch (Exception ex)
        {
            await InvokeAsync(() =>
            {
                _markersProblem = ex.Message;
                StateHasChanged();
            });
        }
    }

    protected override void OnParametersSet()
    {
        if (TrafficReports.TryParseWindow(WindowKey, out var window) && window != Window)
        {
            Window = window;
            Report = Reports.Build(Window, _user);
        }
    }

    private void Show(TrafficWindow window)
    {
        Window = window;
        Report = Reports.Build(Window, _user);
    }

    /// <summary>Each instance's state as the status engine sees it, so a stopped instance's zero share is explained.</summary>
    private IReadOnlyDictionary<string, GatewayInstanceStatus> Instances =>
        Estate.Current.Datacenters.SelectMany(d => d.GatewayInstances).ToDictionary(i => $"{i.DatacenterId}/{i.Id}", StringComparer.OrdinalIgnoreCase);

    public override void Dispose()
    {
        _clock?.Dispose();
        _disposed.Cancel();
        _disposed.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}
