namespace ApimConsole.Core.Scenarios;

/// <summary>
/// What an outage's duration means for Cassandra, from the documentation's rules: Axway asks for
/// <c>nodetool repair</c> after more than 2 h; hinted handoff covers only <c>max_hint_window</c> (3 h);
/// a node down longer than <c>gc_grace_seconds</c> (10 days) must be replaced, not repaired.
/// All thresholds are strict: exactly 2 h asks for nothing yet.
/// </summary>
public static class RepairAdvisor
{
    public static readonly TimeSpan RepairAfter = TimeSpan.FromHours(2);
    public static readonly TimeSpan HintWindow = TimeSpan.FromHours(3);
    public static readonly TimeSpan GcGrace = TimeSpan.FromDays(10);

    /// <summary>The advisories for a scenario of <paramref name="kind"/> that has lasted <paramref name="outage"/>; empty when none apply.</summary>
    public static IReadOnlyList<string> Advise(FailoverScenarioKind kind, TimeSpan outage)
    {
        if (!TouchesCassandra(kind) || outage <= RepairAfter)
            return [];

        var advisories = new List<string>();
        if (outage > GcGrace)
        {
            advisories.Add(Hours(outage) + ", more than gc_grace_seconds (10 days): do not run nodetool repair — deleted data could come back. "
                + ReplaceWhat(kind));
            advisories.Add(HintsGone(kind));
            return advisories;
        }

        advisories.Add(Hours(outage) + ", more than 2 h: " + RepairWhat(kind));
        if (outage > HintWindow)
            advisories.Add(HintsGone(kind));
        return advisories;
    }

    private static bool TouchesCassandra(FailoverScenarioKind kind) => kind is
        FailoverScenarioKind.CassandraNodeDown or FailoverScenarioKind.CassandraQuorumLost
        or FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.InterDatacenterLinkDown
        or FailoverScenarioKind.DatacenterUnreachable;

    private static string RepairWhat(FailoverScenarioKind kind) => kind switch
    {
        FailoverScenarioKind.CassandraNodeDown => "run nodetool repair on the node once it has rejoined the cluster.",
        FailoverScenarioKind.CassandraQuorumLost => "run nodetool repair on each Cassandra node of that datacenter once all are back.",
        FailoverScenarioKind.DatacenterDown => "run nodetool repair on each Cassandra node of that datacenter once it is back.",
        FailoverScenarioKind.InterDatacenterLinkDown =>
            "when the link returns, run nodetool repair on all six Cassandra nodes, then restart the gateway instances so they resync from Cassandra.",
        _ => "if the datacenter was down, run nodetool repair on each of its Cassandra nodes; if the link was down, "
            + "run nodetool repair on all six Cassandra nodes, then restart the gateway instances so they resync from Cassandra.",
    };

    private static string ReplaceWhat(FailoverScenarioKind kind) => kind switch
    {
        FailoverScenarioKind.CassandraNodeDown => "Replace the node instead.",
        FailoverScenarioKind.InterDatacenterLinkDown =>
            "The two datacenters have diverged past gc_grace: replace the Cassandra nodes of one datacenter instead of repairing.",
        _ => "Replace the Cassandra nodes that were down instead.",
    };

    private static string HintsGone(FailoverScenarioKind kind) =>
        "Down longer than max_hint_window (3 h): the hints kept for "
        + (kind == FailoverScenarioKind.InterDatacenterLinkDown ? "the other datacenter" : "the missing nodes")
        + " are gone, so the writes missed are not replayed automatically.";

    private static string Hours(TimeSpan outage) => outage >= TimeSpan.FromDays(1)
        ? $"Outage {(int)outage.TotalDays} d {outage.Hours} h"
        : $"Outage {(int)outage.TotalHours} h {outage.Minutes:00} min";
}
