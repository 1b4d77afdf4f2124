using System.Text.Json.Nodes;
using ApimConsole.Web.Peer;
using Microsoft.AspNetCore.Components;

namespace ApimConsole.Web.Components.Peer;

/// <summary>
/// A part of a page that shows the other datacenter as its own console sees it, read through the peer
/// (<see cref="IPeerReads"/>) every <see cref="Interval"/> while shown. The first read starts after the first render and
/// every read runs off the render path, bounded by <c>Peer:Timeout</c>: a slow or dead peer never holds the page.
/// What was read last stays on screen, with when and through whom; a read that failed says so.
/// </summary>
public abstract class PeerReadComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private ITimer? _timer;
    private int _reading;
    private Lazy<IPeerReads?>? _peer;

    [Inject] public required TimeProvider Time { get; init; }
    [Inject] public required IServiceProvider Services { get; init; }

    /// <summary>The datacenter read through its console.</summary>
    [Parameter, EditorRequired] public required string DatacenterId { get; set; }

    /// <summary>
    /// The peer's reads (absent where no peer is registered, e.g. in tests of other pages). Looked up once, not at every
    /// render: a page still open in a browser while the console stops renders on for a moment after the console's
    /// services are disposed.
    /// </summary>
    protected IPeerReads? Peer => (_peer ??= new Lazy<IPeerReads?>(() => Services.GetService(typeof(IPeerReads)) as IPeerReads)).Value;

    /// <summary>"through the console in dc2", from the peer's answer; null before the first good read.</summary>
    protected string? ThroughLabel { get; private set; }

    /// <summary>When the last good read was made (this console's clock).</summary>
    protected DateTimeOffset? ReadAt { get; private set; }

    /// <summary>Why the last read gave nothing (the peer did not answer well), or null.</summary>
    protected string? Failure { get; private set; }

    /// <summary>How often the peer is read while this part is shown.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The peer path and query to read now (e.g. <c>/api/peer/logs?after=12</c>).</summary>
    protected abstract string PathAndQuery();

    /// <summary>Takes what the peer answered; false when it is not in the expected shape.</summary>
    protected abstract bool Accept(JsonObject answer);

    /// <summary>True after an answer that left more to read: the next read follows at once, not after <see cref="Interval"/>.</summary>
    protected virtual bool MoreAvailable => false;

    /// <summary>Forgets what was read (the query changed) and reads again at once.</summary>
    protected void Restart()
    {
        ThroughLabel = null;
        ReadAt = null;
        Failure = null;
        _timer?.Change(TimeSpan.Zero, Interval);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
            _timer = Time.CreateTimer(_ => _ = InvokeAsync(ReadAsync), null, TimeSpan.Zero, Interval);
    }

    private async Task ReadAsync()
    {
        if (_disposed.IsCancellationRequested || Peer is not { } peer || Interlocked.Exchange(ref _reading, 1) == 1)
            return;
        var again = false;
        try
        {
            var answer = await peer.PeerJsonAsync(DatacenterId, PathAndQuery(), _disposed.Token);
            if (_disposed.IsCancellationRequested)
                return;
            var accepted = false;
            string? shape = null;
            try
            {
                accepted = answer is not null && Accept(answer);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException)
            {
                // A value of the wrong kind where a number or a text belongs (System.Text.Json.Nodes throws for those):
                // the peer answered, in a shape this console does not know. Said, never thrown into the page.
                shape = ex.Message;
            }
            if (accepted)
            {
                ThroughLabel = TextOrNull(answer!["through"]?["label"]) ?? $"through the console in {DatacenterId}";
                ReadAt = Time.GetUtcNow();
                Failure = null;
                again = MoreAvailable;
            }
            else
            {
                var at = Time.GetUtcNow().UtcDateTime;
                Failure = (answer is null
                              ? $"the console in {DatacenterId} did not answer at {at:HH:mm:ss} UTC"
                              : $"the console in {DatacenterId} answered at {at:HH:mm:ss} UTC in a shape this console does not know"
                                + (shape is null ? "" : $" ({shape})"))
                          + (ReadAt is null ? "" : "; showing what it sent before");
            }
            StateHasChanged();
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
            if (again && !_disposed.IsCancellationRequested)
                _timer?.Change(TimeSpan.Zero, Interval);
        }
    }

    /// <summary>The text of a JSON string value; null for anything else (absent, a number, an object).</summary>
    protected static string? TextOrNull(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The number of a JSON integer value; null for anything else.</summary>
    protected static long? NumberOrNull(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    public void Dispose()
    {
        _timer?.Dispose();
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
