using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Core.Tests.Health;

/// <summary>
/// The status engine's work per publication (assess the observed estate, compare with the last snapshot, list the
/// changes, classify the scenarios) grows linearly with the estate. Work is counted as bytes allocated on this
/// thread, which for this single-threaded, deterministic code is a count of what it builds, not a timing.
/// </summary>
public class StatusWorkScaleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.4)]
    [InlineData(1.0)]
    public void FourTimesTheEstate_IsAtMostAboutFourTimesTheWork(double downShare)
    {
        var small = WorkOfOnePublication(perGroup: 12, cassandra: 8, downShare);
        var large = WorkOfOnePublication(perGroup: 48, cassandra: 32, downShare);

        // Linear work grows 4x; anything quadratic (e.g. each down instance naming every other one) grows 16x.
        var ratio = (double)large / small;
        Assert.True(ratio <= 4.6, $"4x the components cost {ratio:0.00}x the work ({small} -> {large} bytes)");
        Assert.True(ratio >= 3, $"the large estate was not really assessed: {ratio:0.00}x ({small} -> {large} bytes)");
    }

    [Fact]
    public void ManyInstancesDown_TheScenarioCountsTheOthers_InsteadOfNamingThemAll()
    {
        var estate = Assess(Observed(perGroup: 48, cassandra: 3, downShare: 0.25), null);
        var scenarios = FailoverScenarioClassifier.Classify(estate, T0);
        var instanceDown = scenarios.First(s => s.Kind == FailoverScenarioKind.GatewayInstanceDown);

        Assert.Matches("^The 36 other instances of (DMZ|Internal Zone) that are up in (Frankfurt|Amsterdam) serve its requests", instanceDown.WhatHappens);
        Assert.Equal(2 * 2 * 12, scenarios.Count(s => s.Kind == FailoverScenarioKind.GatewayInstanceDown));
    }

    /// <summary>Bytes allocated assessing a changed estate against the previous snapshot, then classifying it.</summary>
    private static long WorkOfOnePublication(int perGroup, int cassandra, double downShare)
    {
        var before = Observed(perGroup, cassandra, 0);
        var after = Observed(perGroup, cassandra, downShare);
        var previous = Assess(before, null);
        // Warm up every path once so that one-off costs (static tables, JIT) are not counted.
        Run(after, previous);

        var start = GC.GetAllocatedBytesForCurrentThread();
        Run(after, previous);
        return GC.GetAllocatedBytesForCurrentThread() - start;

        static void Run(IReadOnlyList<DatacenterSnapshot> observed, EstateSnapshot previous)
        {
            var next = Assess(observed, previous);
            Assert.False(EstateChanges.SameContent(previous, next) && observed.Any(d => d.AllComponents().Any(c => c.State == ComponentState.Down)));
            _ = EstateChanges.Between(previous, next);
            _ = FailoverScenarioClassifier.Classify(next, T0);
        }
    }

    private static EstateSnapshot Assess(IReadOnlyList<DatacenterSnapshot> observed, EstateSnapshot? previous) =>
        EstateAssessor.Assess("lab", "dc1", observed, null, previous, T0);

    /// <summary>
    /// What the probes of two datacenters report: an ANM, an internal and a DMZ group of <paramref name="perGroup"/>
    /// instances and <paramref name="cassandra"/> nodes each; the first <paramref name="downShare"/> of each group down.
    /// </summary>
    private static List<DatacenterSnapshot> Observed(int perGroup, int cassandra, double downShare)
    {
        DatacenterSnapshot Dc(string id, string name)
        {
            var down = (int)Math.Round(perGroup * downShare);
            var groups = new[] { ("group-2", "Internal Zone", GatewayZone.Internal), ("group-3", "DMZ", GatewayZone.Dmz) }
                .Select((g, gi) => new GatewayGroupStatus(g.Item1, g.Item2, g.Item3,
                    Enumerable.Range(1, perGroup).Select(k =>
                    {
                        var n = gi * perGroup + k;
                        var state = k <= down ? ComponentState.Down : ComponentState.Up;
                        return new GatewayInstanceStatus(id, $"instance-{n}", $"{name} {g.Item2} {k}", state, T0,
                            state == ComponentState.Down ? "connection refused" : null, g.Item1, $"10.0.{gi}.{k}", "Running");
                    }).ToList()))
                .ToList();
            var nodes = Enumerable.Range(1, cassandra).Select(k => new CassandraNodeStatus(id, $"cassandra-{k}", $"cassandra-{k}",
                ComponentState.Up, T0, null, $"10.1.0.{k}:9042", id.ToUpperInvariant(), "RAC1", "4.0.13", Guid.Empty, Guid.Empty, null)).ToList();
            return new DatacenterSnapshot(id, name, DatacenterState.Unknown, default, null,
                [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, ComponentState.Up, T0, null)],
                groups, nodes);
        }

        return [Dc("dc1", "Frankfurt"), Dc("dc2", "Amsterdam")];
    }
}
