using ApimConsole.Core.Estate;

namespace ApimConsole.Web.Components.Estate;

/// <summary>
/// What the overview shows of a large estate. Up to <see cref="CompactAbove"/> components per section (ANMs, each
/// gateway group, the Cassandra ring) every component has its own line, as before. Beyond that, each section says
/// how many components are in each state and lists only those not Up, unless "show all" is on; a filter (name, id,
/// host, address or state) lists whatever matches, Up or not.
/// </summary>
public sealed record OverviewFilter(string? Text, bool ShowAll)
{
    /// <summary>Largest section still shown in full by default.</summary>
    public const int CompactAbove = 12;

    /// <summary>No filter, nothing forced open: the default view.</summary>
    public static OverviewFilter None { get; } = new(null, false);

    /// <summary>True when any section of any datacenter is too big to list in full.</summary>
    public static bool IsLarge(EstateSnapshot snapshot) => snapshot.Datacenters.Any(IsLarge);

    /// <summary>True when any section of this datacenter is too big to list in full.</summary>
    public static bool IsLarge(DatacenterSnapshot dc) =>
        dc.AdminNodeManagers.Count > CompactAbove
        || dc.CassandraNodes.Count > CompactAbove
        || dc.Groups.Any(g => g.Instances.Count > CompactAbove);

    /// <summary>The filter text, trimmed; null when there is none.</summary>
    public string? Query => string.IsNullOrWhiteSpace(Text) ? null : Text.Trim();

    /// <summary>Whether a component gets its own line in a view that is <paramref name="compact"/> or not.</summary>
    public bool Shows(ComponentStatus component, bool compact)
    {
        if (Query is { } query)
            return Matches(component, query);
        return !compact || ShowAll || component.State != ComponentState.Up;
    }

    /// <summary>Case-insensitive match on the name, id, key, state, and the host or address.</summary>
    public static bool Matches(ComponentStatus component, string query)
    {
        bool Has(string? text) => text is not null && text.Contains(query, StringComparison.OrdinalIgnoreCase);
        return Has(component.Name) || Has(component.Id) || Has(component.Key) || Has(component.State.ToString())
            || component switch
            {
                GatewayInstanceStatus instance => Has(instance.HostName),
                CassandraNodeStatus node => Has(node.Address),
                _ => false,
            };
    }

    /// <summary>Counts per state, Up first: "48 up, 2 down".</summary>
    public static string Summary(IEnumerable<ComponentStatus> components) =>
        string.Join(", ", components
            .GroupBy(c => c.State)
            .OrderBy(g => g.Key == ComponentState.Up ? 0 : 1).ThenBy(g => g.Key)
            .Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
}
