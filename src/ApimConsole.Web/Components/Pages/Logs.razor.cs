using System.Security.Claims;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Logs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// One datacenter's trace logs: the live tail of its instances from the shared <see cref="TraceLogBuffer"/> (this
/// circuit keeps a cursor, a filter and references to the shared records, see <see cref="LiveLogView"/>), or a
/// historical search of its files streamed in as hits are found. New lines, tail status changes and search hits are
/// rendered at most once per <see cref="LiveComponentBase.Throttle"/>. <c>/logs?dc=dc2&amp;correlationId=…</c> opens dc2 and searches that transaction.
/// </summary>
/// <remarks>
/// A relative range ("last 15 min") on the live tail is a window that slides with the page's clock, as in Grafana and
/// the Aspire dashboard: every <see cref="ClockStep"/> its start moves on and older lines leave the view, while new
/// lines enter it as the tail reads them. The window only moves forward, so it never needs a line the tail did not
/// already hand to the view: a tick searches no file and reads nothing again (<see cref="LiveLogView.SlideFrom"/>).
/// Pause stops the sliding with the tail (the window then reads as a fixed range); a search of the files is of the
/// window as it was when the search started (the files are not searched again each second), and "Back to live" slides
/// again. A window longer than what the tail holds (24 h against a ring of the newest entries) shows what the tail
/// holds and says so beside the range, from when and why (<see cref="TailHeldHint"/>), with "Search the files" for the rest.
/// </remarks>
public partial class Logs : LiveComponentBase, IAsyncDisposable
{
    private const float LineHeight = 20;
    private static readonly TimeSpan ClockStep = TimeSpan.FromSeconds(1);
    private static readonly TraceLevel[] FilterLevels = [TraceLevel.Fatal, TraceLevel.Error, TraceLevel.Info, TraceLevel.Debug, TraceLevel.Data, TraceLevel.Unknown];

    private enum ViewMode { Live, Search }

    private readonly CancellationTokenSource _disposed = new();
    private IReadOnlyList<LogDatacenter> _datacenters = [];
    private LiveLogView _view = null!;
    private ICollection<TraceLogRecord> _searchHits = [];
    private LogSearchRun? _search;
    private IDisposable? _searchWatch;
    private ViewMode _mode = ViewMode.Live;
    private TraceTailStatus? _status;
    private bool _paused;
    private bool _stick = true;
    private bool _scrollPending = true;
    private bool _notesOpen;
    private TraceLogRecord? _selected;
    private string? _instanceText, _text, _correlationText, _fromText, _toText;
    // The range the buttons show (Custom waits for its From and To) and the one the shown lines were filtered with.
    private LogTimeRange _range = LogTimeRange.Any;
    private LogTimeRange _shownRange = LogTimeRange.Any;
    // The window a relative range shows: its start in DC-local time and the moment it ends (now while it slides).
    private DateTime? _windowFrom;
    private DateTimeOffset _windowEnd;
    // The shown datacenter's gateway groups by id, as "DMZ" or "Internal gateways, internal zone".
    private Dictionary<string, string> _groups = new(StringComparer.OrdinalIgnoreCase);
    private bool _ready;
    private readonly HashSet<TraceLevel> _levels = [];
    private IReadOnlyList<string> _filterErrors = [];
    private ElementReference _linesElement;
    private IJSObjectReference? _module;
    private IJSObjectReference? _follower;
    private DotNetObjectReference<Logs>? _self;
    private ITimer? _clock;

    [Inject] public required TraceLogBuffer Buffer { get; init; }
    [Inject] public required TraceLogTailService Tails { get; init; }
    [Inject] public required LogDatacenters Datacenters { get; init; }
    [Inject] public required ITraceLogSearch Search { get; init; }
    [Inject] public required IJSRuntime JS { get; init; }
    [Inject] public required IServiceProvider Services { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }

    /// <summary>
    /// Reads a cut-off datacenter's logs through the console there (absent in tests that do not register it). Looked up
    /// once, not at every render: a page still open in a browser while the console stops renders on for a moment
    /// after the console's services are disposed.
    /// </summary>
    private ApimConsole.Web.Peer.IPeerReads? PeerRelay { get; set; }

    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>The datacenter to open (<c>/logs?dc=dc2</c>); the first one the user may read when absent or not allowed.</summary>
    [SupplyParameterFromQuery(Name = "dc")] public string? DatacenterQuery { get; set; }

