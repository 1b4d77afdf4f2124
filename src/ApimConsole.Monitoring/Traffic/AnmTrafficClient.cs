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
public sealed record InstanceSummary(long Successes, long Failures, long Exceptions, long Processed, TimeSpan? Uptime, DateTimeOffset ReadAt);

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

    /// <summary>Leg-0 transactions that started within <paramref name="ago"/> (whole seconds, at least one), newest first.</summary>
    public async Task<IReadOnlyList<TrafficTransaction>> SearchAsync(string datacenterId, string instanceId, int count, TimeSpan ago, CancellationToken cancellationToken)
    {
        count = Math.Clamp(count, 1, MaxSearchCount);
        var seconds = Math.Max(1, (long)Math.Ceiling(ago.TotalSeconds));
        var json = await GetAsync(Router(instanceId, $"ops/search?format=json&field=leg&value=0&count={count}&ago={seconds}s"), MaxSearchBytes, cancellationToken);
        return ParseSearch(json, datacenterId, instanceId);
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

    public static InstanceSummary ParseSummary(string json, DateTimeOffset now)
    {
        using var document = Parse(json, "monitoring summary");
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
            throw new AnmProtocolException("monitoring summary has no 'result' object");
        long Counter(string name) => result.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) && n >= 0 ? n : 0;
        var successes = Counter("successes");
        var failures = Counter("failures");
        var exceptions = Counter("exceptions");
        var processed = result.TryGetProperty("numMessagesProcessed", out _) ? Counter("numMessagesProcessed") : successes + failures + exceptions;
        TimeSpan? uptime = result.TryGetProperty("uptime", out var u) && u.TryGetInt64(out var up) && up >= 0 ? TimeSpan.FromSeconds(up) : null;
        return new InstanceSummary(successes, failures, exceptions, processed, uptime, now);
    }

    public static InstanceTimeline ParseTimeline(string json)
    {
        using var document = Parse(json, "monitoring timeline");
        if (!document.RootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object
            || !result.TryGetProperty("pointStart", out var start) || !start.TryGetInt64(out var startMs)
            || !result.TryGetProperty("pointInterval", out var interval) || !interval.TryGetInt64(out var intervalMs) || intervalMs <= 0
            || !result.TryGetProperty("series", out var series) || series.ValueKind != JsonValueKind.Object)
            throw new AnmProtocolException("monitoring timeline lacks result.pointStart, pointInterval or series");
        IReadOnlyList<long> Series(string name)
        {
            if (!series.TryGetProperty(name, out var values))
                return [];
            if (values.ValueKind != JsonValueKind.Array)
                throw new AnmProtocolException($"monitoring timeline series '{name}' is not an array");
            return values.EnumerateArray().Select(v => v.TryGetInt64(out var n) && n >= 0 ? n : throw new AnmProtocolException($"monitoring timeline series '{name}' holds '{v}'")).ToList();
        }
        return new InstanceTimeline(DateTimeOffset.FromUnixTimeMilliseconds(startMs), TimeSpan.FromMilliseconds(intervalMs), Series("successes"), Series("failures"));
    }

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
