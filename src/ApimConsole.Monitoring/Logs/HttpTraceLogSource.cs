using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ApimConsole.Core.Logs;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// Trace files read over HTTP from a server that serves the datacenter's trace folders as a plain web server does
/// (<c>Logs:Url</c>): nginx with <c>autoindex on; autoindex_format json;</c>, or the lab's log server. Folders are read as
/// JSON listings, files with <c>Range: bytes=N-M</c> so a tail reads only what is new.
/// </summary>
/// <remarks>Every call has <see cref="Timeout"/> on top of the caller's token; listings are capped at <see cref="MaxListingBytes"/>.</remarks>
public sealed class HttpTraceLogSource : ITraceLogSource
{
    public const int MaxListingBytes = 4 * 1024 * 1024;
    private const int ListingConcurrency = 4;

    private readonly HttpClient _http;
    private readonly Uri _base;

    /// <param name="http">A client without its own base address; its handler decides TLS and proxies.</param>
    /// <param name="baseUrl">The URL of the folder that holds <c>groups/</c>.</param>
    public HttpTraceLogSource(HttpClient http, Uri baseUrl, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || baseUrl.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{baseUrl}' is not an absolute http(s) URL", nameof(baseUrl));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _http = http;
        _base = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    public string Location => _base.AbsoluteUri;

    public async Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var groups = await ListAsync(["groups"], required: true, cancellationToken).ConfigureAwait(false);
        var instances = new List<(string Group, string Instance)>();
        foreach (var group in groups.Where(e => e.IsDirectory))
        {
            var inGroup = await ListAsync(["groups", group.Name], required: false, cancellationToken).ConfigureAwait(false);
            instances.AddRange(inGroup.Where(e => e.IsDirectory).Select(e => (group.Name, e.Name)));
        }
        var files = new List<TraceFileInfo>();
        using var gate = new SemaphoreSlim(ListingConcurrency);
        var lists = instances.Select(async i =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var entries = await ListAsync(["groups", i.Group, i.Instance, "trace"], required: false, cancellationToken).ConfigureAwait(false);
                return entries.Where(e => !e.IsDirectory && TraceFileNames.IsTraceFile(e.Name))
                    .Select(e => new TraceFileInfo(i.Group, i.Instance, e.Name, e.Size ?? 0, e.LastModified)).ToList();
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        foreach (var list in await Task.WhenAll(lists).ConfigureAwait(false))
            files.AddRange(list);
        return TraceFileNames.Ordered(files);
    }

    public async Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        TraceFileNames.CheckRead(offset, maxBytes);
        var url = UrlOf(["groups", file.GroupId, file.InstanceId, "trace", file.Name], directory: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(offset, offset + maxBytes - 1);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                {
                    var range = response.Content.Headers.ContentRange;
                    if (range?.From != offset || range.Length is null)
                        throw new TraceLogSourceException($"{url} answered a range other than the one asked for ({range})");
                    var bytes = await ReadBytesAsync(response.Content, maxBytes, skip: 0, cts.Token).ConfigureAwait(false);
                    return new TraceFileChunk(offset, bytes, range.Length.Value);
                }
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                {
                    // Nothing at or past the offset: "bytes */<size>" says how big the file is now (smaller: truncated).
                    var size = response.Content.Headers.ContentRange?.Length
                        ?? throw new TraceLogSourceException($"{url} answered 416 without the file's size");
                    return new TraceFileChunk(offset, ReadOnlyMemory<byte>.Empty, size);
                }
                case HttpStatusCode.OK:
                {
                    // A server that ignores Range sends the whole file: skip to the offset, keep at most maxBytes.
                    var size = response.Content.Headers.ContentLength;
                    if (size is not null && offset >= size)
                        return new TraceFileChunk(offset, ReadOnlyMemory<byte>.Empty, size.Value);
                    var bytes = await ReadBytesAsync(response.Content, maxBytes, skip: offset, cts.Token).ConfigureAwait(false);
                    return new TraceFileChunk(offset, bytes, size ?? offset + bytes.Length);
                }
                case HttpStatusCode.NotFound:
                    throw new TraceLogSourceException($"{file.RelativePath} is gone from {Location} (rolled away or deleted)");
                default:
                    throw new TraceLogSourceException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TraceLogSourceException($"{url} did not answer within {Timeout.TotalSeconds:0.###} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new TraceLogSourceException($"{Location} is unreachable: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TraceLogSourceException($"{url}: the connection broke ({e.Message})", e);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // Seen raw from HttpClient when a connection is reset as it opens (Socket.RemoteEndPoint: "Transport endpoint
            // is not connected"): the source is unreachable like any other broken connection.
            throw new TraceLogSourceException($"{Location} is unreachable: {e.Message}", e);
        }
    }

    private async Task<IReadOnlyList<AutoindexEntry>> ListAsync(string[] segments, bool required, CancellationToken cancellationToken)
    {
        var url = UrlOf(segments, directory: true);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && !required)
                return []; // an instance without a trace folder (yet), or one removed while we listed
            if (!response.IsSuccessStatusCode)
                throw new TraceLogSourceException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            var bytes = await ReadBytesAsync(response.Content, MaxListingBytes, skip: 0, cts.Token, failWhenLarger: true).ConfigureAwait(false);
            string json;
            try
            {
                json = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Span);
            }
            catch (DecoderFallbackException e)
            {
                throw new TraceLogSourceException($"{url} is not a JSON directory listing (not UTF-8)", e);
            }
            try
            {
                return AutoindexListing.Parse(json);
            }
            catch (FormatException e)
            {
                throw new TraceLogSourceException($"{url}: {e.Message}", e);
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TraceLogSourceException($"{url} did not answer within {Timeout.TotalSeconds:0.###} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new TraceLogSourceException($"{Location} is unreachable: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TraceLogSourceException($"{url}: the connection broke ({e.Message})", e);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // Seen raw from HttpClient when a connection is reset as it opens (Socket.RemoteEndPoint: "Transport endpoint
            // is not connected"): the source is unreachable like any other broken connection.
            throw new TraceLogSourceException($"{Location} is unreachable: {e.Message}", e);
        }
    }

    private Uri UrlOf(string[] segments, bool directory)
    {
        foreach (var s in segments)
        {
            if (!TraceFileNames.IsPlainName(s))
                throw new TraceLogSourceException($"'{s}' is not a plain file or folder name");
        }
        var path = string.Join('/', segments.Select(Uri.EscapeDataString)) + (directory ? "/" : "");
        return new Uri(_base, path);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpContent content, int maxBytes, long skip, CancellationToken cancellationToken, bool failWhenLarger = false)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var scratch = new byte[81920];
        while (skip > 0)
        {
            var read = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, skip)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                return ReadOnlyMemory<byte>.Empty;
            skip -= read;
        }
        var buffer = new byte[Math.Min(maxBytes, 1 << 20)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total >= maxBytes)
                {
                    if (failWhenLarger && await stream.ReadAsync(scratch.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) > 0)
                        throw new TraceLogSourceException($"the directory listing is larger than {maxBytes} bytes");
                    break;
                }
                Array.Resize(ref buffer, (int)Math.Min(maxBytes, (long)buffer.Length * 2));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            total += read;
        }
        return buffer.AsMemory(0, total);
    }
}
