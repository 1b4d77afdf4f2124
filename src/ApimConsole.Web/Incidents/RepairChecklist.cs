using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>One Cassandra node's line of an incident's repair checklist.</summary>
/// <param name="Action"><c>repair</c> or <c>replace</c>: what the outage's length asks for (repair when it asks for nothing yet).</param>
/// <param name="Required">False while the outage has not lasted more than 2 h: marking is then optional.</param>
public sealed record RepairItem(string NodeKey, string Action, bool Required, string? DoneBy, DateTimeOffset? DoneAt, string? Note, string? DoneAction)
{
    /// <summary>Done with the action required now (a repair marked before the outage passed 10 days does not count as a replacement).</summary>
    public bool Done => DoneBy is not null && DoneAction == Action;
}

/// <summary>An incident's repair checklist: one item per Cassandra node the outage touched.</summary>
public sealed record RepairChecklistView(IncidentView Incident, string? RequiredAction, IReadOnlyList<RepairItem> Items);

/// <summary>Bad input to the checklist. <see cref="NotFound"/>: the incident does not exist.</summary>
public sealed class RepairChecklistException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// The repair checklist of each incident: who marked each node's repair (or replacement) done and when, persisted
/// and audited. Bad input is refused with a clear message before anything is written.
/// </summary>
public sealed class RepairChecklist(
    IDbContextFactory<ConsoleDbContext> contexts,
    AuditLog audit,
    RecoveryTracker recovery,
    IncidentLog log,
    TimeProvider time)
{
    public const int MaxNameLength = 200;
    public const int MaxNoteLength = 2000;

    public async Task<RepairChecklistView> GetAsync(long incidentId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var incident = await db.Incidents.AsNoTracking().Include(i => i.RepairChecks).SingleOrDefaultAsync(i => i.Id == incidentId, cancellationToken)
            ?? throw new RepairChecklistException($"Incident {incidentId} does not exist.", notFound: true);
        return View(incident);
    }

    public Task<RepairChecklistView> MarkDoneAsync(long incidentId, string nodeKey, string doneBy, string? note, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(doneBy))
            throw new RepairChecklistException("'Done by' is required: say who did it.");
        if (doneBy.Trim().Length > MaxNameLength)
            throw new RepairChecklistException($"'Done by' is longer than {MaxNameLength} characters.");
        if (note is not null && note.Length > MaxNoteLength)
            throw new RepairChecklistException($"The note is longer than {MaxNoteLength} characters.");
        return ChangeAsync(incidentId, nodeKey, doneBy.Trim(), string.IsNullOrWhiteSpace(note) ? null : note.Trim(), cancellationToken);
    }

    public Task<RepairChecklistView> MarkNotDoneAsync(long incidentId, string nodeKey, string by, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(by))
            throw new RepairChecklistException("Say who is taking the mark back.");
        if (by.Trim().Length > MaxNameLength)
            throw new RepairChecklistException($"The name is longer than {MaxNameLength} characters.");
        return ChangeAsync(incidentId, nodeKey, by.Trim(), note: null, cancellationToken, done: false);
    }

    private async Task<RepairChecklistView> ChangeAsync(long incidentId, string nodeKey, string by, string? note, CancellationToken cancellationToken, bool done = true)
    {
        // The mark and its audit entry are one transaction, retried as one: an unaudited mark cannot stand.
        var (refusal, incident, action) = await audit.WriteAsync($"repair mark on {nodeKey}", async (db, ct) =>
        {
            var incident = await db.Incidents.Include(i => i.RepairChecks).SingleOrDefaultAsync(i => i.Id == incidentId, ct);
            if (incident is null)
                return (new RepairChecklistException($"Incident {incidentId} does not exist.", notFound: true), null!, "");
            var nodes = IncidentRules.SplitNodes(incident.CassandraNodes);
            if (nodes.Count == 0)
                return (new RepairChecklistException($"Incident {incidentId} ({incident.Title}) touched no Cassandra node: it has no repair checklist."), incident, "");
            if (string.IsNullOrWhiteSpace(nodeKey) || !nodes.Contains(nodeKey.Trim(), StringComparer.Ordinal))
                return (new RepairChecklistException($"'{nodeKey}' is not on the checklist of incident {incidentId}: use one of {string.Join(", ", nodes)}."), incident, "");
            var node = nodeKey.Trim();

            var now = time.GetUtcNow();
            var action = ActionFor(incident, now);
            var existing = incident.RepairChecks.SingleOrDefault(c => c.NodeKey == node);
            if (done)
            {
                if (existing is null)
                    incident.RepairChecks.Add(new RepairCheck { NodeKey = node, Action = action, DoneBy = by, DoneAt = now, Note = note });
                else
                    (existing.Action, existing.DoneBy, existing.DoneAt, existing.Note) = (action, by, now, note);
            }
            else
            {
                if (existing is null)
                    return (new RepairChecklistException($"{node} is not marked done on incident {incidentId}."), incident, "");
                db.RepairChecks.Remove(existing);
                incident.RepairChecks.Remove(existing);
                // Taken back: the recovery is open to judgement again.
                incident.RecoveredAt = null;
            }
            audit.Add(db, by, done ? "repair.marked-done" : "repair.marked-not-done", node,
                $"Incident {incident.Id} {incident.Key}: {(done ? action + " done" + (note is null ? "" : ": " + note) : "mark taken back")}");
            return ((RepairChecklistException?)null, incident, action);
        }, cancellationToken);
        if (refusal is not null)
            throw refusal;
        nodeKey = nodeKey.Trim();

        recovery.CheckChanged(incident.Id, nodeKey, done ? action : null);
        if (!done)
            recovery.Track(incident);
        recovery.Evaluate();
        await recovery.PersistCompletedAsync(cancellationToken);
        log.NotifyChanged();
        return View(incident);
    }

    private static string ActionFor(Incident incident, DateTimeOffset now) =>
        IncidentRules.RequiredAction((incident.EndedAt ?? now) - incident.StartedAt) ?? IncidentRules.Repair;

    private RepairChecklistView View(Incident incident)
    {
        var now = time.GetUtcNow();
        var required = IncidentRules.RequiredAction((incident.EndedAt ?? now) - incident.StartedAt);
        var action = required ?? IncidentRules.Repair;
        var checks = incident.RepairChecks.ToDictionary(c => c.NodeKey, StringComparer.Ordinal);
        var items = IncidentRules.SplitNodes(incident.CassandraNodes).Select(node =>
        {
            checks.TryGetValue(node, out var check);
            return new RepairItem(node, action, required is not null, check?.DoneBy, check?.DoneAt, check?.Note, check?.Action);
        }).ToList();
        return new RepairChecklistView(IncidentView.From(incident), required, items);
    }
}
