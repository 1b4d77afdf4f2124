using ApimConsole.Core.Estate;

namespace ApimConsole.Web.Tests.Components;

/// <summary>Estates for the runbook and data-storage pages: dc1 Frankfurt (the console's), dc2 Amsterdam, all Up unless changed.</summary>
internal static class RunbookEstate
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    public static DatacenterSnapshot Dc(string id, DatacenterState state = DatacenterState.Up) => new(
        id, id == "dc1" ? "Frankfurt" : "Amsterdam", state, T0, null,
        [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, ComponentState.Up, T0, null)],
        [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
        [
            new GatewayInstanceStatus(id, "instance-1", "DMZ 1", ComponentState.Up, T0, null, "group-3", "127.0.2.3", "Running"),
            new GatewayInstanceStatus(id, "instance-2", "DMZ 2", ComponentState.Up, T0, null, "group-3", "127.0.2.4", "Running"),
        ])],
        Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", ComponentState.Up, T0, null,
            $"127.0.1.{i}:9042", id, "rack1", "4.1.3", Guid.Empty, Guid.Empty, true)).ToList());

    public static DatacenterSnapshot WithInstance(this DatacenterSnapshot dc, string id, ComponentState state, string? management) => dc with
    {
        State = dc.State == DatacenterState.Up && state != ComponentState.Up ? DatacenterState.Degraded : dc.State,
        Groups = dc.Groups.Select(g => g with
        {
            Instances = g.Instances.Select(i => i.Id == id
                ? i with { State = state, ManagementStatus = management, Reason = state == ComponentState.Down ? "connection refused" : null }
                : i).ToList(),
        }).ToList(),
    };

    public static DatacenterSnapshot WithCassandra(this DatacenterSnapshot dc, int node, ComponentState state) => dc with
    {
        State = dc.State == DatacenterState.Up && state != ComponentState.Up ? DatacenterState.Degraded : dc.State,
        CassandraNodes = dc.CassandraNodes.Select(n => n.Id == $"cassandra-{node}"
            ? n with { State = state, InSchemaAgreement = state == ComponentState.Up ? true : null, Reason = state == ComponentState.Down ? "connection refused" : null }
            : n).ToList(),
    };

    /// <summary>Every component of the datacenter Down, the datacenter Down.</summary>
    public static DatacenterSnapshot Down(this DatacenterSnapshot dc) => dc with
    {
        State = DatacenterState.Down,
        AdminNodeManagers = dc.AdminNodeManagers.Select(a => a with { State = ComponentState.Down }).ToList(),
        Groups = dc.Groups.Select(g => g with { Instances = g.Instances.Select(i => i with { State = ComponentState.Down, ManagementStatus = null }).ToList() }).ToList(),
        CassandraNodes = dc.CassandraNodes.Select(n => n with { State = ComponentState.Down, InSchemaAgreement = null }).ToList(),
    };

    public static EstateSnapshot Estate(DatacenterSnapshot dc1, DatacenterSnapshot dc2, LinkState link = LinkState.Up) =>
        new(T0, "lab", "dc1", [dc1, dc2], new InterDatacenterLink(link, T0, null), null);
}
