using ApimConsole.Core.Estate;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>Two-datacenter estate snapshots for incident tests: everything up, then one thing changed at a time.</summary>
internal static class TestEstate
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private static readonly Guid Schema = Guid.Parse("11111111-2222-3333-4444-555555555555");

    public static EstateSnapshot AllUp(DateTimeOffset asOf) => new(asOf, "lab", "dc1",
        [Datacenter("dc1", "Frankfurt", ComponentState.Up, T0), Datacenter("dc2", "Amsterdam", ComponentState.Up, T0)],
        new InterDatacenterLink(LinkState.Up, T0, null), null);

    /// <summary>A console that has just started: nothing probed, everything Unknown.</summary>
    public static EstateSnapshot NotProbed(DateTimeOffset asOf) => new(asOf, "lab", "dc1",
        [Datacenter("dc1", "Frankfurt", ComponentState.Unknown, asOf) with { State = DatacenterState.Unknown, Reason = "Not probed yet." },
         Datacenter("dc2", "Amsterdam", ComponentState.Unknown, asOf) with { State = DatacenterState.Unknown, Reason = "Not probed yet." }],
        new InterDatacenterLink(LinkState.Unknown, default, "No other datacenter has been observed yet."), null);

    private static DatacenterSnapshot Datacenter(string id, string name, ComponentState state, DateTimeOffset since) => new(
        id, name, DatacenterState.Up, since, null,
        [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, state, since, null)],
        [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
        [
            new GatewayInstanceStatus(id, "instance-1", "DMZ 1", state, since, null, "group-3", "127.0.2.3", null),
            new GatewayInstanceStatus(id, "instance-2", "DMZ 2", state, since, null, "group-3", "127.0.2.4", null),
        ])],
        Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", state, since, null,
            $"127.0.1.{i}:9042", id, "rack1", "4.1.3", state == ComponentState.Up ? Schema : null, Guid.NewGuid(),
            state == ComponentState.Up ? true : null)).ToList());

    public static EstateSnapshot At(this EstateSnapshot s, DateTimeOffset asOf) => s with { AsOf = asOf };

    public static EstateSnapshot MapDatacenter(this EstateSnapshot s, string id, Func<DatacenterSnapshot, DatacenterSnapshot> map) =>
        s with { Datacenters = s.Datacenters.Select(d => d.Id == id ? map(d) : d).ToList() };

    public static EstateSnapshot WithInstance(this EstateSnapshot s, string dc, string id, ComponentState state, DateTimeOffset since) =>
        s.MapDatacenter(dc, d => Summarized(d with
        {
            Groups = d.Groups.Select(g => g with
            {
                Instances = g.Instances.Select(i => i.Id == id ? i with { State = state, Since = since, Reason = state == ComponentState.Down ? "connection refused" : null } : i).ToList(),
            }).ToList(),
        }, since));

    public static EstateSnapshot WithCassandra(this EstateSnapshot s, string dc, string id, ComponentState state, DateTimeOffset since, bool? agreement = true) =>
        s.MapDatacenter(dc, d => Summarized(d with
        {
            CassandraNodes = d.CassandraNodes.Select(n => n.Id == id
                ? n with { State = state, Since = since, InSchemaAgreement = state == ComponentState.Up ? agreement : null }
                : n).ToList(),
        }, since));

    /// <summary>Every node of every DC reports this schema agreement.</summary>
    public static EstateSnapshot WithAgreement(this EstateSnapshot s, string dc, string id, bool agreement) =>
        s.MapDatacenter(dc, d => d with { CassandraNodes = d.CassandraNodes.Select(n => n.Id == id ? n with { InSchemaAgreement = agreement } : n).ToList() });

    /// <summary>The whole datacenter down, as the load balancer witnesses it.</summary>
    public static EstateSnapshot WithDatacenterDown(this EstateSnapshot s, string dc, DateTimeOffset since) =>
        s.MapDatacenter(dc, d => SetAll(d, ComponentState.Down, since) with { State = DatacenterState.Down, Since = since, Reason = "the datacenter is down" })
         with { Link = new InterDatacenterLink(LinkState.Unknown, since, "Cannot be judged while dc2 is down.") };

    public static EstateSnapshot WithLinkDown(this EstateSnapshot s, DateTimeOffset since) =>
        s.MapDatacenter("dc2", d => SetAll(d, ComponentState.Unknown, since) with { State = DatacenterState.Unreachable, Since = since, Reason = "link down" })
         with { Link = new InterDatacenterLink(LinkState.Down, since, "the inter-DC link is down") };

    /// <summary>dc2 lost, no witness spoken yet ("deciding"): dc2 Unreachable, its components Unknown, the link Unknown.</summary>
    public static EstateSnapshot WithDeciding(this EstateSnapshot s, DateTimeOffset since) =>
        s.MapDatacenter("dc2", d => SetAll(d, ComponentState.Unknown, since) with { State = DatacenterState.Unreachable, Since = since, Reason = "deciding" })
         with { Link = new InterDatacenterLink(LinkState.Unknown, since, "deciding") };

    /// <summary>Every component of <paramref name="dc"/> still Up has its latest probe failing (the datacenter falling silent).</summary>
    public static EstateSnapshot WithFailing(this EstateSnapshot s, string dc) =>
        s.MapDatacenter(dc, d => d with
        {
            AdminNodeManagers = d.AdminNodeManagers.Select(a => a.State == ComponentState.Up ? a with { Failing = true } : a).ToList(),
            Groups = d.Groups.Select(g => g with { Instances = g.Instances.Select(i => i.State == ComponentState.Up ? i with { Failing = true } : i).ToList() }).ToList(),
            CassandraNodes = d.CassandraNodes.Select(n => n.State == ComponentState.Up ? n with { Failing = true } : n).ToList(),
        });

    private static DatacenterSnapshot SetAll(DatacenterSnapshot d, ComponentState state, DateTimeOffset since) => d with
    {
        AdminNodeManagers = d.AdminNodeManagers.Select(a => a with { State = state, Since = since }).ToList(),
        Groups = d.Groups.Select(g => g with { Instances = g.Instances.Select(i => i with { State = state, Since = since }).ToList() }).ToList(),
        CassandraNodes = d.CassandraNodes.Select(n => n with { State = state, Since = since, InSchemaAgreement = null }).ToList(),
    };

    private static DatacenterSnapshot Summarized(DatacenterSnapshot d, DateTimeOffset since)
    {
        var all = d.AllComponents().ToList();
        var state = all.All(c => c.State == ComponentState.Up) ? DatacenterState.Up
            : all.All(c => c.State == ComponentState.Unknown) ? DatacenterState.Unknown
            : DatacenterState.Degraded;
        return d with { State = state, Since = state == d.State ? d.Since : since };
    }
}
