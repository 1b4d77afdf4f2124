using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Incidents;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Pages;

public partial class Incidents : LiveComponentBase
{
    public static readonly int[] DayRanges = [1, 7, 30, 90, 366];
    private const int MaxChanges = 500;

    [Inject] public required IncidentLog Log { get; init; }

    private readonly CancellationTokenSource _disposed = new();
    private IReadOnlyList<IncidentView> _incidents = [];
    private IReadOnlyList<ComponentStateChange> _changes = [];
    private bool _openOnly;
    private int _days = 7;
    private long? _expanded;
    private string? _error;
    private ITimer? _clock;
    private volatile bool _isDisposed;

    /// <summary>Durations of open incidents are measured from here; a one-second tick keeps them moving.</summary>
    private DateTimeOffset Now => Time.GetUtcNow();

    protected override async Task OnInitializedAsync()
    {
        // The recorder writes after every change of the estate: a burst becomes one reload (the render throttle).
        Watch(Log.Writes, _ => LoadAsync());
        _clock = Time.CreateTimer(_ => RequestRender(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        if (_isDisposed)
            return;
        try
        {
            _incidents = await Log.ListAsync(_openOnly, _days, _disposed.Token);
            if (_expanded is { } id && _incidents.FirstOrDefault(i => i.Id == id) is { } incident)
                _changes = await Log.ChangesDuringAsync(incident, MaxChanges, _disposed.Token);
            _error = null;
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A slow or dead store shows as a message; the rest of the console goes on.
            _error = $"The incident timeline cannot be read right now: {e.GetBaseException().Message}";
        }
    }

    private async Task SetFilterAsync(bool openOnly, int days)
    {
        (_openOnly, _days) = (openOnly, days);
        await LoadAsync();
    }

    private async Task ToggleAsync(IncidentView incident)
    {
        if (_expanded == incident.Id)
        {
            _expanded = null;
            _changes = [];
            return;
        }
        _expanded = incident.Id;
        _changes = [];
        await LoadAsync();
    }

    private static string Subject(ComponentStateChange change) => change.ComponentKind switch
    {
        "Link" => "inter-DC link",
        "LoadBalancer" => "global load balancer",
        "Datacenter" => change.DatacenterId,
        _ => $"{change.DatacenterId}/{change.ComponentId}",
    };

    public override void Dispose()
    {
        _isDisposed = true;
        base.Dispose();
        _clock?.Dispose();
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
