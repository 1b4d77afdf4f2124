using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.AdminNodeManager;

namespace ApimConsole.Monitoring.Traffic;

/// <summary>One line of a transaction's trace (<c>ops/trace/{correlationId}</c>).</summary>
public sealed record TraceEntry(string Level, string Text, DateTimeOffset Time, int Depth);

/// <summary>An instance's counters since it started (<c>api/monitoring/summary</c>).</summary>
/// <param name="Processed"><c>numMessages</c>.</param>
/// <param name="Exceptions">null when the ANM does not report them.</param>
public sealed record InstanceSummary(long Successes, long Failures, long? Exceptions, long Processed, TimeSpan? Uptime, DateTimeOffset ReadAt);

/// <summary>An instance's own 10-minute timeline (<c>api/monitoring/metrics/timeline</c>): successes and failures per point.</summary>
public sealed record InstanceTimeline(DateTimeOffset Start, TimeSpan Interval, IReadOnlyList<long> Successes, IReadOnlyList<long> Failures)
{
    public long Total => Successes.Sum() + Failures.Sum();
}

/// <summary>
/// The traffic side of one datacenter's Admin Node Manager: what each gateway instance recorded, read through the
/// ANM's router (<c>/api/router/service/{instanceId}/...</c>) with basic authentication. Every call takes the caller's
/// token (the caller sets the deadline); an answer that is not what the traffic monitor sends throws
/// <see cref="AnmProtocolException"/> naming what is wrong, and nothing of it is used.
/// </summary>
public sealed class AnmTrafficClient
{
    /// <summary>The traffic monitor's own limit on one search.</summary>
    public const int MaxSearchCount = 1000;

    private const int MaxSearchBytes = 8 * 1024 * 1024;
    private const int MaxDocumentBytes = 1024 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _api;
    private readonly AuthenticationHeaderValue _auth;

    public AnmTrafficClient(HttpClient http, string baseUrl, string username, string password)
    {
        _http = http;
        BaseUrl = baseUrl.TrimEnd('/');
        _api = new Uri(BaseUrl + "/api/");
        _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    public string BaseUrl { get; }

    /// <summary>
    /// Leg-0 HTTP transactions that started within <paramref name="ago"/>, newest first. The traffic monitor takes
    /// <c>ago</c> in minutes or hours (<c>10m</c>, <c>24h</c>), so the window is rounded up to whole minutes: the caller
    /// drops what it has seen or what is older than it asked for.
    /// </summary>
    public async Task<IReadOnlyList<TrafficTransaction>> SearchAsync(string datacenterId, string instanceId, int count, TimeSpan ago, CancellationToken cancellationToken)
    {
        count = Math.Clamp(count, 1, MaxSearchCount);
        var json = await GetAsync(Router(instanceId, $"ops/search?format=json&protocol=http&field=leg&value=0&count={count}&ago={Ago(ago)}"), MaxSearchBytes, cancellationToken);
        return ParseSearch(json, datacenterId, instanceId);
    }

    /// <summary><c>ago</c> as the traffic monitor reads it: whole minutes (at least 1), or whole hours when that is exact.</summary>
    public static string Ago(TimeSpan ago)
    {
        var minutes = Math.Max(1, (long)Math.Ceiling(ago.TotalMinutes - 1e-9));
        return minutes % 60 == 0 ? $"{minutes / 60}h" : $"{minutes}m";
    }

    public async Task<IReadOnlyList<TraceEntry>> GetTraceAsync(string instanceId, string correlationId, CancellationToken cancellationToken)
    {
        var json = await GetAsync(Router(instanceId, $"ops/trace/{Uri.EscapeDataString(correlationId)}?format=json"), MaxSearchBytes, cancellationToken);
        return ParseTrace(json);
    }

    public async Task<InstanceSummary> GetSummaryAsync(string instanceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var json = await GetAsync(Router(instanceId, "api/monitoring/summary"), MaxDocumentBytes, cancellationToken);
        return ParseSummary(json, now);
    }

    public async Task<InstanceTimeline> GetTimelineAsync(string instanceId, CancellationToken cancellationToken)
    {
        var json = await GetAsync(Router(instanceId, "api/monitoring/metrics/timeline?timeline=10m&metricType=successes&metricType=failures"), MaxDocumentBytes, cancellationToken);
        return ParseTimeline(json);
    }

    private Uri Router(string instanceId, string relative) => new(_api, $"router/service/{Uri.EscapeDataString(instanceId)}/{relative}");

    private async Task<string> GetAsync(Uri uri, int maxBytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await ReadAsync(response.Content, 1024, cancellationToken, truncate: true);
            throw new HttpRequestException($"ANM answered {(int)response.StatusCode} {response.ReasonPhrase}{(body.Length > 0 ? ": " + body : "")}", null, response.StatusCode);
        }
        return await ReadAsync(response.Content, maxBytes, cancellationToken);
    }

