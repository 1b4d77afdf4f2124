using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ApimConsole.Core.Logs;
using ApimConsole.Monitoring.Logs;

namespace ApimConsole.Web.Tests.Logs;

/// <summary>A log source with no files that can be switched unreachable, as a cut link makes it.</summary>
internal sealed class SwitchableSource(string location) : ITraceLogSource
{
    public volatile string? FailWith;

    public string Location => location;

    public Task<IReadOnlyList<TraceFileInfo>> ListFilesAsync(CancellationToken cancellationToken) =>
        FailWith is { } error ? throw new TraceLogSourceException(error) : Task.FromResult<IReadOnlyList<TraceFileInfo>>([]);

    public Task<TraceFileChunk> ReadAsync(TraceFileInfo file, long offset, int maxBytes, CancellationToken cancellationToken) =>
        throw new TraceLogSourceException("no files");
}

internal sealed class FakeSources(IReadOnlyDictionary<string, ITraceLogSource> sources, IReadOnlyDictionary<string, TimeZoneInfo>? zones = null) : ITraceLogSources
{
    public IReadOnlyList<string> DatacenterIds { get; } = sources.Keys.Order(StringComparer.Ordinal).ToList();

    public ITraceLogSource? For(string datacenterId) => sources.GetValueOrDefault(datacenterId);

    public TimeZoneInfo TimeZoneOf(string datacenterId) => zones?.GetValueOrDefault(datacenterId) ?? TimeZoneInfo.Utc;
}

/// <summary>A search whose hits the test hands out one by one, recording the query it was asked.</summary>
internal sealed class FakeSearch : ITraceLogSearch
{
    public readonly Channel<TraceLogRecord> Hits = Channel.CreateUnbounded<TraceLogRecord>();
    public TraceSearchQuery? Query;
    public IProgress<TraceSearchProgress>? Progress;
    public volatile bool WasCancelled;

    public async IAsyncEnumerable<TraceLogRecord> SearchAsync(TraceSearchQuery query, IProgress<TraceSearchProgress>? progress, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Query = query;
        Progress = progress;
        while (true)
        {
            TraceLogRecord hit;
            try
            {
                if (!await Hits.Reader.WaitToReadAsync(cancellationToken))
                    yield break;
                if (!Hits.Reader.TryRead(out hit!))
                    continue;
            }
            catch (OperationCanceledException)
            {
                WasCancelled = true;
                throw;
            }
            yield return hit;
        }
    }
}

internal static class TraceRecords
{
    public static TraceEntry Entry(TraceLevel level, DateTime time, string message, string? correlation = "697f605fdb408a78c01cc73e") =>
        new(0, message.Length + 60, level, time, "4f2a", correlation, message);

    public static TraceLogRecord Record(long sequence, string dc, string instance, TraceEntry entry) =>
        new(sequence, dc, "group-2", instance, "instance_20261123193000.trc", entry);
}