    /// <summary>A transaction to find (<c>/logs?correlationId=…</c>, as the Traffic page links): filters by it and searches the files.</summary>
    [SupplyParameterFromQuery(Name = "correlationId")] public string? CorrelationQuery { get; set; }

    private LogDatacenter Datacenter { get; set; } = null!;

    private LogFilter Filter => _view.Filter;

    /// <summary>A relative range on the running live tail: its window follows the clock.</summary>
    private bool Sliding => _mode == ViewMode.Live && !_paused && _shownRange.Span is not null;

    private string WindowState => _mode == ViewMode.Search ? "as searched (fixed)" : _paused ? "paused (fixed)" : "live";

    /// <summary>
    /// The filter of what is shown: a paused window ends where it stood, so the download holds the same lines as the
    /// screen, not those the tail read since.
    /// </summary>
    private LogFilter ShownFilter =>
        _mode == ViewMode.Live && _paused && _shownRange.Span is not null && _windowFrom is not null ? Filter with { To = Datacenter.LocalTime(_windowEnd) } : Filter;

    /// <summary>
    /// On the live tail, the line saying the window starts before what the tail holds (see <see cref="TailHeldHint"/>);
    /// null when it does not, and in a search (the files are what is shown then).
    /// </summary>
    private TailHeldHint? HeldHint =>
        _mode == ViewMode.Live ? TailHeldHint.For(Datacenter, Buffer.HeldSpan(Datacenter.Id), _status, Filter.From, Time.GetUtcNow()) : null;

    private string SearchRangeLabel =>
        _shownRange.Span is not null ? $"Search the files for the {char.ToLowerInvariant(_shownRange.Label[0])}{_shownRange.Label[1..]}"
        : Filter.From is not null ? "Search the files for this range"
        : "Search the files";

    private ICollection<TraceLogRecord> Shown => _mode == ViewMode.Live ? _view.Lines : _searchHits;

    private string DownloadHref
    {
        get
        {
            var query = ShownFilter.ToQueryString();
            if (_mode == ViewMode.Search && _search is not null)
                query = (_search.Query.DatacenterId == Datacenter.Id ? SearchFilter.ToQueryString() : query) + (query.Length > 0 || SearchFilter.ToQueryString().Length > 0 ? "&" : "") + "source=search";
            return $"api/logs/{Uri.EscapeDataString(Datacenter.Id)}/download{(query.Length > 0 ? "?" + query : "")}";
        }
    }

    private LogFilter SearchFilter { get; set; } = LogFilter.None;

    protected override async Task OnInitializedAsync()
    {
        PeerRelay = Services.GetService(typeof(ApimConsole.Web.Peer.IPeerReads)) as ApimConsole.Web.Peer.IPeerReads;
        var user = AuthenticationState is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (await AuthenticationState).User;
        _datacenters = Datacenters.For(user);
        if (_datacenters.Count == 0)
            return;
        Datacenter = _datacenters.FirstOrDefault(d => d.Id == DatacenterQuery) ?? _datacenters[0];

        var filter = LogFilter.None;
        if (!string.IsNullOrWhiteSpace(CorrelationQuery))
        {
            _correlationText = CorrelationQuery;
            filter = LogFilter.Parse(name => name == "correlationId" ? CorrelationQuery : null, Datacenter.Zone, out var errors) ?? LogFilter.None;
            _filterErrors = errors;
        }
        // Watch first, then read: an append between the two only causes one more (empty) refresh.
        Watch(Buffer.Appends, _ => Update());
        // Every datacenter's tail, not only the one shown: the page switches between them.
        foreach (var tail in Tails.LiveStatuses)
            Watch(tail, _ => Update());
        _view = new LiveLogView(Buffer, Datacenter.Id, filter);
        _view.Refresh();
        _groups = GroupsOf(Datacenter.Id);
        _ready = true;

        _status = Tails.StatusOf(Datacenter.Id);
        // What moves with the clock while nothing else changes: a sliding window, the banner's "since … (3 min)".
        // (Not before a first poll: a tail is "not reachable" until it answers once, with no banner to keep current.)
        _clock = Time.CreateTimer(_ => { if (Sliding || _status is { Reachable: false, UnreachableSince: not null }) RequestRender(Tick); }, null, ClockStep, ClockStep);

        if (filter.CorrelationId is not null)
            StartSearch(filter);
    }

