using System.Security.Claims;

namespace ApimConsole.Web.Security;

/// <summary>
/// The console's roles and the authorization policies every page, API endpoint and hub method names. Each states one
/// of these; anything that states none is denied (the fallback policy).
/// </summary>
public static class ConsoleRoles
{
    public const string Administrator = "Administrator";
    public const string Support = "Support";
    public const string Viewer = "Viewer";

    public static IReadOnlyList<string> All { get; } = [Administrator, Support, Viewer];
}

public static class ConsolePolicies
{
    /// <summary>Overview, wall, the live hub, read-only estate state: any role.</summary>
    public const string Viewer = "Viewer";

    /// <summary>Traffic, logs, incidents, runbooks and deployments read-only: Support or Administrator.</summary>
    public const string Support = "Support";

    /// <summary>Deploy, override, runbook actions, repair marks, lab faults, users and tokens: Administrator only.</summary>
    public const string Administrator = "Administrator";

    /// <summary>
    /// The peer endpoints that serve this console's own datacenter's logs and traffic to the console in the other
    /// datacenter: its peer token only (<c>Auth:PeerViewerToken</c>), which that console hands on only to users it has
    /// checked for the same role and datacenter limits.
    /// </summary>
    public const string Peer = "Peer";
}

/// <summary>Claims of the console beyond roles.</summary>
public static class ConsoleClaims
{
    /// <summary>
    /// A datacenter id a Support user may read (one claim per datacenter). A user with none of these claims may read
    /// every datacenter; Administrators always may.
    /// </summary>
    public const string Datacenter = "apimconsole:datacenter";
}

/// <summary>Which datacenters' logs and traffic a user may read.</summary>
public static class DatacenterAccess
{
    public static bool Allows(ClaimsPrincipal? user, string datacenterId)
    {
        if (user is null)
            return false;
        if (user.IsInRole(ConsoleRoles.Administrator))
            return true;
        var listed = user.FindAll(ConsoleClaims.Datacenter).Select(c => c.Value).ToList();
        return listed.Count == 0 || listed.Contains(datacenterId, StringComparer.Ordinal);
    }
}
