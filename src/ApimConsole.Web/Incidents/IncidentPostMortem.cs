using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Guardrails;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>A component an outage took down or cut off, as the page, the API and the export show it.</summary>
public sealed record ConsequenceView(string DatacenterId, string ComponentId, string ComponentKind, string State, DateTimeOffset From, DateTimeOffset? Until)
{
    public string Key => $"{DatacenterId}/{ComponentId}";

    internal static ConsequenceView Of(IncidentConsequence c) => new(c.DatacenterId, c.ComponentId, c.ComponentKind, c.State, c.From, c.Until);
}

public sealed record NoteView(long Id, DateTimeOffset At, string Author, string Text);

/// <summary>
/// One line of an incident's timeline: a state change (<c>state</c>), an audited action such as a deployment request,
/// an override, a note or an acknowledgement (<c>audit</c>), a deployment's outcome (<c>deployment</c>), or a turn of the
/// deployment guardrail (<c>guardrail</c>).
/// </summary>
public sealed record TimelineEntry(DateTimeOffset At, string Source, string Subject, string Text);

/// <summary>An incident with everything a post-mortem needs: what it took down, the parts folded into it, notes, timeline.</summary>
public sealed record IncidentDetail(
    IncidentView Incident,
    IReadOnlyList<IncidentView> Parts,
    IReadOnlyList<NoteView> Notes,
    IReadOnlyList<TimelineEntry> Timeline,
    bool TimelineTruncated);

