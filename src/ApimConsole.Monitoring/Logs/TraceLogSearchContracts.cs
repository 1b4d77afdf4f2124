using ApimConsole.Core.Logs;

namespace ApimConsole.Monitoring.Logs;

/// <summary>
/// A historical search over one datacenter's trace files. Every filter is optional and they combine with AND.
/// Times are the gateways' written local times (<see cref="DateTimeKind.Unspecified"/>), the same clock as
/// <see cref="TraceEntry.Time"/>; the files searched are those whose span (from the start time in their name to the
/// next file's start) overlaps [<see cref="From"/>, <see cref="To"/>).
/// </summary>
/// <param name="CorrelationId">24 hex digits; matched exactly (case-insensitive).</param>
/// <param name="Text">Plain text (not a pattern) matched case-insensitively against the message.</param>
/// <param name="Levels">The levels to return; null or empty means every level.</param>
/// <param name="MaxResults">Stop after this many hits (the result says it was cut).</param>
public sealed record TraceSearchQuery(
    string DatacenterId,
    DateTime? From = null,
    DateTime? To = null,
    string? CorrelationId = null,
    string? Text = null,
    IReadOnlyList<TraceLevel>? Levels = null,
    string? GroupId = null,
    string? InstanceId = null,
    int MaxResults = 10_000);

/// <summary>How far a search got. Reported as it runs and once more at the end (<see cref="Done"/>).</summary>
/// <param name="Error">Why the search stopped early (source unreachable mid-search); null when it did not.</param>
/// <param name="Truncated">It stopped at <see cref="TraceSearchQuery.MaxResults"/>.</param>
/// <param name="Notes">What was skipped or odd on the way (a file rolled away or truncated mid-search, bytes that are not
/// text); null when nothing was.</param>
public sealed record TraceSearchProgress(
    int FilesTotal,
    int FilesSearched,
    long BytesTotal,
    long BytesSearched,
    int Hits,
    bool Done,
    bool Truncated,
    string? Error,
    IReadOnlyList<string>? Notes = null);

/// <summary>
/// Searches a datacenter's trace files as they are on its log source. Hits stream out as they are found (per file in
/// time order, merged across instances per file window is not promised: callers sort what they show); cancellation
/// stops the read promptly. Hits are <see cref="TraceLogRecord"/>s with <see cref="TraceLogRecord.Sequence"/> the
/// hit's number (1, 2, ...).
/// </summary>
public interface ITraceLogSearch
{
    /// <summary>Throws <see cref="ArgumentException"/> for a bad query (unknown DC, malformed correlation id, From after To).</summary>
    IAsyncEnumerable<TraceLogRecord> SearchAsync(TraceSearchQuery query, IProgress<TraceSearchProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>Each configured datacenter's log source, built once and shared by the live tail and the search.</summary>
public interface ITraceLogSources
{
    /// <summary>The datacenters with a configured log source, in configuration order.</summary>
    IReadOnlyList<string> DatacenterIds { get; }

    /// <summary>The source of <paramref name="datacenterId"/>; null when it has none configured.</summary>
    ITraceLogSource? For(string datacenterId);

    /// <summary>The zone the DC's gateways write trace times in (UTC when not configured).</summary>
    TimeZoneInfo TimeZoneOf(string datacenterId);
}
