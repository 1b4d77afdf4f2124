using System.Threading.Channels;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Web.Incidents;

namespace ApimConsole.Web.Guardrails;

/// <summary>
/// Stores the guardrail's turns (<see cref="GuardrailTransition"/>) in the background, so an incident's timeline keeps
/// them across a restart of the console. The guardrail hands a turn over with <see cref="Offer"/>, under its lock: a
/// write to a bounded channel that never waits (when full, the oldest turn goes and is counted). This writer takes what
/// has queued in batches of at most <see cref="MaxBatch"/> and stores each through <see cref="GuardrailTurnStore"/>
/// (<see cref="StoreWriter"/>: retried, reported to <see cref="ConsoleStoreHealth"/>). A batch the store refuses is
/// kept and written again, with what queued meanwhile, after a growing pause; so a store that is down never holds up
/// a turn or a permit, and the turns land once it is back. On stop, what is queued is written once more.
/// </summary>
public sealed class GuardrailTurnWriter : BackgroundService
{
    /// <summary>Turns waiting for the store at most (the guardrail's own <see cref="GuardrailService.HistoryCapacity"/>).</summary>
    public const int Capacity = GuardrailService.HistoryCapacity;

    /// <summary>Turns stored in one transaction at most.</summary>
    public const int MaxBatch = 500;

    private readonly GuardrailTurnStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardrailTurnWriter> _logger;
    private readonly Channel<GuardrailTransition> _queue;
    // Read and written by the writing loop only (and by the final flush once the loop has ended).
    private readonly List<GuardrailTransition> _batch = [];
    private long _dropped;
    private long _written;

    public GuardrailTurnWriter(GuardrailTurnStore store, TimeProvider time, ILogger<GuardrailTurnWriter> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<GuardrailTransition>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Turns stored by this writer so far; for tests and diagnostics.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues <paramref name="turn"/> for the store. Never waits: with <see cref="Capacity"/> turns queued, the oldest goes.</summary>
    public void Offer(GuardrailTransition turn) => _queue.Writer.TryWrite(turn);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                if (await WriteBatchAsync(stoppingToken))
                {
                    if (failures > 0)
                        _logger.LogWarning("Guardrail turns: storing resumed after {Failures} refused batches", failures);
                    failures = 0;
                    continue;
                }
                failures++;
                var delay = IncidentRecorder.Backoff(failures);
                _logger.LogError("Guardrail turns: {Count} turns could not be stored (attempt {Attempt}); they are kept and written again in {Delay}, " +
                    "with the turns that queue meanwhile. Until then an incident's timeline shows them from this console's memory only.", _batch.Count, failures, delay);
                await Task.Delay(delay, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stores the kept batch plus what queued since (up to <see cref="MaxBatch"/>); whether the store took it.</summary>
    private async Task<bool> WriteBatchAsync(CancellationToken cancellationToken)
    {
        while (_batch.Count < MaxBatch && _queue.Reader.TryRead(out var turn))
            _batch.Add(turn);
        if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
        {
            _logger.LogError("Guardrail turns: {Dropped} turns were dropped unstored ({Capacity} were waiting for the store); " +
                "incident timelines miss them after a restart", dropped, Capacity);
        }
        if (_batch.Count == 0)
            return true;
        try
        {
            await _store.AddAsync(_batch, cancellationToken);
        }
        catch (ConsoleStoreUnavailableException)
        {
            // StoreWriter has logged it and told ConsoleStoreHealth; the caller pauses and tries again.
            return false;
        }
        Interlocked.Add(ref _written, _batch.Count);
        _batch.Clear();
        return true;
    }

    /// <summary>Stops the loop, then writes what is still queued once (within the host's shutdown time).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            while (_batch.Count > 0 || _queue.Reader.Count > 0)
            {
                if (!await WriteBatchAsync(cancellationToken))
                {
                    _logger.LogError("Guardrail turns: {Count} turns were not stored before the console stopped; incident timelines miss them after the restart",
                        _batch.Count + _queue.Reader.Count);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.LogError("Guardrail turns: the console stopped before {Count} turns were stored; incident timelines miss them after the restart",
                _batch.Count + _queue.Reader.Count);
        }
    }
}
