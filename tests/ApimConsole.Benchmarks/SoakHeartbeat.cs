namespace ApimConsole.Benchmarks;

/// <summary>
/// A soak's heartbeat: <see cref="Target"/> (an internal-zone instance, so the lab's traffic does not pass through it)
/// is put down and brought back every <see cref="Period"/>, so the console publishes and a hub client must receive a
/// snapshot every few seconds. A healthy estate sends nothing, so without it a client whose connection had died would
/// be indistinguishable from one that saw no false state. Its own states are the heartbeat, not counted as false.
/// </summary>
internal static class SoakHeartbeat
{
    public const string Target = "dc1/instance-2";

    public static readonly TimeSpan Period = TimeSpan.FromSeconds(3);

    /// <summary>Posts <c>down</c> and <c>up</c> for <see cref="Target"/> in turn through <paramref name="fault"/>, one per period, until cancelled; returns the toggles.</summary>
    public static async Task<int> RunAsync(Func<string, string, Task> fault, CancellationToken cancellationToken)
    {
        var toggles = 0;
        var down = false;
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                down = !down;
                await fault(Target, down ? "down" : "up");
                toggles++;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return toggles;
    }
}
