using System.Globalization;

namespace ApimConsole.Core.Traffic;

/// <summary>
/// A transaction search. Every criterion is optional; all given ones must match. Build it with <see cref="Parse"/>
/// from query-string values: a bad value is reported by name and nothing is searched.
/// </summary>
public sealed record TransactionQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public string? DatacenterId { get; init; }
    public string? InstanceId { get; init; }
    public string? CorrelationId { get; init; }
    /// <summary>Matches when the transaction's URI path contains this text (case-insensitive).</summary>
    public string? Path { get; init; }
    /// <summary>An exact status (<c>503</c>) or a class (<c>5</c> for 5xx).</summary>
    public int? Status { get; init; }
    public bool StatusIsClass { get; init; }
    public double? MinDurationMs { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>Only transactions of these datacenters (the ones the asking user may read); null: any datacenter.</summary>
    public IReadOnlyCollection<string>? Datacenters { get; init; }

    public bool Matches(TrafficTransaction t)
    {
        if (Datacenters is not null && !Datacenters.Contains(t.DatacenterId, StringComparer.OrdinalIgnoreCase))
            return false;
        if (DatacenterId is not null && !string.Equals(t.DatacenterId, DatacenterId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (InstanceId is not null && !string.Equals(t.InstanceId, InstanceId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (CorrelationId is not null && !string.Equals(t.CorrelationId, CorrelationId, StringComparison.OrdinalIgnoreCase))
            return false;
        if (Path is not null && !t.Uri.Contains(Path, StringComparison.OrdinalIgnoreCase))
            return false;
        if (Status is { } status && (StatusIsClass ? t.Status / 100 != status : t.Status != status))
            return false;
        if (MinDurationMs is { } min && t.DurationMs < min)
            return false;
        if (From is { } from && t.Timestamp < from)
            return false;
        if (To is { } to && t.Timestamp > to)
            return false;
        return true;
    }

    /// <summary>
    /// Reads a query from named text values (<c>dc</c>, <c>instance</c>, <c>correlationId</c>, <c>path</c>, <c>status</c>,
    /// <c>minDurationMs</c>, <c>from</c>, <c>to</c>, <c>limit</c>). Returns null and the problems, each naming its parameter,
    /// when any value is bad.
    /// </summary>
    public static TransactionQuery? Parse(Func<string, string?> value, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        string? Text(string name, int max) => Queries.QueryText.Read(value, name, max, problems);
        DateTimeOffset? Time(string name)
        {
            var v = Text(name, 64);
            if (v is null)
                return null;
            if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < 253402300799999)
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                return t;
            problems.Add($"{name} '{v}' is not a time (ISO 8601 such as 2026-11-23T14:05:00Z, or epoch milliseconds).");
            return null;
        }

        var correlationId = Text("correlationId", 64);
        if (correlationId is not null && correlationId.StartsWith("Id-", StringComparison.OrdinalIgnoreCase))
            correlationId = correlationId[3..].Split(' ')[0];
        if (correlationId is not null && !correlationId.All(char.IsAsciiHexDigit))
        {
            problems.Add($"correlationId '{correlationId}' is not a correlation id (hex digits, optionally as 'Id-<hex>').");
            correlationId = null;
        }

        int? status = null;
        var statusIsClass = false;
        if (Text("status", 8) is { } statusText)
        {
            var classText = statusText.Length == 3 && statusText.EndsWith("xx", StringComparison.OrdinalIgnoreCase) ? statusText[..1] : null;
            if (classText is not null && int.TryParse(classText, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c is >= 1 and <= 5)
                (status, statusIsClass) = (c, true);
            else if (int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 100 and <= 599)
                status = s;
            else
                problems.Add($"status '{statusText}' is not an HTTP status (100-599) or class (1xx-5xx).");
        }

        double? minDuration = null;
        if (Text("minDurationMs", 16) is { } durationText)
        {
            if (double.TryParse(durationText, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && double.IsFinite(d))
                minDuration = d;
            else
                problems.Add($"minDurationMs '{durationText}' is not a non-negative number of milliseconds.");
        }

        var limit = DefaultLimit;
        if (Text("limit", 8) is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                problems.Add($"limit '{limitText}' must be between 1 and {MaxLimit}.");
                limit = DefaultLimit;
            }
        }

        var query = new TransactionQuery
        {
            DatacenterId = Text("dc", 64),
            InstanceId = Text("instance", 200),
            CorrelationId = correlationId,
            Path = Text("path", 400),
            Status = status,
            StatusIsClass = statusIsClass,
            MinDurationMs = minDuration,
            From = Time("from"),
            To = Time("to"),
            Limit = limit,
        };
        if (query.From is { } f && query.To is { } t && t < f)
            problems.Add("to is before from.");
        errors = problems;
        return problems.Count == 0 ? query : null;
    }
}

/// <summary>
/// The most recent transactions the collector read, in a ring buffer shared by every circuit: memory stays bounded
/// whatever the traffic, and the oldest go first. Thread-safe.
/// </summary>
public sealed class RecentTransactions(int capacity = RecentTransactions.DefaultCapacity)
{
    public const int DefaultCapacity = 50_000;

    private readonly TrafficTransaction?[] _ring = new TrafficTransaction?[Math.Max(1, capacity)];
    private readonly Lock _gate = new();
    private int _next;
    private int _count;

    public int Capacity => _ring.Length;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    public void Add(IEnumerable<TrafficTransaction> transactions)
    {
        lock (_gate)
        {
            foreach (var t in transactions)
            {
                _ring[_next] = t;
                _next = (_next + 1) % _ring.Length;
                _count = Math.Min(_count + 1, _ring.Length);
            }
        }
    }

    /// <summary>Matches, newest start first, at most <see cref="TransactionQuery.Limit"/>.</summary>
    public IReadOnlyList<TrafficTransaction> Search(TransactionQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var found = new List<TrafficTransaction>();
        lock (_gate)
        {
            for (var i = 1; i <= _count; i++)
            {
                var t = _ring[(_next - i + _ring.Length) % _ring.Length]!;
                if (query.Matches(t))
                    found.Add(t);
            }
        }
        // Read in arrival order (completion), shown in start order.
        return found.OrderByDescending(t => t.Timestamp).Take(query.Limit).ToList();
    }

    public TrafficTransaction? Find(string datacenterId, string correlationId)
    {
        lock (_gate)
        {
            for (var i = 1; i <= _count; i++)
            {
                var t = _ring[(_next - i + _ring.Length) % _ring.Length]!;
                if (string.Equals(t.CorrelationId, correlationId, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(t.DatacenterId, datacenterId, StringComparison.OrdinalIgnoreCase))
                    return t;
            }
        }
        return null;
    }
}
