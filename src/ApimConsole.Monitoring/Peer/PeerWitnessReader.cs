using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.LoadBalancer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Peer;

/// <summary>What the status engine reads of the peer: the witness now, and a signal when it changes.</summary>
public interface IPeerWitnessSource
{
    /// <summary>Null when no peer is configured.</summary>
    PeerWitness? Current { get; }

    event Action? Changed;

    /// <summary>
    /// The engine's news after each assessment: the peer's datacenter has been silent from here since
    /// <paramref name="silentSince"/> and the peer has not shown yet whether it is serving (null: nothing waits on it).
    /// </summary>
    void AwaitEvidence(DateTimeOffset? silentSince);
}

/// <summary>
/// Reads the peer console's view of its own datacenter every <see cref="PeerOptions.Interval"/>, each read within
/// <see cref="PeerOptions.Timeout"/>. Anything but a good view from a console of the same version in another datacenter
/// makes the peer "no peer witness" with the reason. Runs on its own: nothing waits for it.
/// </summary>
/// <remarks>
/// While the peer's datacenter is silent from here and the peer's view has not decided it
/// (<see cref="IPeerWitnessSource.AwaitEvidence"/>), the verdict waits on the peer: the reader reads at once, then every
/// <see cref="PeerOptions.FastInterval"/> (for at most <see cref="PeerProtocol.FastReadsFor"/> after the silence began),
/// and asks for evidence made after the silence began (<c>?freshAfter=…&amp;wait=…</c>, wait half of
/// <see cref="PeerOptions.Timeout"/>): the peer probes its datacenter at once and answers when those probes are done. A
/// peer that does not know the parameter answers its current view; its regular probes bring the evidence later.
/// </remarks>
public sealed class PeerWitnessReader : BackgroundService, IPeerWitnessSource
{
    /// <summary>Largest view accepted (a datacenter of a few hundred components is well under it).</summary>
    public const int MaxViewBytes = 4 * 1024 * 1024;

    public static readonly JsonSerializerOptions Json = CreateJson();

    private readonly PeerOptions _options;
    private readonly string _consoleDatacenter;
    private readonly TimeProvider _time;
    private readonly ILogger<PeerWitnessReader> _logger;
    private readonly HttpClient? _http;
    private readonly Uri? _url;
    private PeerWitness? _current;
    // UtcTicks of the silence the peer should show evidence past; 0: none.
    private long _silentSince;
    // Completed to end the wait between reads early; replaced before each read, so no signal given during one is lost.
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PeerWitnessReader(IOptions<PeerOptions> options, IOptions<EstateOptions> estate, TimeProvider time, ILogger<PeerWitnessReader> logger)
    {
        _options = options.Value;
        _consoleDatacenter = estate.Value.ConsoleDatacenter;
        _time = time;
        _logger = logger;
        if (!_options.Configured)
            return;
        _url = new Uri(new Uri(_options.Url!.TrimEnd('/') + "/"), PeerProtocol.ViewPath.TrimStart('/'));
        // The load balancer witness's client does what this one needs: bounded connect, no redirects or cookies, the
        // configured TLS trust.
        _http = LoadBalancerWitnesses.CreateHttpClient(
            new LoadBalancerOptions { AcceptAnyServerCertificate = _options.AcceptAnyServerCertificate, CaFile = _options.CaFile }, _options.Timeout);
        _current = new PeerWitness(_options.Datacenter, _options.Url!, false, "not read yet", null, null, time.GetUtcNow());
    }

