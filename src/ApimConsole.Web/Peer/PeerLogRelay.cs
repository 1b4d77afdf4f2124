using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.LoadBalancer;
using ApimConsole.Monitoring.Logs;
using ApimConsole.Monitoring.Peer;
using ApimConsole.Web.Api;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Peer;

/// <summary>
/// Logs of the other datacenter through a partition: when this console cannot reach that datacenter's log source and
/// the console that lives there is a witness, a Support user's read of that datacenter's lines or search (already
/// checked here for role and datacenter limits, exactly as a local read) is asked of the peer
/// (<c>/api/peer/logs[/download]</c>, its peer token) and answered marked <c>through</c> the peer.
/// </summary>
public sealed class PeerLogRelay : IPeerReads, IDisposable
{
    /// <summary>Longest a relayed read may take (a search streams; this bounds the wait for its first byte).</summary>
    public static readonly TimeSpan RelayTimeout = TimeSpan.FromSeconds(5);

    private readonly PeerWitnessReader _peer;
    private readonly PeerOptions _options;
    private readonly string _ownDatacenter;
    private readonly TimeProvider _time;
    private readonly HttpClient? _http;

    public PeerLogRelay(PeerWitnessReader peer, IOptions<PeerOptions> options, IOptions<EstateOptions> estate, TimeProvider time)
    {
        _peer = peer;
        _options = options.Value;
        _ownDatacenter = estate.Value.ConsoleDatacenter;
        _time = time;
        if (_options.Configured)
            _http = LoadBalancerWitnesses.CreateHttpClient(
                new LoadBalancerOptions { AcceptAnyServerCertificate = _options.AcceptAnyServerCertificate, CaFile = _options.CaFile }, RelayTimeout);
    }

    /// <summary>Whether a read of <paramref name="datacenter"/>'s logs goes through the peer: cut off here, its console a witness.</summary>
    public bool ShouldRelay(string datacenter, TraceTailStatus? local) =>
        _http is not null
        && !string.Equals(datacenter, _ownDatacenter, StringComparison.OrdinalIgnoreCase)
        && local is not { Reachable: true }
        && _peer.Current is { Available: true } peer
        && string.Equals(peer.Datacenter, datacenter, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="datacenter"/> is the peer's and the peer is a witness now.</summary>
    public bool PeerHas(string datacenter) =>
        _http is not null
        && !string.Equals(datacenter, _ownDatacenter, StringComparison.OrdinalIgnoreCase)
        && _peer.Current is { Available: true } peer
        && string.Equals(peer.Datacenter, datacenter, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public bool TrafficThroughPeer(string datacenter, bool collectedHere, ApimConsole.Core.Estate.EstateSnapshot estate) =>
        !collectedHere && PeerHas(datacenter) && estate.Find(datacenter) is { State: ApimConsole.Core.Estate.DatacenterState.Unreachable };

    /// <summary>
    /// The peer's JSON at <paramref name="pathAndQuery"/> within <c>Peer:Timeout</c> (so a hung peer delays an API call
    /// by no more than a read of its view would), with <c>through</c> added; null when it did not answer well.
    /// </summary>
    public async Task<JsonObject?> PeerJsonAsync(string datacenter, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        try
        {
            var url = new Uri(new Uri(_options.Url!.TrimEnd('/') + "/"), pathAndQuery.TrimStart('/'));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
            using var response = await _http!.SendAsync(request, deadline.Token);
            if (!response.IsSuccessStatusCode)
                return null;
            if (JsonNode.Parse(await response.Content.ReadAsStringAsync(deadline.Token)) is not JsonObject body)
                return null;
            body["through"] = Through(datacenter);
            return body;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The peer's answer to the same query, with <c>through</c> saying where it came from.</summary>
    public async Task<IResult> LinesAsync(string datacenter, HttpContext http)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(RelayTimeout);
        try
        {
            using var response = await SendAsync("/api/peer/logs", http, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            if (!response.IsSuccessStatusCode || JsonNode.Parse(text) is not JsonObject body)
                return Results.Content(text, "application/json", System.Text.Encoding.UTF8, (int)response.StatusCode);
            body["through"] = Through(datacenter);
            return Results.Content(body.ToJsonString(EstateJson.Options), "application/json", System.Text.Encoding.UTF8);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
        {
            return Unreachable(datacenter, e, http.RequestAborted);
        }
    }

    /// <summary>The peer's text download (buffered lines or a search's hits), streamed, with a first line saying where it came from.</summary>
    public async Task DownloadAsync(string datacenter, HttpContext http)
    {
        HttpResponseMessage response;
        using var firstByte = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        firstByte.CancelAfter(RelayTimeout);
        try
        {
            response = await SendAsync("/api/peer/logs/download", http, firstByte.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            await Unreachable(datacenter, e, http.RequestAborted).ExecuteAsync(http);
            return;
        }
        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "text/plain; charset=utf-8";
            if (response.Content.Headers.ContentDisposition is { } disposition)
                http.Response.Headers.ContentDisposition = disposition.ToString();
            if (response.IsSuccessStatusCode)
                await http.Response.WriteAsync($"# {Label(datacenter)}: {datacenter}'s log source is not reachable from {_ownDatacenter}\n", http.RequestAborted);
            await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
            try
            {
                await body.CopyToAsync(http.Response.Body, http.RequestAborted);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                await http.Response.WriteAsync($"# the peer stopped answering: {e.Message}\n", http.RequestAborted);
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string path, HttpContext http, CancellationToken cancellationToken)
    {
        var url = new Uri(new Uri(_options.Url!.TrimEnd('/') + "/"), path.TrimStart('/') + http.Request.QueryString.Value);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        return await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private JsonObject Through(string datacenter) => new()
    {
        ["console"] = datacenter,
        ["at"] = _time.GetUtcNow(),
        ["label"] = Label(datacenter),
    };

    private static string Label(string datacenter) => $"through the console in {datacenter}";

    private IResult Unreachable(string datacenter, Exception e, CancellationToken requestAborted) =>
        Results.Json(new
        {
            errors = new[]
            {
                requestAborted.IsCancellationRequested
                    ? "The request was cancelled."
                    : $"{datacenter}'s log source is not reachable from {_ownDatacenter}, and the console in {datacenter} did not answer "
                      + (e is OperationCanceledException ? $"within {RelayTimeout.TotalSeconds:0} s." : $"({e.Message})."),
            },
        }, EstateJson.Options, statusCode: StatusCodes.Status502BadGateway);

    public void Dispose() => _http?.Dispose();
}
