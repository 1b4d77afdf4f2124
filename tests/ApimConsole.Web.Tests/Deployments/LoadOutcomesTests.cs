using ApimConsole.Core.Deployments;
using ApimConsole.Web.Deployments;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>An unknown load, learned later from the ANM: never guessed while a load may still be completing.</summary>
public sealed class LoadOutcomesTests
{
    private static readonly DateTimeOffset UnknownSince = new(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private static GroupArchives Read(double secondsLater, string? runs) =>
        new(new Dictionary<string, string?> { ["instance-3"] = runs }, UnknownSince.AddSeconds(secondsLater), null);

    [Fact]
    public void RunsTheArchive_IsLoaded_LearnedWhenTheAnmSaidSo_KeepingTheInFlightNote()
    {
        var outcome = LoadOutcomes.Later(Read(2, "arch-new"), "dc1", "instance-3", "arch-new", UnknownSince, LoadOutcomes.InFlightNote + " Unknown: ...", Settle);

        Assert.NotNull(outcome);
        Assert.Equal((DeploymentTargetOutcome.Loaded, UnknownSince.AddSeconds(2)), (outcome.Outcome, outcome.LearnedAt));
        Assert.Equal($"{LoadOutcomes.InFlightNote} Runs arch-new, as dc1's ANM reported at 2026-12-06 04:00:02Z.", outcome.Message);
    }

    [Fact]
    public void RunsAnother_StaysUnknown_WhileALoadMayStillComplete_ThenIsNotLoaded()
    {
        Assert.Null(LoadOutcomes.Later(Read(29, "arch-old"), "dc1", "instance-3", "arch-new", UnknownSince, "Unknown: ...", Settle));

        var outcome = LoadOutcomes.Later(Read(30, "arch-old"), "dc1", "instance-3", "arch-new", UnknownSince, "Unknown: ...", Settle);

        Assert.NotNull(outcome);
        Assert.Equal((DeploymentTargetOutcome.NotApplied, UnknownSince.AddSeconds(30)), (outcome.Outcome, outcome.LearnedAt));
        Assert.Equal("Not loaded: 30 s after its load ended, dc1's ANM reports at 2026-12-06 04:00:30Z that it runs arch-old.", outcome.Message);
    }

    [Fact]
    public void AnAnmThatCannotBeRead_ChangesNothing()
    {
        var unread = new GroupArchives(null, UnknownSince.AddMinutes(10), "connection refused");
        Assert.Null(LoadOutcomes.Later(unread, "dc2", "instance-3", "arch-new", UnknownSince, "Unknown: ...", Settle));
    }
}
