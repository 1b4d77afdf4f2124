using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;

namespace ApimConsole.Monitoring.Tests;

/// <summary>Waits on a status engine's own publications, never on a clock: one helper for every engine-driving test here.</summary>
internal static class EngineWait
{
    /// <summary>
    /// Returns the engine's current snapshot once <paramref name="condition"/> holds of it; after <paramref name="limit"/>
    /// fails saying what was awaited and, through <paramref name="describe"/>, what the last snapshot showed.
    /// </summary>
    public static async Task<EstateSnapshot> ForAsync(ILiveFeed<EstateSnapshot> engine, Func<EstateSnapshot, bool> condition, string what, TimeSpan limit,
        Func<EstateSnapshot, string> describe)
    {
        using var subscription = engine.Subscribe();
        using var cts = new CancellationTokenSource(limit);
        var last = engine.Current;
        try
        {
            // Each publication is taken off the channel (waiting to read without reading would spin once one is queued).
            while (!condition(last = engine.Current))
                await subscription.Updates.ReadAsync(cts.Token);
            return last;
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out after {limit.TotalSeconds} s waiting for {what}. {describe(last)}");
        }
    }
}
