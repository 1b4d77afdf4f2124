namespace ApimConsole.Storage.Records;

/// <summary>One roll-up cell: a datacenter's instance's API path in one UTC minute.</summary>
public sealed class TrafficMinute
{
    public long Id { get; set; }
    public required string DatacenterId { get; set; }
    public required string InstanceId { get; set; }
    public required string ApiPath { get; set; }
    public DateTimeOffset Minute { get; set; }
    public long Count { get; set; }
    public long Successes { get; set; }
    public long Failures { get; set; }
    public long Status1xx { get; set; }
    public long Status2xx { get; set; }
    public long Status3xx { get; set; }
    public long Status4xx { get; set; }
    public long Status5xx { get; set; }
    public long StatusOther { get; set; }
    /// <summary>The latency histogram in <c>LatencyHistogram.Encode</c> form (sparse buckets), from which percentiles are read.</summary>
    public required string Latency { get; set; }
}

/// <summary>A stretch of time for which a datacenter's traffic was read, or was not (with why).</summary>
public sealed class TrafficCoverage
{
    public long Id { get; set; }
    public required string DatacenterId { get; set; }
    public DateTimeOffset From { get; set; }
    public DateTimeOffset To { get; set; }
    public bool Collected { get; set; }
    public string? Reason { get; set; }
}
