using ApimConsole.Core.Live;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>One incident as the page and the API show it.</summary>
public sealed record IncidentView(
    long Id,
    string Key,
    string Kind,
    string? DatacenterId,
    string? ComponentKey,
    string Title,
    string Severity,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    IReadOnlyList<string> CassandraNodes,
    DateTimeOffset? RecoveredAt)
{
    public bool IsOpen => EndedAt is null;

    /// <summary>Set on a part folded into the outage with this id (it is shown inside that one, not listed on its own).</summary>
    public long? ParentId { get; init; }

    public string? AcknowledgedBy { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>What the outage took down or cut off; empty when not loaded or none.</summary>
    public IReadOnlyList<ConsequenceView> Consequences { get; init; } = [];

    /// <summary>How long it lasted, or has lasted so far at <paramref name="now"/>.</summary>
    public TimeSpan Duration(DateTimeOffset now)
    {
        var span = (EndedAt ?? now) - StartedAt;
        return span < TimeSpan.Zero ? TimeSpan.Zero : span;
    }

    internal static IncidentView From(Incident i) => new(i.Id, i.Key, i.Kind, i.DatacenterId, i.ComponentKey, i.Title, i.Severity,
        i.StartedAt, i.EndedAt, IncidentRules.SplitNodes(i.CassandraNodes), i.RecoveredAt)
    {
        ParentId = i.ParentId,
        AcknowledgedBy = i.AcknowledgedBy,
        AcknowledgedAt = i.AcknowledgedAt,
        Consequences = i.Consequences.OrderBy(c => c.From).ThenBy(c => c.DatacenterId, StringComparer.Ordinal)
            .ThenBy(c => c.ComponentId, StringComparer.Ordinal).Select(ConsequenceView.Of).ToList(),
    };
}

/// <summary>What a page that only lists recent incidents needs of the timeline (the runbooks link scenarios to theirs).</summary>
public interface IIncidentTimeline
{
    /// <summary>Moves after every write to the timeline.</summary>
    ILiveFeed<long> Writes { get; }

    /// <summary>See <see cref="IncidentLog.ListAsync"/>.</summary>
    Task<IReadOnlyList<IncidentView>> ListAsync(bool openOnly, int days, CancellationToken cancellationToken);
}

/// <summary>The timeline of a console that records no incidents: always empty, never moves.</summary>
public sealed class NoIncidentTimeline : IIncidentTimeline
{
    public ILiveFeed<long> Writes { get; } = new LiveFeed<long>(0);

    public Task<IReadOnlyList<IncidentView>> ListAsync(bool openOnly, int days, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IncidentView>>([]);
}

/// <summary>
/// The read side of the incident timeline, and the one place that says "the timeline changed": the recorder and the
/// repair checklist call <see cref="NotifyChanged"/> after they write, pages watch <see cref="Writes"/>.
/// </summary>
public sealed class IncidentLog(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time) : IIncidentTimeline
{
    public const int MaxDays = 366;

    private readonly LiveFeed<long> _writes = new(0);

    /// <summary>Writes to the timeline so far, live: it moves after an incident, a component change or a repair check was written.</summary>
    public ILiveFeed<long> Writes => _writes;

    public void NotifyChanged() => _writes.Update(writes => writes + 1);

    /// <summary>
    /// Open incidents first (newest first), then past ones that started or ended within the last
    /// <paramref name="days"/> days, newest first, each with its consequences. With <paramref name="openOnly"/>, only the
    /// open ones. Parts folded into an outage are not listed on their own.
    /// </summary>
    public async Task<IReadOnlyList<IncidentView>> ListAsync(bool openOnly, int days, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, MaxDays);
        var from = time.GetUtcNow() - TimeSpan.FromDays(days);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Incidents.AsNoTracking().Where(i => i.ParentId == null);
        query = openOnly
            ? query.Where(i => i.EndedAt == null)
            : query.Where(i => i.EndedAt == null || i.StartedAt >= from || i.EndedAt >= from);
        var incidents = await query.OrderByDescending(i => i.StartedAt).ThenByDescending(i => i.Id).Take(1000).ToListAsync(cancellationToken);
        var ids = incidents.Select(i => i.Id).ToList();
        var consequences = (await db.IncidentConsequences.AsNoTracking().Where(c => ids.Contains(c.IncidentId)).ToListAsync(cancellationToken))
            .ToLookup(c => c.IncidentId);
        foreach (var incident in incidents)
            incident.Consequences = [.. consequences[incident.Id]];
        return incidents.OrderBy(i => i.EndedAt is null ? 0 : 1).Select(IncidentView.From).ToList();
    }

    public async Task<IncidentView?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Consequences).SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
        return incident is null ? null : IncidentView.From(incident);
    }

    /// <summary>
    /// The state changes recorded inside an incident's window (to now while it is open), oldest first: of its datacenter
    /// and the link for a datacenter or component scenario, of everything for the link or an estate-wide one.
    /// </summary>
    public async Task<IReadOnlyList<ComponentStateChange>> ChangesDuringAsync(IncidentView incident, int max, CancellationToken cancellationToken)
    {
        var to = incident.EndedAt ?? time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.ComponentStateChanges.AsNoTracking().Where(c => c.At >= incident.StartedAt && c.At <= to);
        if (incident.DatacenterId is { } dc && incident.Kind is not (nameof(Core.Scenarios.FailoverScenarioKind.DatacenterUnreachable)
                or nameof(Core.Scenarios.FailoverScenarioKind.InterDatacenterLinkDown)))
            query = query.Where(c => c.DatacenterId == dc || c.DatacenterId == IncidentRecorder.EstateSubject);
        return await query.OrderBy(c => c.At).ThenBy(c => c.Id).Take(max).ToListAsync(cancellationToken);
    }
}