    private static async Task<string> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken, bool truncate = false)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxBytes, 65536)];
        using var collected = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (collected.Length + read > maxBytes)
            {
                if (!truncate)
                    throw new AnmProtocolException($"response larger than {maxBytes} bytes");
                collected.Write(buffer, 0, (int)(maxBytes - collected.Length));
                break;
            }
            collected.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
    }

    /// <summary>Reads an ops/search answer; any row that is not a transaction rejects the whole answer.</summary>
    public static IReadOnlyList<TrafficTransaction> ParseSearch(string json, string datacenterId, string instanceId)
    {
        using var document = Parse(json, "ops/search");
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new AnmProtocolException("ops/search answer has no 'data' array");
        var transactions = new List<TrafficTransaction>(data.GetArrayLength());
        var row = 0;
        foreach (var item in data.EnumerateArray())
        {
            row++;
            if (item.ValueKind != JsonValueKind.Object)
                throw new AnmProtocolException($"ops/search row {row} is not an object");
            var correlationId = String(item, "correlationId", row, required: true)!;
            if (correlationId.Length is 0 or > 64 || !correlationId.All(char.IsAsciiHexDigit))
                throw new AnmProtocolException($"ops/search row {row}: correlationId '{Shorten(correlationId)}' is not hex");
            var timestamp = Number(item, "timestamp", row);
            if (timestamp is < 0 or > 253402300799999)
                throw new AnmProtocolException($"ops/search row {row}: timestamp {timestamp} is out of range");
            var duration = Number(item, "duration", row);
            if (duration < 0 || !double.IsFinite(duration))
                throw new AnmProtocolException($"ops/search row {row}: duration {duration} is negative");
            var status = Number(item, "status", row);
            if (status is < 0 or > 999 || status != Math.Floor(status))
                throw new AnmProtocolException($"ops/search row {row}: status {status} is not an HTTP status");
            transactions.Add(new TrafficTransaction(
                datacenterId,
                instanceId,
                correlationId.ToLowerInvariant(),
                DateTimeOffset.FromUnixTimeMilliseconds((long)timestamp),
                duration,
                (int)status,
                Shorten(String(item, "method", row) ?? "", 16),
                Shorten(String(item, "uri", row) ?? "", 2048),
                String(item, "serviceName", row) is { } service ? Shorten(service, 200) : null,
                Shorten(String(item, "finalStatus", row, required: true)!, 32),
                String(item, "remoteAddr", row) is { } remote ? Shorten(remote, 64) : null));
        }
        return transactions;
    }

    public static IReadOnlyList<TraceEntry> ParseTrace(string json)
    {
        using var document = Parse(json, "ops/trace");
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new AnmProtocolException("ops/trace answer is not an array");
        var lines = new List<TraceEntry>();
        var row = 0;
        foreach (var item in document.RootElement.EnumerateArray())
        {
            row++;
            if (item.ValueKind != JsonValueKind.Object)
                throw new AnmProtocolException($"ops/trace line {row} is not an object");
            var time = Number(item, "time", row);
            lines.Add(new TraceEntry(
                Shorten(String(item, "level", row) ?? "", 16),
                Shorten(String(item, "text", row) ?? "", 8000),
                DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Clamp(time, 0, 253402300799999)),
                item.TryGetProperty("depth", out var depth) && depth.TryGetInt32(out var d) ? Math.Clamp(d, 0, 64) : 0));
        }
        return lines;
    }

    /// <summary>
    /// Reads <c>api/monitoring/summary</c>: the counters are under <c>result.summaryMetrics</c> (the same metrics as
    /// <c>metrics/totals</c> of the SystemOverview group). <c>numMessages</c>, <c>successes</c> and <c>failures</c> must be
    /// there: a counter that is missing is an answer this console does not read, never a zero.
    /// </summary>
    public static InstanceSummary ParseSummary(string json, DateTimeOffset now)
    {
        using var document = Parse(json, "monitoring/summary");
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            throw Unread("monitoring/summary", "no 'result' object");
        if (!result.TryGetProperty("summaryMetrics", out var metrics) || metrics.ValueKind != JsonValueKind.Object)
            throw Unread("monitoring/summary", "no 'result.summaryMetrics' object");
        long? Counter(string name, bool required)
        {
            if (!metrics.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
                return required ? throw Unread("monitoring/summary", $"result.summaryMetrics has no '{name}'") : null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) && d >= 0 && d == Math.Floor(d) && d < 9e15)
                return (long)d;
            throw Unread("monitoring/summary", $"result.summaryMetrics.{name} is {Shorten(v.GetRawText())}, not a count");
        }
        var processed = Counter("numMessages", required: true)!.Value;
        var successes = Counter("successes", required: true)!.Value;
        var failures = Counter("failures", required: true)!.Value;
        var exceptions = Counter("exceptions", required: false);
        var uptime = Counter("uptime", required: false);
        return new InstanceSummary(successes, failures, exceptions, processed, uptime is { } up ? TimeSpan.FromSeconds(up) : null, now);
    }

    /// <summary>
    /// Reads <c>api/monitoring/metrics/timeline</c>: a MetricTimeline <c>{name, series: [{name, pointInterval, pointStart,
    /// data}]}</c>, under <c>result</c> as every ANM answer is, or bare. The console asks for the <c>successes</c> and
    /// <c>failures</c> series; an answer without either, or with points that are not counts, is not read (no empty chart).
    /// </summary>
    public static InstanceTimeline ParseTimeline(string json)
    {
        const string what = "monitoring/metrics/timeline";
        using var document = Parse(json, what);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw Unread(what, "the answer is not an object");
        var timeline = root.TryGetProperty("result", out var result) ? result : root;
        if (timeline.ValueKind != JsonValueKind.Object)
            throw Unread(what, "'result' is not an object");
        if (!timeline.TryGetProperty("series", out var series) || series.ValueKind != JsonValueKind.Array)
            throw Unread(what, series.ValueKind == JsonValueKind.Object ? "'series' is an object, not a list of series" : "no 'series' list");
        var found = new Dictionary<string, (long Start, long Interval, List<long> Points)>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in series.EnumerateArray())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object)
                throw Unread(what, $"series {index} is not an object");
            var name = item.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw Unread(what, $"series {index} has no 'name'");
            if (!item.TryGetProperty("pointStart", out var start) || !start.TryGetInt64(out var startMs) || startMs is < 0 or > 253402300799999)
                throw Unread(what, $"series '{Shorten(name)}' has no 'pointStart' in epoch milliseconds");
            if (!item.TryGetProperty("pointInterval", out var interval) || !interval.TryGetInt64(out var intervalMs) || intervalMs is <= 0 or > 86_400_000L * 30)
                throw Unread(what, $"series '{Shorten(name)}' has no positive 'pointInterval'");
            if (!item.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw Unread(what, $"series '{Shorten(name)}' has no 'data' list");
            if (data.GetArrayLength() > 10_000)
                throw Unread(what, $"series '{Shorten(name)}' holds {data.GetArrayLength()} points");
            var points = new List<long>(data.GetArrayLength());
            foreach (var v in data.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d) || d < 0 || d > 9e15)
                    throw Unread(what, $"series '{Shorten(name)}' holds {Shorten(v.GetRawText())}, not a count");
                points.Add((long)Math.Round(d));
            }
            found[name] = (startMs, intervalMs, points);
        }
        if (!found.TryGetValue("successes", out var successes) || !found.TryGetValue("failures", out var failures))
            throw Unread(what, $"no '{(found.ContainsKey("successes") ? "failures" : "successes")}' series (series: {(found.Count == 0 ? "none" : string.Join(", ", found.Keys.Select(k => Shorten(k))))})");
        if (successes.Start != failures.Start || successes.Interval != failures.Interval)
            throw Unread(what, "the 'successes' and 'failures' series do not share their pointStart and pointInterval");
        return new InstanceTimeline(DateTimeOffset.FromUnixTimeMilliseconds(successes.Start), TimeSpan.FromMilliseconds(successes.Interval), successes.Points, failures.Points);
    }

    /// <summary>An answer this console does not read, with what is wrong: shown as the instance's (and the datacenter's) status.</summary>
    private static AnmProtocolException Unread(string endpoint, string problem) =>
        new($"the ANM answered {endpoint} in a shape this console does not read: {problem}");

    private static JsonDocument Parse(string json, string what)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new AnmProtocolException($"{what} answer is not JSON: {ex.Message}");
        }
    }

    private static string? String(JsonElement item, string name, int row, bool required = false)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw new AnmProtocolException($"row {row} has no '{name}'") : null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new AnmProtocolException($"row {row}: '{name}' is not a string"),
        };
    }

    private static double Number(JsonElement item, string name, int row)
    {
        if (!item.TryGetProperty(name, out var value))
            throw new AnmProtocolException($"row {row} has no '{name}'");
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number))
            return number;
        if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number))
            return number;
        throw new AnmProtocolException($"row {row}: '{name}' is not a number");
    }

    private static string Shorten(string text, int max = 40) => text.Length <= max ? text : text[..max];
}
