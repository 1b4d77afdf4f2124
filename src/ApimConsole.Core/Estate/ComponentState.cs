namespace ApimConsole.Core.Estate;

/// <summary>What the console knows of one component. Unknown is never treated as Up.</summary>
public enum ComponentState
{
    Unknown,
    Up,
    Down,
}

public enum ComponentKind
{
    AdminNodeManager,
    GatewayInstance,
    CassandraNode,
}

/// <summary>How a datacenter looks as a whole from the console's side of the link.</summary>
public enum DatacenterState
{
    Unknown,
    /// <summary>Everything answers.</summary>
    Up,
    /// <summary>Serving, with some components down.</summary>
    Degraded,
    /// <summary>Not serving: the load balancer (or the console, for its own DC) sees nothing of it.</summary>
    Down,
    /// <summary>Nothing of it answers the console; whether it serves is known only through a witness.</summary>
    Unreachable,
}

public enum LinkState
{
    Unknown,
    Up,
    Down,
}

public enum GatewayZone
{
    Internal,
    Dmz,
}
