using ApimConsole.Core.Estate;
using ApimConsole.Storage.Records;

namespace ApimConsole.Web.Components.Datacenters;

/// <summary>
/// Words of the Datacenters page that more than one of its tables uses: nodetool's status letters, schema agreement in
/// one datacenter, and which component rows have their state history open.
/// </summary>
public static class DatacenterDetail
{
    /// <summary>
    /// nodetool status's two letters: U or D (up, down), then N (normal: the console sees no joining, leaving or moving
    /// ring). While the console cannot see the node (Unknown), the letter of the last state it stored for the node and
    /// <c>?</c> (<c>U?</c>, <c>D?</c>), or <c>??</c> when it never saw the node up or down.
    /// </summary>
    public static string NodetoolStatus(ComponentState state, string? lastSeen) => state switch
    {
        ComponentState.Up => "UN",
        ComponentState.Down => "DN",
        _ => lastSeen switch
        {
            "Up" => "U?",
            "Down" => "D?",
            _ => "??",
        },
    };

    /// <summary>Whether the datacenter's nodes that report a schema version all report the same one.</summary>
    public static SchemaAgreement Agreement(IReadOnlyList<CassandraNodeStatus> nodes)
    {
        var versions = nodes.Where(n => n.State == ComponentState.Up && n.SchemaVersion is not null)
            .Select(n => n.SchemaVersion!.Value).Distinct().ToList();
        var silent = nodes.Count(n => n.State != ComponentState.Up || n.SchemaVersion is null);
        return new SchemaAgreement(versions, silent);
    }
}

/// <summary>The schema versions the Up nodes of one datacenter report, and how many nodes report none.</summary>
public sealed record SchemaAgreement(IReadOnlyList<Guid> Versions, int NodesWithoutVersion)
{
    public bool? Agrees => Versions.Count switch
    {
        0 => null,
        1 => true,
        _ => false,
    };

    public string Describe() => Versions.Count switch
    {
        0 => "No node reports a schema version: agreement cannot be judged.",
        1 => $"Schema versions agree ({Versions[0]})" + (NodesWithoutVersion > 0 ? $"; {NodesWithoutVersion} node(s) report none." : "."),
        _ => $"Schema versions disagree: {Versions.Count} versions ({string.Join(", ", Versions.Select(v => v.ToString()[..8]))}).",
    };
}

/// <summary>Which rows have their state history open, what the store gave for them, and why it could not.</summary>
public sealed record HistoryRows(
    IReadOnlySet<string> Open,
    IReadOnlyDictionary<string, IReadOnlyList<ComponentStateChange>> Changes,
    string? Error)
{
    public static HistoryRows None { get; } = new(new HashSet<string>(), new Dictionary<string, IReadOnlyList<ComponentStateChange>>(), null);

    public bool IsOpen(string componentId) => Open.Contains(componentId);
}