    public PeerWitness? Current => Volatile.Read(ref _current);

    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_http is null)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            await ReadOnceAsync(stoppingToken).ConfigureAwait(false);
            var silent = SilentSince;
            var interval = silent is not null && _time.GetUtcNow() - silent.Value < PeerProtocol.FastReadsFor ? _options.FastInterval : _options.Interval;
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(wake.Task, Task.Delay(interval, _time, tick.Token)).ConfigureAwait(false);
            tick.Cancel();
        }
    }

    public void AwaitEvidence(DateTimeOffset? silentSince)
    {
        var ticks = silentSince?.UtcTicks ?? 0;
        // A silence where there was none: read now rather than at the end of the current wait. Not when it only moves
        // (each read wakes the engine, which would wake the reader again: reads back to back).
        if (Interlocked.Exchange(ref _silentSince, ticks) == 0 && ticks != 0)
            Volatile.Read(ref _wake).TrySetResult();
    }

    private DateTimeOffset? SilentSince => Interlocked.Read(ref _silentSince) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>One read of the peer's view; never throws but on <paramref name="stoppingToken"/>.</summary>
    public async Task ReadOnceAsync(CancellationToken stoppingToken)
    {
        PeerView? view = null;
        string? reason;
        using (var deadline = new CancellationTokenSource(_options.Timeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, deadline.Token))
        {
            try
            {
                (view, reason) = await ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                reason = $"no answer within {_options.Timeout.TotalMilliseconds:0} ms";
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HttpRequestException e)
            {
                reason = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
            }
            catch (JsonException e)
            {
                reason = $"the peer's view is not the expected JSON: {e.Message}";
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException)
            {
                reason = e.Message;
            }
        }
        Set(view, reason);
    }

    private async Task<(PeerView?, string?)> ReadAsync(CancellationToken cancellationToken)
    {
        var url = _url!;
        if (SilentSince is { } silent)
        {
            var wait = Math.Min(_options.Timeout.TotalMilliseconds / 2, PeerProtocol.MaxWait.TotalMilliseconds);
            url = new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{_url}?{PeerProtocol.FreshAfterParameter}={Uri.EscapeDataString(silent.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}&{PeerProtocol.WaitParameter}={wait:0}"));
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized:
                return (null, "the peer refused the token (401): check Peer:Token");
            case HttpStatusCode.Forbidden:
                return (null, "the peer's token may not read its view (403): it needs the Viewer role");
            case HttpStatusCode.NotFound:
                return (null, $"the peer has no {PeerProtocol.ViewPath} (404): is it a console of this version?");
            case HttpStatusCode.TooManyRequests:
                return (null, "the peer is throttling this console (429)");
        }
        if (!response.IsSuccessStatusCode)
            return (null, $"the peer answered {(int)response.StatusCode} {response.ReasonPhrase}");
        if (response.Content.Headers.ContentLength > MaxViewBytes)
            return (null, $"the peer's view is larger than {MaxViewBytes} bytes");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var bounded = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (bounded.Length + read > MaxViewBytes)
                return (null, $"the peer's view is larger than {MaxViewBytes} bytes");
            bounded.Write(buffer, 0, read);
        }
        bounded.Position = 0;
        var view = JsonSerializer.Deserialize<PeerView>(bounded, Json);
        if (view is null || view.Own is null || string.IsNullOrEmpty(view.Datacenter) || view.Deployment is null)
            return (null, "the peer's view is empty or incomplete");
        if (!string.Equals(view.Version, PeerProtocol.ConsoleVersion, StringComparison.Ordinal))
            return (view, $"the peer runs version {view.Version}, this console {PeerProtocol.ConsoleVersion}");
        if (string.Equals(view.Datacenter, _consoleDatacenter, StringComparison.OrdinalIgnoreCase))
            return (view, $"the peer says it runs in {view.Datacenter}, as this console does: check Peer:Url");
        if (!string.IsNullOrWhiteSpace(_options.Datacenter) && !string.Equals(view.Datacenter, _options.Datacenter, StringComparison.OrdinalIgnoreCase))
            return (view, $"the peer says it runs in {view.Datacenter}, not {_options.Datacenter} (Peer:Datacenter)");
        if (!string.Equals(view.Own.Id, view.Datacenter, StringComparison.OrdinalIgnoreCase))
            return (view, $"the peer's view is of {view.Own.Id}, not of its own datacenter {view.Datacenter}");
        return (view, null);
    }

    private void Set(PeerView? view, string? reason)
    {
        var now = _time.GetUtcNow();
        var before = Current!;
        var available = reason is null && view is not null;
        var next = new PeerWitness(
            view?.Datacenter ?? before.Datacenter ?? _options.Datacenter,
            before.Url,
            available,
            available ? null : reason,
            view ?? before.View,
            view is not null ? now : before.ReadAt,
            before.Available == available ? before.Since : now);
        Volatile.Write(ref _current, next);
        if (before.Available != available || before.Reason != next.Reason)
        {
            if (available)
                _logger.LogInformation("Peer console in {Datacenter} is a witness again", next.Datacenter);
            else
                _logger.LogWarning("No peer witness: {Reason}", next.Reason);
        }
        Changed?.Invoke();
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }

    public override void Dispose()
    {
        base.Dispose();
        _http?.Dispose();
    }
}
