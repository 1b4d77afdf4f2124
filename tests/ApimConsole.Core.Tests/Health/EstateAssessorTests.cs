using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;

namespace ApimConsole.Core.Tests.Health;

public class EstateAssessorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AllUp_DatacentersUp_LinkUp()
    {
        var snapshot = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Up)], null);
        Assert.All(snapshot.Datacenters, d => Assert.Equal(DatacenterState.Up, d.State));
        Assert.Equal(LinkState.Up, snapshot.Link.State);
    }

    [Fact]
    public void OneInstanceDown_DatacenterDegraded_NamesIt()
    {
        var dc2 = Dc("dc2", ComponentState.Up) with { Groups = [Group("dc2", ComponentState.Up, ComponentState.Down)] };
        var snapshot = Assess([Dc("dc1", ComponentState.Up), dc2], null);
        var assessed = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Degraded, assessed.State);
        Assert.Contains("instance-2", assessed.Reason);
        Assert.Equal(LinkState.Up, snapshot.Link.State);
    }

    [Fact]
    public void RemoteSilent_WitnessSeesItServing_LinkDown_ComponentsUnknown()
    {
        var lb = Witness(("dc1", true), ("dc2", true));
        var snapshot = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Down)], lb);
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Unreachable, dc2.State);
        Assert.Equal(LinkState.Down, snapshot.Link.State);
        Assert.All(dc2.AllComponents(), c => Assert.Equal(ComponentState.Unknown, c.State));
        Assert.Contains("link", dc2.Reason);
    }

    [Fact]
    public void RemoteSilent_WitnessSeesItNotServing_DatacenterDown()
    {
        var lb = Witness(("dc1", true), ("dc2", false));
        var snapshot = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Down)], lb);
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Down, dc2.State);
        Assert.NotEqual(LinkState.Down, snapshot.Link.State);
        Assert.All(dc2.AllComponents(), c => Assert.Equal(ComponentState.Down, c.State));
    }

    [Fact]
    public void RemoteSilent_NoWitness_SaysItCannotTell()
    {
        var snapshot = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Down)], null);
        var dc2 = snapshot.Find("dc2")!;
        Assert.Equal(DatacenterState.Unreachable, dc2.State);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
        Assert.Contains("DC down or link down", dc2.Reason);
    }

    [Fact]
    public void RemoteGoingSilent_OneDownOthersFailing_IsJudgedAsTheDatacenter_NotAsAComponentOutage()
    {
        var falling = Falling(Dc("dc2", ComponentState.Up), "anm");
        var snapshot = Assess([Dc("dc1", ComponentState.Up), falling], Witness(("dc1", true), ("dc2", true)));
        Assert.Equal(LinkState.Down, snapshot.Link.State);
        Assert.Equal(DatacenterState.Unreachable, snapshot.Find("dc2")!.State);
        Assert.DoesNotContain(snapshot.Find("dc2")!.AllComponents(), c => c.State == ComponentState.Down);

        var dcDown = Assess([Dc("dc1", ComponentState.Up), falling], Witness(("dc1", true), ("dc2", false)));
        Assert.Equal(DatacenterState.Down, dcDown.Find("dc2")!.State);
        Assert.All(dcDown.Find("dc2")!.AllComponents(), c => Assert.Equal(ComponentState.Down, c.State));
    }

    [Fact]
    public void OneDown_OthersAnswering_StaysAComponentOutage()
    {
        var dc2 = Dc("dc2", ComponentState.Up);
        dc2 = dc2 with { AdminNodeManagers = [dc2.AdminNodeManagers[0] with { State = ComponentState.Down, Failing = true }] };
        // One other component failing (a lost probe) is not the whole DC going silent.
        dc2 = dc2 with { CassandraNodes = [dc2.CassandraNodes[0] with { Failing = true }, .. dc2.CassandraNodes.Skip(1)] };
        var snapshot = Assess([Dc("dc1", ComponentState.Up), dc2], Witness(("dc1", true), ("dc2", true)));
        Assert.Equal(DatacenterState.Degraded, snapshot.Find("dc2")!.State);
        Assert.Equal(LinkState.Up, snapshot.Link.State);
    }

    [Fact]
    public void AllFailing_NoneDownYet_ChangesNothing()
    {
        var dc2 = Falling(Dc("dc2", ComponentState.Up), downId: null);
        var snapshot = Assess([Dc("dc1", ComponentState.Up), dc2], Witness(("dc1", true), ("dc2", true)));
        Assert.Equal(DatacenterState.Up, snapshot.Find("dc2")!.State);
        Assert.Equal(LinkState.Up, snapshot.Link.State);
    }

    /// <summary>Every component's latest probe failed; <paramref name="downId"/> has already been confirmed Down.</summary>
    private static DatacenterSnapshot Falling(DatacenterSnapshot dc, string? downId) => dc with
    {
        AdminNodeManagers = dc.AdminNodeManagers.Select(a => a with { Failing = true, State = a.Id == downId ? ComponentState.Down : a.State }).ToList(),
        Groups = dc.Groups.Select(g => g with { Instances = g.Instances.Select(i => i with { Failing = true }).ToList() }).ToList(),
        CassandraNodes = dc.CassandraNodes.Select(n => n with { Failing = true }).ToList(),
    };

    [Fact]
    public void WitnessItselfDown_IsNoWitness()
    {
        var lb = Witness(("dc1", true), ("dc2", true)) with { State = ComponentState.Down };
        var snapshot = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Down)], lb);
        Assert.Equal(LinkState.Unknown, snapshot.Link.State);
    }

    [Fact]
    public void Since_IsKept_WhileStateStays_AndMoves_WhenItChanges()
    {
        var first = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Up)], null, at: T0);
        var second = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Up)], null, first, T0.AddMinutes(1));
        Assert.Equal(T0, second.Find("dc2")!.Since);
        Assert.Equal(T0, second.Link.Since);
        var third = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Down)], null, second, T0.AddMinutes(2));
        Assert.Equal(T0.AddMinutes(2), third.Find("dc2")!.Since);
        Assert.Equal(T0.AddMinutes(2), third.Link.Since);
    }

    [Fact]
    public void SchemaAgreement_IsFalse_WhenVersionsDiffer()
    {
        var other = Guid.NewGuid();
        var dc2 = Dc("dc2", ComponentState.Up);
        dc2 = dc2 with { CassandraNodes = [.. dc2.CassandraNodes.Take(2), dc2.CassandraNodes[2] with { SchemaVersion = other }] };
        var snapshot = Assess([Dc("dc1", ComponentState.Up), dc2], null);
        Assert.All(snapshot.AllComponents().OfType<CassandraNodeStatus>(), n => Assert.False(n.InSchemaAgreement));

        var agreed = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Up)], null);
        Assert.All(agreed.AllComponents().OfType<CassandraNodeStatus>(), n => Assert.True(n.InSchemaAgreement));
    }

    [Fact]
    public void ChangesBetween_ListsOnlyWhatMoved()
    {
        var first = Assess([Dc("dc1", ComponentState.Up), Dc("dc2", ComponentState.Up)], null, at: T0);
        var dc2 = Dc("dc2", ComponentState.Up) with { Groups = [Group("dc2", ComponentState.Up, ComponentState.Down)] };
        var second = Assess([Dc("dc1", ComponentState.Up), dc2], null, first, T0.AddSeconds(5));
        var changes = EstateChanges.Between(first, second);
        Assert.Contains(changes, c => c.Subject == "dc2/instance-2" && c.To == "Down");
        Assert.Contains(changes, c => c.Subject == "dc2" && c.To == "Degraded");
        Assert.DoesNotContain(changes, c => c.Subject.StartsWith("dc1", StringComparison.Ordinal));
        Assert.False(EstateChanges.SameContent(first, second));
        Assert.True(EstateChanges.SameContent(second, second with { AsOf = T0.AddHours(1) }));
    }

    private static EstateSnapshot Assess(IReadOnlyList<DatacenterSnapshot> observed, LoadBalancerView? lb, EstateSnapshot? previous = null, DateTimeOffset? at = null) =>
        EstateAssessor.Assess("lab", "dc1", observed, lb, previous, at ?? T0);

    private static readonly Guid Schema = Guid.NewGuid();

    internal static DatacenterSnapshot Dc(string id, ComponentState state) => new(
        id, id.ToUpperInvariant(), DatacenterState.Unknown, default, null,
        [new ComponentStatus(id, "anm", "ANM", ComponentKind.AdminNodeManager, state, T0, state == ComponentState.Down ? "refused" : null)],
        [Group(id, state, state)],
        Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", state, T0, null,
            $"127.0.1.{i}:9042", id, "rack1", "4.1.3", Schema, Guid.NewGuid(), null)).ToList());

    private static GatewayGroupStatus Group(string dc, ComponentState first, ComponentState second) => new(
        "group-3", "DMZ", GatewayZone.Dmz,
        [
            new GatewayInstanceStatus(dc, "instance-1", "instance-1", first, T0, null, "group-3", "127.0.2.1", null),
            new GatewayInstanceStatus(dc, "instance-2", "instance-2", second, T0, second == ComponentState.Down ? "refused" : null, "group-3", "127.0.2.2", null),
        ]);

    private static LoadBalancerView Witness(params (string Dc, bool Serving)[] pools) =>
        new(ComponentState.Up, T0, null, pools.Select(p => new LoadBalancerPool(p.Dc, p.Serving, p.Serving ? 2 : 0, 2)).ToList());
}