    /// <summary>The address changed under the page (back, forward, a link with another <c>?dc=</c>): show that datacenter.</summary>
    protected override void OnParametersSet()
    {
        if (_ready && DatacenterQuery is { } id && id != Datacenter.Id && _datacenters.FirstOrDefault(d => d.Id == id) is { } dc)
            ShowDatacenter(dc);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_datacenters.Count == 0)
            return;
        try
        {
            if (firstRender)
            {
                _self = DotNetObjectReference.Create(this);
                _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/logs.js");
                _follower = await _module.InvokeAsync<IJSObjectReference>("follow", _linesElement, _self);
            }
            if (_scrollPending && _stick && _follower is not null)
            {
                _scrollPending = false;
                await _follower.InvokeVoidAsync("scrollToBottom");
            }
        }
        catch (JSDisconnectedException)
        {
        }
    }

    /// <summary>Called by js/logs.js when the user scrolls away from the bottom (stop following) or back to it (follow again).</summary>
    [JSInvokable]
    public Task OnScrolledToBottom(bool atBottom)
    {
        if (atBottom == _stick)
            return Task.CompletedTask;
        _stick = atBottom;
        StateHasChanged();
        return Task.CompletedTask;
    }

    /// <summary>Takes in what changed since the last render (on the circuit's context).</summary>
    private void Update()
    {
        _status = Tails.StatusOf(Datacenter.Id);
        if (!_paused && _view.Refresh() > 0 && _stick && _mode == ViewMode.Live)
            _scrollPending = true;
        if (_search is not null && _mode == ViewMode.Search)
            _searchHits = _search.Hits();
    }

    /// <summary>A clock tick (on the circuit): the banner's durations grow by the render; a sliding window moves on.</summary>
    private void Tick()
    {
        _status = Tails.StatusOf(Datacenter.Id);
        Slide();
    }

    /// <summary>Moves a sliding window to end now: lines older than its new start leave the view (nothing is read again).</summary>
    private void Slide()
    {
        if (!Sliding)
            return;
        var now = Time.GetUtcNow();
        if (_shownRange.From(Datacenter, now) is not { } from)
            return;
        _windowFrom = from;
        _windowEnd = now;
        _view.SlideFrom(from);
    }

    private void ShowDatacenter(LogDatacenter dc)
    {
        if (dc == Datacenter)
            return;
        Datacenter = dc;
        _selected = null;
        CancelSearch();
        _mode = ViewMode.Live;
        // A relative window counts back in the new datacenter's time, from now (its lines are read up to now, paused or
        // not); a custom From/To keeps the times typed.
        var filter = _view.Filter;
        var end = Time.GetUtcNow();
        if (_shownRange.From(dc, end) is { } from)
        {
            filter = filter with { From = from };
            (_windowFrom, _windowEnd) = (from, end);
        }
        _view.Reset(dc.Id, filter);
        _view.Refresh();
        _status = Tails.StatusOf(dc.Id);
        _groups = GroupsOf(dc.Id);
        _scrollPending = true;
        // The address says which datacenter is shown, so it can be shared and reloaded; replaced, not a history step
        // per click. A transaction opened by link belonged to the other datacenter: it goes from the address too.
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?> { ["dc"] = dc.Id, ["correlationId"] = null }), replace: true);
    }

    private Dictionary<string, string> GroupsOf(string datacenterId)
    {
        var estate = Services.GetService(typeof(ApimConsole.Monitoring.Engine.IEstateStatus)) as ApimConsole.Monitoring.Engine.IEstateStatus;
        return estate?.Current.Find(datacenterId)?.Groups
            .GroupBy(g => g.Id, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => LogLineText.GroupLabel(g.First().Name, g.First().Zone), StringComparer.OrdinalIgnoreCase)
            ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The group of a line as people know it; its id while the estate has not named it.</summary>
    private string GroupOf(string groupId) => _groups.GetValueOrDefault(groupId) ?? groupId;

    private void ChooseRange(LogTimeRange range)
    {
        _range = range;
        // Custom waits for the From and To the user types; the others apply at once, to the search when one is shown.
        if (range == LogTimeRange.Custom)
            return;
        if (_mode == ViewMode.Search)
            StartSearchFromInputs();
        else
            ApplyFilter();
    }

    private void TogglePause()
    {
        // Pausing a sliding window stops it where it is now; resuming moves it to now before reading what arrived.
        Slide();
        _paused = !_paused;
        if (!_paused)
        {
            Slide();
            _view.Refresh();
            _scrollPending = _stick;
        }
    }

    private void SetStick(bool stick)
    {
        _stick = stick;
        _scrollPending = stick;
    }

    private void SetLevel(TraceLevel level, bool on)
    {
        if (on)
            _levels.Add(level);
        else
            _levels.Remove(level);
    }

    /// <summary>The filter the inputs say, with a relative range counted back from now; null (nothing changed) when one is bad.</summary>
    private LogFilter? ReadInputs()
    {
        var now = Time.GetUtcNow();
        var windowFrom = _range.From(Datacenter, now);
        var values = new Dictionary<string, string?>
        {
            ["instance"] = _instanceText,
            ["text"] = _text,
            ["correlationId"] = _correlationText,
            ["from"] = _range == LogTimeRange.Custom ? _fromText : windowFrom?.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            ["to"] = _range == LogTimeRange.Custom ? _toText : null,
            ["level"] = string.Join(',', _levels),
        };
        var filter = LogFilter.Parse(name => values.GetValueOrDefault(name), Datacenter.Zone, out var errors);
        _filterErrors = errors;
        if (filter is not null)
        {
            _shownRange = _range;
            _windowFrom = windowFrom;
            _windowEnd = now;
        }
        return filter;
    }

    private void ApplyFilter()
    {
        if (ReadInputs() is not { } filter)
            return;
        CancelSearch();
        _mode = ViewMode.Live;
        _selected = null;
        _view.Reset(Datacenter.Id, filter);
        _view.Refresh();
        _scrollPending = true;
    }

    private void ClearFilter()
    {
        _instanceText = _text = _correlationText = _fromText = _toText = null;
        _range = LogTimeRange.Any;
        _levels.Clear();
        ApplyFilter();
    }

    private void StartSearchFromInputs()
    {
        if (ReadInputs() is { } filter)
            StartSearch(filter);
    }

    private void FollowTransaction(string correlationId)
    {
        _correlationText = correlationId;
        StartSearchFromInputs();
    }

    private void StartSearch(LogFilter filter)
    {
        CancelSearch();
        _view.Reset(Datacenter.Id, filter);
        _view.Refresh();
        _selected = null;
        _searchHits = [];
        _mode = ViewMode.Search;
        SearchFilter = filter;
        var run = new LogSearchRun(filter.ToSearchQuery(Datacenter.Id, LogEndpoints.DefaultSearchResults));
        _searchWatch?.Dispose();
        _searchWatch = WatchUntilDisposed(run.Versions, _ => Update());
        _search = run;
        _ = run.RunAsync(Search, _disposed.Token);
    }

    private void CancelSearch() => _search?.Cancel();

    private void BackToLive()
    {
        CancelSearch();
        _mode = ViewMode.Live;
        _selected = null;
        _scrollPending = true;
        Slide();
    }

    private void Select(TraceLogRecord record) => _selected = _selected == record ? null : record;

    public async ValueTask DisposeAsync()
    {
        _clock?.Dispose();
        base.Dispose();
        _search?.Dispose();
        await _disposed.CancelAsync();
        _disposed.Dispose();
        try
        {
            if (_follower is not null)
            {
                await _follower.InvokeVoidAsync("dispose");
                await _follower.DisposeAsync();
            }
            if (_module is not null)
                await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}
