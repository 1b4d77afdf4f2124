using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using static ApimConsole.Core.Tests.Scenarios.ScenarioEstate;

namespace ApimConsole.Core.Tests.Scenarios;

/// <summary>A snapshot carries its scenarios, classified once; readers at a later moment get the advice for then.</summary>
public sealed class SnapshotScenariosTests
{
    private static EstateSnapshot QuorumLostFor(TimeSpan longest) =>
        Assess(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down, T0 - longest).WithCassandra(2, ComponentState.Down, T0), at: T0);

    [Fact]
    public void Scenarios_AreTheClassificationAsOfTheSnapshot_ComputedOnce()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down).WithCassandra(1, ComponentState.Down));

        Assert.Equal(Keys(FailoverScenarioClassifier.Classify(snapshot, snapshot.AsOf)), Keys(snapshot.Scenarios));
        Assert.Same(snapshot.Scenarios, snapshot.Scenarios);
    }

    [Fact]
    public void ACopy_IsClassifiedAfresh_AndStillEqual()
    {
        var snapshot = Assess(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down));
        _ = snapshot.Scenarios;

        var linkDown = snapshot with { Link = snapshot.Link with { State = LinkState.Down } };
        var copy = snapshot with { };

        Assert.Contains(linkDown.Scenarios, s => s.Kind == FailoverScenarioKind.InterDatacenterLinkDown);
        Assert.Equal(snapshot, copy);
        Assert.Equal(snapshot.GetHashCode(), copy.GetHashCode());
    }

    [Theory]
    [InlineData(30)]
    [InlineData(150)]
    [InlineData(60 * 24 * 11)]
    public void At_GivesWhatClassifyingAtThatMomentGives(int minutesLater)
    {
        var snapshot = QuorumLostFor(TimeSpan.FromMinutes(90));
        var now = snapshot.AsOf.AddMinutes(minutesLater);

        var expected = FailoverScenarioClassifier.Classify(snapshot, now);
        var actual = snapshot.Scenarios.At(now);

        Assert.Equal(expected.Select(s => (s.Key, string.Join("|", s.Advisories))), actual.Select(s => (s.Key, string.Join("|", s.Advisories))));
    }

    private static string[] Keys(IEnumerable<FailoverScenario> scenarios) => scenarios.Select(s => s.Key).ToArray();
}
