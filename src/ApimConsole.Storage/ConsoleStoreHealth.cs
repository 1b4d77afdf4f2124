using ApimConsole.Core.Live;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Storage;

/// <summary>Whether the console's own store takes writes: failing since when, and the last problem.</summary>
/// <param name="FailingSince">Null while writes succeed.</param>
/// <param name="Problem">What the last failed write said, while failing.</param>
/// <param name="LastFailure">When a write last failed (kept after recovery, for diagnostics).</param>
/// <param name="FailedAttempts">Write attempts refused since it started failing (0 while it takes writes).</param>
public sealed record ConsoleStoreStatus(DateTimeOffset? FailingSince, string? Problem, DateTimeOffset? LastFailure, int FailedAttempts = 0)
{
    public bool Failing => FailingSince is not null;
}

/// <summary>
/// The console's view of its own store, fed by every write that goes through <see cref="StoreWriter"/> (and by the
/// incident recorder's own retries): the first failure starts "failing since", the next success ends it.
/// </summary>
public sealed class ConsoleStoreHealth(TimeProvider time) : ILiveFeed<ConsoleStoreStatus>
{
    // Every failed write moves Current (attempts, last problem); subscribers hear only the turns: failing, or recovered.
    private readonly LiveFeed<ConsoleStoreStatus> _feed = new(new(null, null, null), (a, b) => a.Failing == b.Failing);

    public ConsoleStoreStatus Current => _feed.Current;

    /// <summary>The status now, then every turn: failing (since when, why) or recovered.</summary>
    public FeedSubscription<ConsoleStoreStatus> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _feed.Subscribe(capacity);

    public void Succeeded() =>
        _feed.Update(current => current.FailingSince is null ? current : current with { FailingSince = null, Problem = null, FailedAttempts = 0 });

    public void Failed(string problem) =>
        _feed.Update(current =>
        {
            var at = time.GetUtcNow();
            return new ConsoleStoreStatus(current.FailingSince ?? at, problem, at, current.FailedAttempts + 1);
        });
}

/// <summary>A write the store could not take after its retries: the action it was to record must not go ahead.</summary>
public sealed class ConsoleStoreUnavailableException(string what, Exception inner)
    : Exception($"The console's store cannot record this action ({what}): {StoreWriter.Describe(inner)}", inner)
{
    public string What { get; } = what;
}

/// <summary>
/// The one place writes that matter are retried: a few attempts with growing pauses (<see cref="Delays"/>), then
/// <see cref="ConsoleStoreUnavailableException"/>, logged at Error. Every outcome is reported to
/// <see cref="ConsoleStoreHealth"/>. Used by <see cref="AuditLog"/>, <see cref="DeploymentStore"/> and the console's
/// own writes (sign-in, the first start, recovery stamps): an action that cannot be audited or recorded is refused
/// loudly, never done silently unrecorded.
/// </summary>
public sealed class StoreWriter(ConsoleStoreHealth health, TimeProvider time, ILoggerFactory? loggers = null)
{
    /// <summary>
    /// The pauses between attempts: four attempts in all, about 1.5 s of pauses before giving up. On a SQLite file
    /// another connection holds locked each attempt also waits up to <c>Storage:BusyTimeout</c> (5 s by default) for
    /// the lock, so such a write is refused after about 4 × that plus the pauses.
    /// </summary>
    public static readonly IReadOnlyList<TimeSpan> Delays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(1)];

    private readonly ILogger _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<StoreWriter>();

    public ConsoleStoreHealth Health => health;

    public async Task<T> WriteAsync<T>(string what, Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await write(cancellationToken);
                health.Succeeded();
                return result;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                health.Failed(Describe(e));
                if (attempt >= Delays.Count)
                {
                    _logger.LogError(e, "The console's store refused {What} {Attempts} times; the action is refused", what, attempt + 1);
                    throw new ConsoleStoreUnavailableException(what, e);
                }
                _logger.LogWarning("The console's store refused {What} (attempt {Attempt}): {Problem}; retrying in {Delay}", what, attempt + 1, Describe(e), Delays[attempt]);
                await Task.Delay(Delays[attempt], time, cancellationToken);
            }
        }
    }

    public Task WriteAsync(string what, Func<CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAsync(what, async ct =>
        {
            await write(ct);
            return true;
        }, cancellationToken);

    /// <summary>The innermost database error, in one line (<c>SQLite Error 13: 'database or disk is full'</c>).</summary>
    public static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SqliteException sqlite)
                return sqlite.Message;
            if (inner is System.Data.Common.DbException db)
                return db.Message;
        }
        return e.Message;
    }
}
