using System.Diagnostics;
using ApimConsole.Benchmarks;

namespace ApimConsole.Benchmarks.Tests;

/// <summary>The verdict the benchmarks' hub clients give: it must fail for a client that stopped receiving or lost its connection.</summary>
public sealed class HubLivenessTests
{
    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    [Fact]
    public void MessagesEverySecond_AreAlive()
    {
        var liveness = new HubLiveness();
        for (var s = 1; s <= 5; s++)
            liveness.Received(At(s));
        var verdict = liveness.Check(At(0), At(5.5), Bound);
        Assert.True(verdict.Alive, verdict.Describe());
        Assert.Null(verdict.Failure);
        Assert.Equal(5, verdict.Messages);
        Assert.Equal(1.0, verdict.LongestGap.TotalSeconds, 3);
    }

    [Fact]
    public void NothingReceived_ForLongerThanTheBound_Fails_SayingSo()
    {
        var verdict = new HubLiveness().Check(At(0), At(3), Bound);
        Assert.False(verdict.Alive);
        Assert.Contains("received nothing for 3.0 s (bound 2 s)", verdict.Failure);
    }

    [Fact]
    public void SilenceAtTheEndOfTheWindow_Counts()
    {
        var liveness = new HubLiveness();
        liveness.Received(At(0.5));
        liveness.Received(At(1));
        var verdict = liveness.Check(At(0), At(4), Bound);
        Assert.False(verdict.Alive);
        Assert.Equal(3.0, verdict.LongestGap.TotalSeconds, 3);
    }

    [Fact]
    public void MessagesOutsideTheWindow_DoNotCount()
    {
        var liveness = new HubLiveness();
        liveness.Received(At(-1));
        liveness.Received(At(10));
        var verdict = liveness.Check(At(0), At(3), Bound);
        Assert.Equal(0, verdict.Messages);
        Assert.False(verdict.Alive);
    }

    [Fact]
    public void AClosedConnection_Fails_EvenWithMessages()
    {
        var liveness = new HubLiveness();
        liveness.Received(At(1));
        liveness.ConnectionClosed(new InvalidOperationException("server went away"));
        var verdict = liveness.Check(At(0), At(1.5), Bound);
        Assert.False(verdict.Alive);
        Assert.Contains("server went away", verdict.Failure);
        Assert.Contains("closed", verdict.Describe());
    }
}
