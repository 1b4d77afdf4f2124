using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Components.Wall;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// The wall screen: the whole estate at a glance for a TV across the room, read-only. It reads the status engine,
/// the guardrail and the traffic history once per <see cref="Refresh"/> (so a burst of changes becomes one render,
/// and a screen costs the server the same whether the estate is calm or flapping), keeps one <see cref="WallScreen"/>
/// and no history of its own, and holds only a timer, which it disposes.
/// </summary>
public partial class Wall : ComponentBase, IDisposable
{
    /// <summary>How often the screen is rebuilt and re-rendered: at most 1 Hz.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    /// <summary>The 10-minute sparklines are rebuilt when the traffic history changes, and at least this often as the window slides.</summary>
    public static readonly TimeSpan TrafficRefresh = TimeSpan.FromSeconds(10);

    [Inject] public required IEstateStatus Status { get; init; }
    [Inject] public required GuardrailService Guardrail { get; init; }
    [Inject] public required TrafficReports Traffic { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    private ITimer? _timer;
    private int _ticking;
    // Only the rate series are kept, never the whole report (top APIs, instances): a circuit holds what it shows.
    private IReadOnlyDictionary<string, WallRates>? _rates;
    // The sparklines' point lists, drawn from _rates when they are rebuilt (not on every one-second render).
    private Dictionary<string, IReadOnlyList<string>> _sparklines = [];
    private double _sparklineMax = double.NaN;
    private long _trafficVersion = -1;
    private DateTimeOffset _trafficBuilt;

    private WallScreen Screen { get; set; } = null!;

    private DateTimeOffset Now => Time.GetUtcNow();

    protected override void OnInitialized()
    {
        Rebuild();
        _timer = Time.CreateTimer(_ => _ = TickAsync(), null, Refresh, Refresh);
    }

    private void Rebuild()
    {
        var now = Now;
        var version = Traffic.History.Version;
        if (_rates is null || version != _trafficVersion || now - _trafficBuilt >= TrafficRefresh)
        {
            _rates = WallScreen.Rates(Traffic.Build(TrafficWindow.TenMinutes), Traffic.History.CollectedUntil);
            _trafficVersion = version;
            _trafficBuilt = now;
        }
        var rebuilt = _rates;
        Screen = WallScreen.Build(Status.Current, Guardrail.Current, _rates, now);
        if (!ReferenceEquals(rebuilt, _drawnFrom) || Screen.SparklineMax != _sparklineMax)
        {
            _sparklines = Screen.Datacenters.ToDictionary(d => d.Id, d => WallScreen.SparklineRuns(d.RequestsPerSecond, Screen.SparklineMax), StringComparer.Ordinal);
            _sparklineMax = Screen.SparklineMax;
            _drawnFrom = rebuilt;
        }
    }

    private IReadOnlyDictionary<string, WallRates>? _drawnFrom;

    private IReadOnlyList<string> Sparkline(WallDatacenter datacenter) =>
        _sparklines.TryGetValue(datacenter.Id, out var runs) ? runs : WallScreen.SparklineRuns(datacenter.RequestsPerSecond, Screen.SparklineMax);

    private async Task TickAsync()
    {
        // A tick that finds the previous one still rendering is skipped, never queued: no backlog on a slow circuit.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
            return;
        try
        {
            await InvokeAsync(() =>
            {
                Rebuild();
                StateHasChanged();
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the tick and the render.
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
