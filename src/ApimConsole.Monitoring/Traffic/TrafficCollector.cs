using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApimConsole.Monitoring.Traffic;

/// <summary>How the last poll of a datacenter went, and what each of its instances last said of itself.</summary>
public sealed record DatacenterCollectionStatus(
    string DatacenterId,
    DateTimeOffset? LastPoll,
    bool Collected,
    string? Reason,
    long TransactionsRead,
    IReadOnlyDictionary<string, InstanceCollectionStatus> Instances)
{
    /// <summary>
    /// What the datacenter's ANM answered that the console could not read although the poll went through (an instance's
    /// monitoring summary or timeline in a shape it does not know), each with the instances it concerns. Empty when none.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>An instance as the last poll saw it: its monitoring summary and timeline, or why they (or its transactions) could not be read.</summary>
public sealed record InstanceCollectionStatus(string InstanceId, InstanceSummary? Summary, InstanceTimeline? Timeline, string? Problem);

/// <summary>
/// Reads each datacenter's traffic from its Admin Node Manager, in the background: every <see cref="TrafficOptions.PollInterval"/>
/// each DC (on its own loop, so a dead or slow DC delays nobody) asks every gateway instance the status engine knows
/// for the transactions that started since the last poll (plus <see cref="TrafficOptions.Overlap"/>, deduplicated by
/// correlation id), at most <see cref="TrafficOptions.MaxTransactionsPerPoll"/> per instance; and for its monitoring
/// summary, and now and then its timeline. What it reads goes into the per-minute roll-ups (in memory at once, in the
/// store every <see cref="TrafficOptions.FlushInterval"/>) and the recent-transactions ring. Every poll also records
/// its coverage: read, or a gap with the reason, so pages never show a zero for time nobody could see.
/// </summary>
public sealed class TrafficCollector : BackgroundService
{
    private readonly EstateOptions _estate;
    private readonly TrafficOptions _options;
    private readonly IEstateStatus _status;
    private readonly ITrafficStore _store;
    private readonly TrafficHistory _history;
    private readonly RecentTransactions _recent;
    private readonly TimeProvider _time;
    private readonly ILogger<TrafficCollector> _logger;
    private readonly Dictionary<string, DatacenterCollection> _datacenters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _pendingGate = new();
    private readonly Lock _stopGate = new();
    private Task? _finalFlush;
    private readonly TrafficRollup _pending = new();
    private readonly Dictionary<(string Dc, DateTimeOffset From), CoverageSpan> _pendingCoverage = [];
    private DateTimeOffset _lastPrune;
    private volatile bool _loaded;

    public TrafficCollector(IOptions<EstateOptions> estate, IOptions<TrafficOptions> options, IEstateStatus status, ITrafficStore store,
        TrafficHistory history, RecentTransactions recent, TimeProvider time, ILogger<TrafficCollector> logger, IHttpClientFactory httpClients)
    {
        _estate = estate.Value;
        _options = options.Value;
        _status = status;
        _store = store;
        _history = history;
        _recent = recent;
        _time = time;
        _logger = logger;
        foreach (var dc in _estate.Datacenters)
        {
            // The same connection settings as every other ANM caller; compressed answers accepted, as searches can be large.
            var http = httpClients.CreateClient(EstateHttpUse.Traffic, dc.AdminNodeManager.AcceptAnyServerCertificate);
            var anms = dc.AdminNodeManager.Urls.Select(u => new AnmTrafficClient(http, u, dc.AdminNodeManager.Username, dc.AdminNodeManager.Password)).ToList();
            _datacenters[dc.Id] = new DatacenterCollection(dc.Id, anms);
        }
    }

    /// <summary>False until the stored history has been read at start; views before then would show gaps that are not.</summary>
    public bool HistoryLoaded => _loaded;

    public IReadOnlyList<DatacenterCollectionStatus> Status() =>
        _datacenters.Values.Select(d => d.Status).ToList();

    /// <summary>Reads one transaction's trace from the instance that ran it, within the request timeout.</summary>
    public async Task<IReadOnlyList<TraceEntry>> GetTraceAsync(string datacenterId, string instanceId, string correlationId, CancellationToken cancellationToken)
    {
        if (!_datacenters.TryGetValue(datacenterId, out var dc))
            throw new ArgumentException($"'{datacenterId}' is not a datacenter of this estate.", nameof(datacenterId));
        if (string.IsNullOrEmpty(correlationId) || correlationId.Length > 64 || !correlationId.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"'{correlationId}' is not a correlation id.", nameof(correlationId));
        return await WithTimeoutAsync(ct => dc.Anm.GetTraceAsync(instanceId, correlationId, ct), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await LoadHistoryAsync(stoppingToken);
        var loops = _datacenters.Values.Select(dc => RunDatacenterAsync(dc, stoppingToken)).Append(RunFlushAsync(stoppingToken)).ToList();
        await Task.WhenAll(loops);
    }

    /// <summary>Reads what the store kept (5 days) into the in-memory history, so views survive restarts.</summary>
    public async Task LoadHistoryAsync(CancellationToken cancellationToken)
    {
        var from = _time.GetUtcNow() - TrafficHistory.Retention;
        try
        {
            _history.LoadCoverage(await _store.ReadCoverageAsync(from, cancellationToken));
            var batch = new List<TrafficCell>(4096);
            long cells = 0;
            await foreach (var cell in _store.ReadCellsAsync(from, cancellationToken))
            {
                batch.Add(cell);
                if (batch.Count == batch.Capacity)
                {
                    _history.Add(batch);
                    cells += batch.Count;
                    batch.Clear();
                }
            }
            _history.Add(batch);
            cells += batch.Count;
            _logger.LogInformation("Traffic: {Cells} stored roll-up cells read", cells);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Without the history the console still collects; the past shows as gaps, which it then is to us.
            _logger.LogError(ex, "Traffic: the stored history could not be read");
        }
        _loaded = true;
    }

    private async Task RunDatacenterAsync(DatacenterCollection dc, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(dc.Id, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Traffic: poll of {Datacenter} failed unexpectedly", dc.Id);
            }
            try
            {
                await Task.Delay(_options.PollInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RunFlushAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.FlushInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await FlushAsync(stoppingToken);
        }
    }

    /// <summary>One poll of one datacenter. Public for tests and the benchmark; the background loop calls it on a schedule.</summary>
    public async Task PollAsync(string datacenterId, CancellationToken cancellationToken)
    {
        var dc = _datacenters[datacenterId];
        var now = _time.GetUtcNow();
        var snapshot = _status.Current.Find(dc.Id);
        var instances = snapshot?.GatewayInstances.Select(i => i.Id).Distinct(StringComparer.OrdinalIgnoreCase).ToList() ?? [];
        if (instances.Count == 0)
        {
            var reason = snapshot is { State: DatacenterState.Unreachable or DatacenterState.Down }
                ? $"{dc.Id} {snapshot.State.ToString().ToLowerInvariant()}: {snapshot.Reason}"
                : "no gateway instances known yet (the ANM topology has not been read)";
            RecordGap(dc, now, reason);
            return;
        }

        // Steady state: from the last poll, reaching back by the overlap for transactions that completed since.
        // After a start or a gap: only the last interval, so no stretch is counted that is not covered.
        var consecutive = dc.LastPollSucceeded && dc.LastSuccess is not null;
        DateTimeOffset from;
        DateTimeOffset accept;
        if (consecutive)
        {
            from = dc.LastSuccess!.Value;
            // The overlap never reaches back before the start of this run of polls: time before it was a gap (or before
            // the console started), and counting its transactions against the run's covered seconds made a false spike
            // in the minute collection resumed (issue #21: 19.3 req/s for a rate of 10).
            accept = from - _options.Overlap;
            if (dc.RunStart is { } runStart && accept < runStart)
                accept = runStart;
        }
        else
        {
            from = now - _options.PollInterval;
            if (_history.CollectedUntil(dc.Id) is { } until && until > from && until <= now)
                from = until;
            accept = from;
        }
        var ago = now - accept + TimeSpan.FromSeconds(1);

        var results = await ReadInstancesAsync(dc, instances, ago, cancellationToken);

        var malformed = results.FirstOrDefault(r => r.Error is AnmProtocolException);
        var unanswered = results.Where(r => r.Error is not null and not AnmProtocolException && !AnmAnswered(r.Error)).ToList();
        if (malformed is { Error: not null })
        {
            RecordGap(dc, now, $"the ANM's answer for {malformed.InstanceId} is not a traffic monitor answer: {malformed.Error.Message}");
            return;
        }
        if (unanswered.Count > 0)
        {
            var anmReason = ProbeOutcome.Describe(unanswered[0].Error!);
            var reason = unanswered.Count == results.Count
                ? $"ANM did not answer ({anmReason})"
                : $"ANM answered for only {results.Count - unanswered.Count} of {results.Count} instances ({anmReason})";
            if (snapshot is { State: DatacenterState.Unreachable or DatacenterState.Down } && !string.IsNullOrEmpty(snapshot.Reason))
                reason = $"{dc.Id} {snapshot.State.ToString().ToLowerInvariant()}: {snapshot.Reason}; {reason}";
            RecordGap(dc, now, reason);
            return;
        }

        // A full answer means older transactions may exist that it did not include: coverage starts at its oldest.
        var spanFrom = from;
        var cut = accept;
        foreach (var result in results)
        {
            // The search reaches back whole minutes (the traffic monitor's unit): a full answer loses something only
            // when its oldest row is younger than what this poll needs.
            if (result.Transactions is { Count: > 0 } list && list.Count >= _options.MaxTransactionsPerPoll && list.Min(t => t.Timestamp) > accept)
            {
                var oldest = list.Min(t => t.Timestamp);
                if (oldest > spanFrom)
                    spanFrom = oldest;
                if (oldest > cut)
                    cut = oldest;
                _logger.LogWarning("Traffic: {Instance} of {Datacenter} had more than {Max} transactions since the last poll; poll more often (Traffic:PollInterval)",
                    result.InstanceId, dc.Id, _options.MaxTransactionsPerPoll);
            }
        }
        if (spanFrom > now)
            spanFrom = now;
        var fresh = new List<TrafficTransaction>();
        foreach (var result in results)
        {
            foreach (var t in result.Transactions ?? [])
            {
                // Dated far ahead of our clock is not believable; seen before is already counted.
                if (t.Timestamp < cut || t.Timestamp > now + TimeSpan.FromMinutes(1))
                    continue;
                if (dc.Seen.TryAdd(t.CorrelationId, t.Timestamp))
                    fresh.Add(t);
            }
        }
        // The next poll reaches back to now - overlap at most: ids older than that cannot come again.
        var forget = now - _options.Overlap - TimeSpan.FromSeconds(1);
        foreach (var old in dc.Seen.Where(p => p.Value < forget).Select(p => p.Key).ToList())
            dc.Seen.Remove(old);

        var live = new TrafficRollup();
        foreach (var t in fresh)
            live.Add(t);
        lock (_pendingGate)
        {
            foreach (var t in fresh)
                _pending.Add(t);
        }
        _recent.Add(fresh.OrderBy(t => t.Timestamp));
        _history.Add(live.Drain());
        // A run starts after a gap, or again where a full answer left a hole before its oldest row.
        if (!consecutive || spanFrom > from)
            dc.RunStart = spanFrom;
        dc.LastSuccess = now;
        dc.LastPollSucceeded = true;
        dc.TransactionsRead += fresh.Count;
        RecordCoverage(new CoverageSpan(dc.Id, spanFrom, now, true, null));

        dc.Status = new DatacenterCollectionStatus(dc.Id, now, true, null, dc.TransactionsRead,
            results.ToDictionary(r => r.InstanceId, r => new InstanceCollectionStatus(r.InstanceId, r.Summary,
                dc.Timelines.GetValueOrDefault(r.InstanceId),
                r.Error is not null ? ProbeOutcome.Describe(r.Error) : r.Problems is { Count: > 0 } p ? string.Join("; ", p.Select(x => x.Problem)) : null), StringComparer.OrdinalIgnoreCase))
        {
            // An answer in a shape the console does not read is the datacenter's status, not a detail of one instance.
            Problems = results.SelectMany(r => (r.Problems ?? []).Where(p => p.Shape).Select(p => (r.InstanceId, p.Problem)))
                .GroupBy(p => p.Problem, StringComparer.Ordinal)
                .Select(g => $"{g.Key} ({string.Join(", ", g.Select(p => p.InstanceId).Order(StringComparer.OrdinalIgnoreCase))})")
                .ToList(),
        };
    }

    private sealed record InstanceResult(string InstanceId, IReadOnlyList<TrafficTransaction>? Transactions, InstanceSummary? Summary, Exception? Error,
        IReadOnlyList<(string Problem, bool Shape)>? Problems = null);

    private async Task<List<InstanceResult>> ReadInstancesAsync(DatacenterCollection dc, List<string> instances, TimeSpan ago, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(_options.ConcurrencyPerDatacenter);
        var readTimeline = _time.GetUtcNow() - dc.LastTimeline >= _options.TimelineInterval;
        var tasks = instances.Select(async instance =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                IReadOnlyList<TrafficTransaction> transactions;
                try
                {
                    transactions = await WithTimeoutAsync(ct => dc.Anm.SearchAsync(dc.Id, instance, _options.MaxTransactionsPerPoll, ago, ct), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    return new InstanceResult(instance, null, null, ex);
                }
                // The summary and timeline are extras: their failure costs their figures (shown with the reason, never
                // as zeros), not the poll.
                var problems = new List<(string, bool)>();
                InstanceSummary? summary = null;
                try
                {
                    summary = await WithTimeoutAsync(ct => dc.Anm.GetSummaryAsync(instance, _time.GetUtcNow(), ct), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    _logger.LogDebug(ex, "Traffic: monitoring summary of {Datacenter}/{Instance} not read", dc.Id, instance);
                    problems.Add((ProbeOutcome.Describe(ex), ex is AnmProtocolException));
                }
                if (readTimeline)
                {
                    try
                    {
                        dc.Timelines[instance] = await WithTimeoutAsync(ct => dc.Anm.GetTimelineAsync(instance, ct), cancellationToken);
                        dc.TimelineProblems.TryRemove(instance, out _);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        _logger.LogDebug(ex, "Traffic: monitoring timeline of {Datacenter}/{Instance} not read", dc.Id, instance);
                        dc.Timelines.TryRemove(instance, out _);
                        dc.TimelineProblems[instance] = (ProbeOutcome.Describe(ex), ex is AnmProtocolException);
                    }
                }
                if (dc.TimelineProblems.TryGetValue(instance, out var timelineProblem))
                    problems.Add(timelineProblem);
                return new InstanceResult(instance, transactions, summary, null, problems);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var results = (await Task.WhenAll(tasks)).ToList();
        if (readTimeline)
            dc.LastTimeline = _time.GetUtcNow();
        return results;
    }

    /// <summary>An HTTP status means the ANM answered (its router could not reach the instance): a stopped instance serves nothing.</summary>
    private static bool AnmAnswered(Exception error) => error is HttpRequestException { StatusCode: not null };

    private async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await call(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {_options.RequestTimeout.TotalMilliseconds:0} ms");
        }
    }

    private void RecordGap(DatacenterCollection dc, DateTimeOffset now, string reason)
    {
        var from = dc.LastPoll is { } last && last <= now ? last : now - _options.PollInterval;
        dc.LastPollSucceeded = false;
        RecordCoverage(new CoverageSpan(dc.Id, from, now, false, reason));
        dc.Status = new DatacenterCollectionStatus(dc.Id, now, false, reason, dc.TransactionsRead, dc.Status.Instances) { Problems = dc.Status.Problems };
        _logger.LogDebug("Traffic: {Datacenter} not collected: {Reason}", dc.Id, reason);
    }

    private void RecordCoverage(CoverageSpan span)
    {
        var dc = _datacenters[span.DatacenterId];
        dc.LastPoll = span.To;
        var merged = _history.RecordCoverage(span);
        lock (_pendingGate)
            _pendingCoverage[(merged.DatacenterId, merged.From)] = merged;
    }

    /// <summary>
    /// Writes the pending roll-ups, then the coverage, to the store; on failure they wait for the next flush (the flush
    /// loop is their retry, the data held in memory meanwhile). Coverage is written only once its cells are: a span
    /// stored as collected without its cells would, after a restart, show those minutes as zero traffic. Without the
    /// span they show as not collected, which is what the store can vouch for.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells;
        List<CoverageSpan> spans;
        lock (_pendingGate)
        {
            cells = _pending.Drain();
            spans = [.. _pendingCoverage.Values];
            _pendingCoverage.Clear();
        }
        var cellsStored = false;
        try
        {
            await _store.AddCellsAsync(cells, cancellationToken);
            cellsStored = true;
            await _store.SaveCoverageAsync(spans, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (cellsStored)
            {
                _logger.LogWarning(ex, "Traffic: coverage not stored; retrying at the next flush");
            }
            else
            {
                _logger.LogWarning(ex, "Traffic: {Cells} roll-up cells and their coverage not stored; retrying at the next flush", cells.Count);
                lock (_pendingGate)
                {
                    foreach (var (key, stats) in cells)
                        _pending.Merge(key, stats);
                }
            }
            lock (_pendingGate)
            {
                // A span recorded since the drain extends the same one and is newer: it wins.
                foreach (var span in spans)
                    _pendingCoverage.TryAdd((span.DatacenterId, span.From), span);
            }
        }

        var now = _time.GetUtcNow();
        if (now - _lastPrune >= TimeSpan.FromHours(1))
        {
            _lastPrune = now;
            _history.Prune(now);
            try
            {
                var deleted = await _store.PruneAsync(now - TrafficHistory.Retention, cancellationToken);
                if (deleted > 0)
                    _logger.LogInformation("Traffic: {Rows} rows older than {Days} days deleted", deleted, TrafficHistory.Retention.TotalDays);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "Traffic: old roll-ups not deleted");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // A host can be stopped twice at once (a web application's Run ends with a stop of its own while whoever
        // hosts it stops it too): every stop waits for the one final flush, none returns while it still writes.
        Task flush;
        lock (_stopGate)
            flush = _finalFlush ??= FinalFlushAsync(cancellationToken);
        await flush;
    }

    /// <summary>What was collected since the last flush is kept, unless the host gives up waiting.</summary>
    private async Task FinalFlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            await FlushAsync(deadline.Token);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Traffic: final flush failed");
        }
    }

    private sealed class DatacenterCollection(string id, IReadOnlyList<AnmTrafficClient> anms)
    {
        public string Id { get; } = id;
        /// <summary>The ANM polled: the first configured (a second URL is for the console's other uses).</summary>
        public AnmTrafficClient Anm { get; } = anms[0];
        public DateTimeOffset? LastPoll { get; set; }
        public DateTimeOffset? LastSuccess { get; set; }
        /// <summary>Where the current run of successful polls began to cover: no transaction older than it is counted.</summary>
        public DateTimeOffset? RunStart { get; set; }
        public bool LastPollSucceeded { get; set; }
        public DateTimeOffset LastTimeline { get; set; } = DateTimeOffset.MinValue;
        public long TransactionsRead { get; set; }
        public Dictionary<string, DateTimeOffset> Seen { get; } = new(StringComparer.OrdinalIgnoreCase);
        public System.Collections.Concurrent.ConcurrentDictionary<string, InstanceTimeline> Timelines { get; } = new(StringComparer.OrdinalIgnoreCase);
        /// <summary>Why an instance's timeline was not read the last time it was asked for; it is asked only now and then.</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, (string Problem, bool Shape)> TimelineProblems { get; } = new(StringComparer.OrdinalIgnoreCase);
        public DatacenterCollectionStatus Status { get; set; } = new(id, null, false, "not polled yet", 0, new Dictionary<string, InstanceCollectionStatus>());
    }
}
