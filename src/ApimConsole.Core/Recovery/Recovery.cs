using ApimConsole.Core.Live;

namespace ApimConsole.Core.Recovery;

/// <summary>
/// An outage that is over (its scenario no longer in force) but whose recovery is not complete yet: the Cassandra
/// nodes it touched are not all Up and in schema agreement again, or a repair (or replacement) the repair rules ask
/// for has not been marked done. Deployment guardrails block on these; the runbooks and incidents pages list them.
/// </summary>
/// <param name="IncidentKey">The scenario key of the incident (<c>DatacenterDown:dc2</c>).</param>
/// <param name="Title">The incident's title as the classifier named it.</param>
/// <param name="Ended">When the scenario stopped being in force.</param>
/// <param name="Waiting">What is still missing, each a sentence a person can act on
/// (<c>nodetool repair not yet marked done on dc2/cassandra-2</c>).</param>
public sealed record IncompleteRecovery(string IncidentKey, string Title, DateTimeOffset Ended, IReadOnlyList<string> Waiting);

/// <summary>The recoveries still incomplete, kept current by the incident recorder; a new list each time it changes.</summary>
public interface IRecoveryStatus : ILiveFeed<IReadOnlyList<IncompleteRecovery>>
{
    IReadOnlyList<IncompleteRecovery> Incomplete => Current;

    /// <summary>Whether recoveries are tracked at all (false for the stand-in of a console without incident recording).</summary>
    bool Tracked => true;
}
