using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>
/// Keeps <see cref="IRecoveryStatus"/> current. After an incident of a Cassandra-touching kind has ended, its recovery
/// is incomplete while (a) any node it touched is not Up and in schema agreement in the current snapshot, or (b) the
/// outage lasted more than 2 h and not every touched node has its repair (replacement, past 10 days) marked done.
/// Once complete, the incident is stamped <see cref="Incident.RecoveredAt"/> and not judged again.
/// </summary>
/// <remarks>
/// State lives in memory, so reading <see cref="Incomplete"/> never waits for the store. The recorder feeds it the
/// incidents it closes and every snapshot; the repair checklist feeds it the marks. The stamps are written through
/// <see cref="StoreWriter"/>: retried as one unit, and a refused write leaves them pending for the next call.
/// </remarks>
public sealed class RecoveryTracker(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer, ILogger<RecoveryTracker> logger) : IRecoveryStatus
{
    private sealed record Candidate(long IncidentId, string Key, string Title, DateTimeOffset StartedAt, DateTimeOffset EndedAt,
        IReadOnlyList<string> Nodes, Dictionary<string, string> Done);

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Candidate> _candidates = [];
    private readonly Dictionary<long, DateTimeOffset> _completed = [];
    // Marks made while an incident was still open (or before it was tracked), merged in when it is tracked.
    private readonly Dictionary<long, Dictionary<string, string?>> _marks = [];
    private EstateSnapshot? _lastSnapshot;
    private readonly LiveFeed<IReadOnlyList<IncompleteRecovery>> _incomplete = new([]);

    public IReadOnlyList<IncompleteRecovery> Current => _incomplete.Current;

    public IReadOnlyList<IncompleteRecovery> Incomplete => _incomplete.Current;

    public FeedSubscription<IReadOnlyList<IncompleteRecovery>> Subscribe(int capacity = FeedSubscription.DefaultCapacity) => _incomplete.Subscribe(capacity);

    /// <summary>Takes on an ended incident (loaded at start-up or just closed). Incidents that need no recovery are ignored.</summary>
    public void Track(Incident incident)
    {
        if (incident.EndedAt is not { } ended || incident.RecoveredAt is not null || !IncidentRules.TouchesCassandra(incident.Kind))
            return;
        lock (_gate)
        {
            var done = incident.RepairChecks.ToDictionary(c => c.NodeKey, c => c.Action, StringComparer.Ordinal);
            if (_marks.Remove(incident.Id, out var marks))
            {
                foreach (var (node, action) in marks)
                {
                    if (action is null)
                        done.Remove(node);
                    else
                        done[node] = action;
                }
            }
            _candidates[incident.Id] = new Candidate(incident.Id, incident.Key, incident.Title, incident.StartedAt, ended,
                IncidentRules.SplitNodes(incident.CassandraNodes), done);
            _completed.Remove(incident.Id);
        }
    }

    /// <summary>A repair check was marked done (<paramref name="action"/>) or, with null, not done.</summary>
    public void CheckChanged(long incidentId, string nodeKey, string? action)
    {
        lock (_gate)
        {
            if (!_candidates.TryGetValue(incidentId, out var candidate))
            {
                if (!_marks.TryGetValue(incidentId, out var marks))
                    _marks[incidentId] = marks = new(StringComparer.Ordinal);
                marks[nodeKey] = action;
                return;
            }
            if (action is null)
                candidate.Done.Remove(nodeKey);
            else
                candidate.Done[nodeKey] = action;
        }
    }

    /// <summary>Judges every tracked recovery against <paramref name="snapshot"/> (the last one seen when null) and publishes the list if it changed.</summary>
    public void Evaluate(EstateSnapshot? snapshot = null)
    {
        lock (_gate)
        {
            snapshot ??= _lastSnapshot;
            if (snapshot is null)
                return;
            _lastSnapshot = snapshot;
            var incomplete = new List<IncompleteRecovery>();
            foreach (var candidate in _candidates.Values.OrderBy(c => c.EndedAt).ThenBy(c => c.IncidentId))
            {
                if (_completed.ContainsKey(candidate.IncidentId))
                    continue;
                var waiting = Waiting(candidate, snapshot);
                if (waiting.Count == 0)
                    _completed[candidate.IncidentId] = snapshot.AsOf;
                else
                    incomplete.Add(new IncompleteRecovery(candidate.Key, candidate.Title, candidate.EndedAt, waiting));
            }
            // Published under the lock, so two evaluations never publish out of order.
            if (!SameList(_incomplete.Current, incomplete))
                _incomplete.Publish(incomplete);
        }
    }

    /// <summary>Stamps the recoveries found complete in the store; those that fail stay pending for the next call.</summary>
    public async Task PersistCompletedAsync(CancellationToken cancellationToken)
    {
        KeyValuePair<long, DateTimeOffset>[] completed;
        lock (_gate)
            completed = [.. _completed];
        if (completed.Length == 0)
            return;
        try
        {
            await writer.WriteAsync($"stamp {completed.Length} completed recoveries", async ct =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                var ids = completed.Select(c => c.Key).ToList();
                var incidents = await db.Incidents.Where(i => ids.Contains(i.Id)).ToListAsync(ct);
                foreach (var incident in incidents)
                    incident.RecoveredAt ??= completed.First(c => c.Key == incident.Id).Value;
                await db.SaveChangesAsync(ct);
            }, cancellationToken);
        }
        catch (ConsoleStoreUnavailableException e)
        {
            // The store writer has logged the refusal; the recoveries stay complete in memory and are stamped later.
            logger.LogWarning("Incidents: {Count} completed recoveries are not stamped yet ({Problem}); will try again", completed.Length, StoreWriter.Describe(e));
            return;
        }
        lock (_gate)
        {
            foreach (var (id, _) in completed)
            {
                if (_completed.Remove(id))
                    _candidates.Remove(id);
            }
        }
    }

    private static List<string> Waiting(Candidate candidate, EstateSnapshot snapshot)
    {
        var waiting = new List<string>();
        var nodes = snapshot.Datacenters.SelectMany(d => d.CassandraNodes).ToDictionary(n => n.Key, StringComparer.Ordinal);
        foreach (var key in candidate.Nodes)
        {
            if (!nodes.TryGetValue(key, out var node))
                continue; // No longer configured: nothing to wait for.
            if (node.State != ComponentState.Up)
                waiting.Add($"{key} is not Up yet ({node.State}).");
            else if (node.InSchemaAgreement != true)
                waiting.Add($"{key} is not in schema agreement yet.");
        }

        var required = IncidentRules.RequiredAction(candidate.EndedAt - candidate.StartedAt);
        if (required is not null)
        {
            foreach (var key in candidate.Nodes)
            {
                if (!candidate.Done.TryGetValue(key, out var action) || action != required)
                {
                    waiting.Add(required == IncidentRules.Replace
                        ? $"Replacement not yet marked done on {key} (down past gc_grace, 10 days: replace, do not repair)."
                        : $"nodetool repair not yet marked done on {key}.");
                }
            }
        }
        return waiting;
    }

    private static bool SameList(IReadOnlyList<IncompleteRecovery> a, IReadOnlyList<IncompleteRecovery> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.IncidentKey == p.Second.IncidentKey && p.First.Ended == p.Second.Ended
            && p.First.Title == p.Second.Title && p.First.Waiting.SequenceEqual(p.Second.Waiting));
}
