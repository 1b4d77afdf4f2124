namespace ApimConsole.Core.Estate;

/// <summary>
/// How sentences name a component and attach a probe's reason, so no builder says the kind twice
/// ("Admin Node Manager Admin Node Manager (anm:8090)") or nests brackets ("(stopped (…); …)").
/// </summary>
public static class ComponentText
{
    /// <summary>"Admin Node Manager", "Gateway instance", "Cassandra node".</summary>
    public static string KindName(ComponentKind kind) => kind switch
    {
        ComponentKind.AdminNodeManager => "Admin Node Manager",
        ComponentKind.GatewayInstance => "Gateway instance",
        ComponentKind.CassandraNode => "Cassandra node",
        _ => kind.ToString(),
    };

    /// <summary>
    /// The kind and the name ("Gateway instance instance-2"), or the name alone when it already starts with the kind
    /// (the monitor names an ANM "Admin Node Manager (host:port)").
    /// </summary>
    public static string Named(ComponentKind kind, string name)
    {
        var kindName = KindName(kind);
        if (string.IsNullOrWhiteSpace(name))
            return kindName;
        return name.StartsWith(kindName, StringComparison.OrdinalIgnoreCase) ? name : $"{kindName} {name}";
    }

    /// <inheritdoc cref="Named(ComponentKind, string)"/>
    public static string Named(ComponentStatus component) => Named(component.Kind, component.Name);

    /// <summary>
    /// A reason as its own sentence after a sentence that ends with a full stop: " Probe: connection refused.";
    /// empty without a reason.
    /// </summary>
    public static string ReasonSentence(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return "";
        var text = reason.Trim().TrimEnd('.');
        return $" Probe: {text}.";
    }
}