/// <summary>Bad input to a post-mortem write. <see cref="NotFound"/>: the incident does not exist.</summary>
public sealed class IncidentPostMortemException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// Post-mortem support: an incident in full (<see cref="GetAsync"/>), notes on it and its acknowledgement, each written
/// with its audit entry in one transaction (<see cref="AuditLog.WriteAsync{T}"/>). The timeline is derived for the
/// incident's interval from what the store already holds (state changes, the audit trail, deployments, the guardrail's
/// turns), so it is the same record every other page reads, not a copy, and the same before and after a restart.
/// </summary>
public sealed class IncidentPostMortem(IDbContextFactory<ConsoleDbContext> contexts, AuditLog audit, IncidentLog log, TimeProvider time,
    GuardrailService? guardrail = null, GuardrailTurnStore? turns = null)
{
    /// <summary>Timeline lines at most per source.</summary>
    public const int MaxTimeline = 2000;

    public async Task<IncidentDetail?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var incident = await log.FindAsync(id, cancellationToken);
        if (incident is null)
            return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var parts = await db.Incidents.AsNoTracking().Where(i => i.ParentId == id).OrderBy(i => i.StartedAt).ToListAsync(cancellationToken);
        var notes = await db.IncidentNotes.AsNoTracking().Where(n => n.IncidentId == id).OrderBy(n => n.At).ThenBy(n => n.Id)
            .Select(n => new NoteView(n.Id, n.At, n.Author, n.Text)).ToListAsync(cancellationToken);

        var from = parts.Count > 0 && parts.Min(p => p.StartedAt) < incident.StartedAt ? parts.Min(p => p.StartedAt) : incident.StartedAt;
        var to = incident.EndedAt ?? time.GetUtcNow();
        var timeline = new List<TimelineEntry>();
        var changes = await log.ChangesDuringAsync(incident with { StartedAt = from }, MaxTimeline + 1, cancellationToken);
        timeline.AddRange(changes.Take(MaxTimeline).Select(c => new TimelineEntry(c.At, "state", $"{c.DatacenterId}/{c.ComponentId}",
            $"{c.ComponentKind} {c.FromState} -> {c.ToState}{(string.IsNullOrEmpty(c.Reason) ? "" : $" ({c.Reason})")}")));
        // Sign-ins, sign-outs and token use say nothing about an outage.
        var audited = await db.AuditEntries.AsNoTracking()
            .Where(a => a.At >= from && a.At <= to && !a.Action.StartsWith("signin.") && a.Action != "signout" && a.Action != "token.used")
            .OrderBy(a => a.At).ThenBy(a => a.Id).Take(MaxTimeline + 1).ToListAsync(cancellationToken);
        timeline.AddRange(audited.Take(MaxTimeline).Select(a => new TimelineEntry(a.At, "audit", a.Target, $"{a.Action} by {a.Actor}{(a.Details is null ? "" : $": {a.Details}")}")));
        var deployments = await db.Deployments.AsNoTracking()
            .Where(d => (d.RequestedAt >= from && d.RequestedAt <= to) || (d.FinishedAt >= from && d.FinishedAt <= to))
            .OrderBy(d => d.RequestedAt).Take(MaxTimeline + 1).ToListAsync(cancellationToken);
        foreach (var d in deployments.Take(MaxTimeline))
        {
            timeline.Add(new TimelineEntry(d.RequestedAt, "deployment", $"deployment {d.Id}",
                $"{d.Kind} to {d.GroupName} requested by {d.RequestedBy} (guardrail: {d.RequestDecision}{(d.OverrideReason is null ? "" : $", override: {d.OverrideReason}")})"));
            if (d.FinishedAt is { } finished && finished >= from && finished <= to)
                timeline.Add(new TimelineEntry(finished, "deployment", $"deployment {d.Id}", $"{d.State}{(d.Summary is null ? "" : $": {d.Summary}")}"));
        }
        // The guardrail's turns while it lasted, with the loads on the wire when it turned: those stored (they outlive a
        // restart) and those this console still holds that its writer has not stored yet, each once.
        var stored = turns is null ? [] : await turns.DuringAsync(from, to, MaxTimeline + 1, cancellationToken);
        var recent = guardrail?.History.Where(t => t.At >= from && t.At <= to) ?? [];
        var guardrailTurns = stored.Take(MaxTimeline).Concat(recent).DistinctBy(t => (t.At, t.Kind, t.DatacenterId, t.Decision)).OrderBy(t => t.At).Take(MaxTimeline);
        timeline.AddRange(guardrailTurns.Select(t => new TimelineEntry(t.At, "guardrail",
            t.DatacenterId is null ? $"{t.Kind}" : $"{t.Kind} in {t.DatacenterId}",
            t.InFlight is { Count: > 0 } inFlight ? $"{t.Decision}; on the wire when it turned: {string.Join("; ", inFlight)}" : $"{t.Decision}")));
        var truncated = changes.Count > MaxTimeline || audited.Count > MaxTimeline || deployments.Count > MaxTimeline || stored.Count > MaxTimeline;
        var ordered = timeline.OrderBy(e => e.At).ThenBy(e => e.Source, StringComparer.Ordinal).ToList();
        return new IncidentDetail(incident, parts.Select(IncidentView.From).ToList(), notes, ordered, truncated);
    }

    /// <summary>Adds a note by <paramref name="author"/>; refused (nothing written) when empty, too long, or the incident does not exist.</summary>
    public async Task<NoteView> AddNoteAsync(long id, string author, string? text, CancellationToken cancellationToken)
    {
        var clean = text?.Trim() ?? "";
        if (clean.Length == 0)
            throw new IncidentPostMortemException("The note is empty: write what you want on record.");
        if (clean.Length > IncidentNote.MaxText)
            throw new IncidentPostMortemException($"The note is longer than {IncidentNote.MaxText} characters.");
        var (refusal, note) = await audit.WriteAsync($"note on incident {id}", async (db, ct) =>
        {
            var incident = await db.Incidents.AsNoTracking().Where(i => i.Id == id).Select(i => new { i.Id, i.Key }).SingleOrDefaultAsync(ct);
            if (incident is null)
                return (new IncidentPostMortemException($"Incident {id} does not exist.", notFound: true), null!);
            var note = new IncidentNote { IncidentId = id, At = time.GetUtcNow(), Author = author, Text = clean };
            db.IncidentNotes.Add(note);
            audit.Add(db, author, "incident.note-added", $"incident {id}", $"{incident.Key}: {clean}");
            return ((IncidentPostMortemException?)null, note);
        }, cancellationToken);
        if (refusal is not null)
            throw refusal;
        log.NotifyChanged();
        return new NoteView(note.Id, note.At, note.Author, note.Text);
    }

    /// <summary>Acknowledges the incident as <paramref name="by"/>; refused when it is already acknowledged (by whom, when) or does not exist.</summary>
    public async Task<IncidentView> AcknowledgeAsync(long id, string by, CancellationToken cancellationToken)
    {
        var (refusal, incident) = await audit.WriteAsync($"acknowledgement of incident {id}", async (db, ct) =>
        {
            var incident = await db.Incidents.SingleOrDefaultAsync(i => i.Id == id, ct);
            if (incident is null)
                return (new IncidentPostMortemException($"Incident {id} does not exist.", notFound: true), null!);
            if (incident.AcknowledgedBy is not null)
            {
                return (new IncidentPostMortemException(
                    $"Incident {id} was acknowledged by {incident.AcknowledgedBy} at {incident.AcknowledgedAt:yyyy-MM-dd HH:mm:ss} UTC already."), incident);
            }
            incident.AcknowledgedBy = by;
            incident.AcknowledgedAt = time.GetUtcNow();
            audit.Add(db, by, "incident.acknowledged", $"incident {id}", incident.Key);
            return ((IncidentPostMortemException?)null, incident);
        }, cancellationToken);
        if (refusal is not null)
            throw refusal;
        log.NotifyChanged();
        return IncidentView.From(incident);
    }
}
