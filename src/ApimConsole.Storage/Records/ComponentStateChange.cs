namespace ApimConsole.Storage.Records;

/// <summary>One transition of an estate component (gateway, ANM, Cassandra node, link) as the console saw it.</summary>
public sealed class ComponentStateChange
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string DatacenterId { get; set; }
    public required string ComponentId { get; set; }
    /// <summary>e.g. <c>Gateway</c>, <c>AdminNodeManager</c>, <c>CassandraNode</c>, <c>Link</c>.</summary>
    public required string ComponentKind { get; set; }
    public required string FromState { get; set; }
    public required string ToState { get; set; }
    public string? Reason { get; set; }
}
