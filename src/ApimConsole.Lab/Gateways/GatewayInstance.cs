using System.Net;
using System.Security.Cryptography;

namespace ApimConsole.Lab.Gateways;

/// <summary>A group of gateway instances in one datacenter: the internal zone or the DMZ.</summary>
public sealed record GatewayGroup(string Id, string Name, string Zone);

/// <summary>
/// One simulated API Gateway instance: what it has recorded (transactions, trace) and which configuration it runs.
/// Its traffic listener lives in <see cref="GatewayTrafficServer"/>; its management API is reached through the ANM router.
/// </summary>
public sealed class GatewayInstance
{
    private readonly int _maxTraceLines;

    private readonly Lock _gate = new();
    private readonly GatewayTransaction?[] _ring;
    private readonly Dictionary<string, GatewayTransaction> _byCorrelation = new(StringComparer.Ordinal);
    private readonly Queue<TraceLine> _trace = new();
    private int _next;
    private int _count;
    private long _successes;
    private long _failures;
    private long _exceptions;
    private string _archiveId;
    private TraceFileWriter? _traceFile;

    public GatewayInstance(string datacenterId, string id, string name, GatewayGroup group, IPAddress address, string hostId, string initialArchiveId, int capacity, DateTimeOffset startedAt, int traceLines = 20_000)
    {
        _maxTraceLines = Math.Max(1, traceLines);
        DatacenterId = datacenterId;
        Id = id;
        Name = name;
        Group = group;
        Address = address;
        HostId = hostId;
        _archiveId = initialArchiveId;
        _ring = new GatewayTransaction?[capacity];
        StartedAt = startedAt;
        ThreadId = RandomNumberGenerator.GetHexString(4, lowercase: true);
    }

    public string DatacenterId { get; }
    public string Id { get; }
    public string Name { get; }
    public GatewayGroup Group { get; }
    public IPAddress Address { get; }
    public string HostId { get; }
    public DateTimeOffset StartedAt { get; }
    /// <summary>The 4-hex thread id this instance writes into its trace lines.</summary>
    public string ThreadId { get; }

    public string ArchiveId
    {
        get { lock (_gate) return _archiveId; }
    }

    public void LoadArchive(string archiveId)
    {
        lock (_gate)
            _archiveId = archiveId;
    }

    public void Record(GatewayTransaction transaction)
    {
        lock (_gate)
        {
            var evicted = _ring[_next];
            if (evicted is not null)
                _byCorrelation.Remove(evicted.CorrelationId);
            _ring[_next] = transaction;
            _byCorrelation[transaction.CorrelationId] = transaction;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
            switch (transaction.FinalStatus)
            {
                case "Pass": _successes++; break;
                case "Fail": _failures++; break;
                default: _exceptions++; break;
            }
            foreach (var line in transaction.Trace)
                AppendTraceLocked(line);
        }
    }

    /// <summary>From now on every trace line also goes to this instance's trace files.</summary>
    public void AttachTraceFile(TraceFileWriter writer)
    {
        lock (_gate)
            _traceFile = writer;
    }

    public void WriteTrace(TraceLine line)
    {
        lock (_gate)
            AppendTraceLocked(line);
    }

    /// <summary>The most recent trace lines, oldest first.</summary>
    public IReadOnlyList<TraceLine> RecentTrace(int max)
    {
        lock (_gate)
            return _trace.Skip(Math.Max(0, _trace.Count - max)).ToList();
    }

    /// <summary>Newest first, at most <paramref name="count"/>, none older than <paramref name="since"/>.</summary>
    public IReadOnlyList<GatewayTransaction> Search(Func<GatewayTransaction, bool> match, DateTimeOffset since, int count)
    {
        var result = new List<GatewayTransaction>(Math.Min(count, 256));
        lock (_gate)
        {
            for (var i = 1; i <= _count && result.Count < count; i++)
            {
                var t = _ring[(_next - i + _ring.Length) % _ring.Length]!;
                // Recorded at completion, so timestamps (the start) are only nearly in order: scan everything.
                if (t.Timestamp < since)
                    continue;
                if (match(t))
                    result.Add(t);
            }
        }
        return result;
    }

    public GatewayTransaction? Find(string correlationId)
    {
        lock (_gate)
            return _byCorrelation.GetValueOrDefault(correlationId);
    }

    public (long Successes, long Failures, long Exceptions) Totals
    {
        get { lock (_gate) return (_successes, _failures, _exceptions); }
    }

    private void AppendTraceLocked(TraceLine line)
    {
        _trace.Enqueue(line);
        _traceFile?.Write(line);
        while (_trace.Count > _maxTraceLines)
            _trace.Dequeue();
    }
}
