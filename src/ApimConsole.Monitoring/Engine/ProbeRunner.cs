namespace ApimConsole.Monitoring.Engine;

/// <summary>
/// Runs one probe for the scheduler under the engine's rules (the concurrency bound, the probe timeout, an exception
/// becomes a failed result); never throws but for cancellation.
/// </summary>
internal interface IProbeRunner
{
    Task<ProbeResult<TDetails>> RunAsync<TDetails>(Func<CancellationToken, Task<ProbeResult<TDetails>>> probe, TimeSpan? timeout, CancellationToken cancellationToken)
        where TDetails : class;

    /// <summary>Who hears how long each probe took; null: nobody.</summary>
    IProbeTimings? Timings => null;
}

/// <summary>
/// The engine's rules for a probe: at most <c>maxConcurrent</c> in flight, each within its timeout (its own or
/// <c>timeout</c>), and whatever it throws turned into the few words of a failed result.
/// </summary>
internal sealed class ProbeRunner(int maxConcurrent, TimeSpan timeout, TimeProvider time, IProbeTimings? timings = null) : IProbeRunner
{
    public IProbeTimings? Timings { get; } = timings;

    // Never disposed: a probe still in flight when the engine stops releases its slot afterwards. A SemaphoreSlim holds
    // no OS handle unless its AvailableWaitHandle is used, which this one never is.
    private readonly SemaphoreSlim _concurrency = new(maxConcurrent);

    public async Task<ProbeResult<TDetails>> RunAsync<TDetails>(Func<CancellationToken, Task<ProbeResult<TDetails>>> probe, TimeSpan? ownTimeout, CancellationToken token)
        where TDetails : class
    {
        var limit = ownTimeout ?? timeout;
        try
        {
            await _concurrency.WaitAsync(token);
        }
        catch (OperationCanceledException)
        {
            return ProbeResult<TDetails>.Failed("stopped");
        }
        try
        {
            using var deadline = new CancellationTokenSource(limit, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
            return await probe(linked.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return ProbeResult<TDetails>.Failed($"no answer within {limit.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ProbeResult<TDetails>.Failed(ProbeOutcome.Describe(ex));
        }
        finally
        {
            _concurrency.Release();
        }
    }
}
