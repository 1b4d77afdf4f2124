using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Incidents;

/// <summary>The diff of one snapshot against what is stored, and its write: state changes, outages, their consequences.</summary>
public sealed partial class IncidentRecorder
{
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The newest row per subject is its last stored state.
        var newest = db.ComponentStateChanges.GroupBy(c => new { c.DatacenterId, c.ComponentId }).Select(g => g.Max(c => c.Id));
        var last = await db.ComponentStateChanges.AsNoTracking().Where(c => newest.Contains(c.Id))
            .Select(c => new { c.DatacenterId, c.ComponentId, c.ToState, c.At }).ToListAsync(cancellationToken);
        var open = await db.Incidents.AsNoTracking().Where(i => i.EndedAt == null).ToListAsync(cancellationToken);
        var openIds = open.Select(i => i.Id).ToList();
        var consequences = await db.IncidentConsequences.AsNoTracking()
            .Where(c => openIds.Contains(c.IncidentId) && c.Until == null).ToListAsync(cancellationToken);
        var unrecovered = await db.Incidents.AsNoTracking().Include(i => i.RepairChecks)
            .Where(i => i.EndedAt != null && i.RecoveredAt == null).ToListAsync(cancellationToken);

        _lastStates.Clear();
        _lastAt.Clear();
        foreach (var row in last)
        {
            _lastStates[$"{row.DatacenterId}/{row.ComponentId}"] = row.ToState;
            _lastAt[$"{row.DatacenterId}/{row.ComponentId}"] = row.At;
        }
        _open.Clear();
        foreach (var incident in open)
            _open[incident.Key] = incident;
        _consequences.Clear();
        foreach (var c in consequences)
            OpenConsequences(c.IncidentId)[$"{c.DatacenterId}/{c.ComponentId}"] = c;
        foreach (var incident in unrecovered)
            recovery.Track(incident);
        logger.LogInformation("Incidents: continuing with {Open} open incidents and {Subjects} recorded subjects", _open.Count, _lastStates.Count);
    }

    private Dictionary<string, IncidentConsequence> OpenConsequences(long incidentId)
    {
        if (!_consequences.TryGetValue(incidentId, out var open))
            _consequences[incidentId] = open = new(StringComparer.Ordinal);
        return open;
    }

    /// <summary>
    /// When a change seen in a snapshot is stored as having happened: the subject's "since" when it lies after the
    /// subject's last stored row and not after the snapshot, else the snapshot's time. So a subject's rows are in time
    /// order as they are in id order: a "since" carried over from an earlier state (a datacenter's overlay keeps the
    /// components' own "since"; a peer's view has its own) never puts a change before the one it follows.
    /// </summary>
    public static DateTimeOffset ChangedAt(DateTimeOffset since, DateTimeOffset asOf, DateTimeOffset? lastStored)
    {
        var last = lastStored ?? DateTimeOffset.MinValue;
        if (since != default && since > last && since <= asOf)
            return since;
        return asOf > last ? asOf : last;
    }

    private sealed class Plan
    {
        public List<ComponentStateChange> Changes { get; } = [];
        public Dictionary<string, (string State, DateTimeOffset At)> States { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (DateTimeOffset At, DateTimeOffset Until)> Held { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, DateTimeOffset> Noticed { get; } = new(StringComparer.OrdinalIgnoreCase);
        public List<Incident> Opened { get; } = [];
        // Existing rows whose key, kind, title, severity, start or nodes change (renamed into the outage they resolved into).
        public Dictionary<long, (Incident Row, Incident Next)> Updated { get; } = [];
        public List<(Incident Row, long ParentId)> Absorbed { get; } = [];
        public List<Incident> Closing { get; } = [];
        public List<IncidentConsequence> NewConsequences { get; } = [];
        public List<(IncidentConsequence Row, string State, DateTimeOffset? Until, long IncidentId)> ChangedConsequences { get; } = [];

        public bool IsEmpty => Changes.Count == 0 && Opened.Count == 0 && Updated.Count == 0 && Absorbed.Count == 0 && Closing.Count == 0
            && NewConsequences.Count == 0 && ChangedConsequences.Count == 0;
    }

    /// <summary>Diffs <paramref name="snapshot"/> against what is stored and writes the difference in one transaction; false when there was none.</summary>
    private async Task<bool> RecordAsync(EstateSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (_reload)
        {
            await LoadAsync(cancellationToken);
            _reload = false;
        }
        var plan = new Plan();
        PlanChanges(snapshot, plan);
        PlanIncidents(snapshot, plan);
        PlanConsequences(snapshot, plan);

        if (plan.IsEmpty)
        {
            Commit(snapshot, plan);
            return false;
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.ComponentStateChanges.AddRange(plan.Changes);
            db.Incidents.AddRange(plan.Opened);
            foreach (var (row, next) in plan.Updated.Values)
            {
                var stub = Stub(row);
                db.Incidents.Attach(stub);
                (stub.Key, stub.Kind, stub.DatacenterId, stub.ComponentKey, stub.Title, stub.Severity, stub.StartedAt, stub.CassandraNodes) =
                    (next.Key, next.Kind, next.DatacenterId, next.ComponentKey, next.Title, next.Severity, next.StartedAt, next.CassandraNodes);
            }
            foreach (var (row, parent) in plan.Absorbed)
            {
                var stub = Stub(row);
                db.Incidents.Attach(stub);
                stub.ParentId = parent;
                stub.EndedAt = Later(snapshot.AsOf, row.StartedAt);
            }
            foreach (var incident in plan.Closing)
            {
                var stub = Stub(incident);
                db.Incidents.Attach(stub);
                stub.EndedAt = Later(snapshot.AsOf, incident.StartedAt);
            }
            db.IncidentConsequences.AddRange(plan.NewConsequences.Where(c => c.IncidentId != 0));
            foreach (var (row, state, until, incidentId) in plan.ChangedConsequences)
            {
                var stub = Copy(row);
                db.IncidentConsequences.Attach(stub);
                (stub.State, stub.Until, stub.IncidentId) = (state, until, incidentId);
            }
            await db.SaveChangesAsync(cancellationToken);
        }

        Commit(snapshot, plan);
        return true;
    }

    /// <summary>Only now, with everything stored, does the in-memory picture move on.</summary>
    private void Commit(EstateSnapshot snapshot, Plan plan)
    {
        foreach (var (key, (state, at)) in plan.States)
        {
            _lastStates[key] = state;
            _lastAt[key] = at;
        }
        _held = plan.Held;
        foreach (var (dc, at) in plan.Noticed)
        {
            if (!_noticed.TryGetValue(dc, out var earlier) || at < earlier)
                _noticed[dc] = at;
        }
        MarkJudged(snapshot);

        foreach (var (row, next) in plan.Updated.Values)
        {
            _open.Remove(row.Key);
            (row.Key, row.Kind, row.DatacenterId, row.ComponentKey, row.Title, row.Severity, row.StartedAt, row.CassandraNodes) =
                (next.Key, next.Kind, next.DatacenterId, next.ComponentKey, next.Title, next.Severity, next.StartedAt, next.CassandraNodes);
        }
        foreach (var (row, _) in plan.Updated.Values)
            _open[row.Key] = row;
        foreach (var (row, parent) in plan.Absorbed)
        {
            _open.Remove(row.Key);
            row.ParentId = parent;
            row.EndedAt = Later(snapshot.AsOf, row.StartedAt);
            _consequences.Remove(row.Id);
            logger.LogInformation("Incidents: {Key} is part of incident {Parent}", row.Key, parent);
        }
        foreach (var incident in plan.Opened)
        {
            _open[incident.Key] = incident;
            foreach (var c in incident.Consequences)
                OpenConsequences(incident.Id)[$"{c.DatacenterId}/{c.ComponentId}"] = Copy(c);
            incident.Consequences = [];
            // The outage is named: what the datacenters' silence was first noticed at has been used.
            _noticed.Clear();
            logger.LogInformation("Incidents: opened {Key} ({Title}) at {StartedAt}", incident.Key, incident.Title, incident.StartedAt);
        }
        foreach (var c in plan.NewConsequences.Where(c => c.IncidentId != 0))
            OpenConsequences(c.IncidentId)[$"{c.DatacenterId}/{c.ComponentId}"] = Copy(c);
        foreach (var (row, state, until, incidentId) in plan.ChangedConsequences)
        {
            var key = $"{row.DatacenterId}/{row.ComponentId}";
            if (_consequences.TryGetValue(row.IncidentId, out var before))
                before.Remove(key);
            if (until is null)
                OpenConsequences(incidentId)[key] = Copy(row, state, incidentId);
        }
        foreach (var incident in plan.Closing)
        {
            _open.Remove(incident.Key);
            _consequences.Remove(incident.Id);
            incident.EndedAt = Later(snapshot.AsOf, incident.StartedAt);
            recovery.Track(incident);
            logger.LogInformation("Incidents: closed {Key} after {Duration}", incident.Key, incident.EndedAt - incident.StartedAt);
        }
        if (_open.Count == 0)
            _noticed.Clear();
    }

    /// <summary>The state changes: every subject whose state differs from the last stored, except a remote component that may be falling silent.</summary>
    private void PlanChanges(EstateSnapshot snapshot, Plan plan)
    {
        foreach (var subject in Subjects(snapshot))
        {
            var key = $"{subject.DatacenterId}/{subject.ComponentId}";
            _lastStates.TryGetValue(key, out var before);
            var held = _held.TryGetValue(key, out var h) ? h : ((DateTimeOffset At, DateTimeOffset Until)?)null;
            var heldAt = held?.At;
            if (subject.Component is { } component && before != "Down" && component.State == ComponentState.Down)
            {
                // Not Down for the record yet: the next snapshots tell whether it is down, or its datacenter cut off
                // (falling silent), or the Down is what its probes saw while it was cut off (coming back, not re-probed).
                // Either way for NoticeWindow at most: a Down that stays is recorded then, as of when it was seen (falling
                // silent: its own "since"; coming back: this snapshot, the first that shows it Down with its datacenter answering).
                var fallingSilent = OutageRules.MayBeFallingSilent(component, snapshot);
                var hold = fallingSilent || (before == "Unknown" && OutageRules.IsComingBack(component, snapshot))
                    ? held?.Until ?? time.GetUtcNow() + OutageRules.NoticeWindow
                    : (DateTimeOffset?)null;
                if (hold is { } until && until > time.GetUtcNow())
                {
                    plan.Held[key] = (heldAt ?? ChangedAt(fallingSilent ? subject.Since : default, snapshot.AsOf, _lastAt.GetValueOrDefault(key)), until);
                    continue;
                }
            }
            if (heldAt is { } noticed && subject.State == "Unknown")
            {
                // It was its datacenter falling silent: never Down. The outage starts when this was first seen.
                if (!plan.Noticed.TryGetValue(subject.DatacenterId, out var first) || noticed < first)
                    plan.Noticed[subject.DatacenterId] = noticed;
            }
            var judged = _judged.Contains(key) || subject.State != "Unknown";
            if (!judged || before == subject.State)
                continue;
            var lastAt = _lastAt.TryGetValue(key, out var l) ? l : (DateTimeOffset?)null;
            var at = heldAt is { } seen && subject.State == "Down" && (lastAt is null || seen > lastAt) ? seen : ChangedAt(subject.Since, snapshot.AsOf, lastAt);
            plan.States[key] = (subject.State, at);
            plan.Changes.Add(new ComponentStateChange
            {
                At = at,
                DatacenterId = subject.DatacenterId,
                ComponentId = subject.ComponentId,
                ComponentKind = subject.Kind,
                FromState = before ?? "None",
                ToState = subject.State,
                Reason = Truncate(subject.Reason, 2000),
            });
        }
    }

    /// <summary>Opens, renames, absorbs and closes incidents so that each outage is one incident.</summary>
    private void PlanIncidents(EstateSnapshot snapshot, Plan plan)
    {
        var scenarios = snapshot.Scenarios;
        var inForce = scenarios.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var taken = new HashSet<long>();
        foreach (var scenario in scenarios)
        {
            var nodes = IncidentRules.JoinNodes(IncidentRules.AffectedCassandraNodes(scenario, snapshot));
            if (_open.TryGetValue(scenario.Key, out var open))
            {
                // Continued: keep its start; note a worse severity and nodes learnt since.
                var severity = Worse(open.Severity, scenario.Severity.ToString());
                var merged = IncidentRules.JoinNodes(IncidentRules.SplitNodes(open.CassandraNodes).Concat(IncidentRules.SplitNodes(nodes)));
                if (severity != open.Severity || merged != open.CassandraNodes)
                    plan.Updated[open.Id] = (open, Copy(open, severity: severity, nodes: merged));
                continue;
            }
            if (IsHeld(scenario, snapshot, plan) || !IncidentRules.IsSettled(scenario, snapshot))
                continue;
            if (_open.Values.Any(o => OutageRules.Continues(o.Kind, o.DatacenterId, scenario)))
                continue;

            var start = FirstNoticed(scenario, plan);
            var parts = _open.Values
                .Where(o => !inForce.Contains(o.Key) && !taken.Contains(o.Id) && OutageRules.Absorbs(scenario, o.Kind, o.DatacenterId, o.StartedAt, snapshot))
                .OrderBy(o => o.StartedAt).ThenBy(o => o.Id).ToList();
            if (parts.Count > 0)
            {
                // The outage was noticed as its first part: that row becomes the outage, the others are parts of it.
                var head = parts[0];
                taken.UnionWith(parts.Select(p => p.Id));
                var severity = Worse(head.Severity, scenario.Severity.ToString());
                var merged = IncidentRules.JoinNodes(parts.SelectMany(p => IncidentRules.SplitNodes(p.CassandraNodes)).Concat(IncidentRules.SplitNodes(nodes)));
                plan.Updated[head.Id] = (head, new Incident
                {
                    Id = head.Id,
                    Key = Truncate(scenario.Key, 300)!,
                    Kind = scenario.Kind.ToString(),
                    DatacenterId = scenario.DatacenterId,
                    ComponentKey = scenario.ComponentKey,
                    Title = Truncate(scenario.Title, 500)!,
                    Severity = severity,
                    StartedAt = start < head.StartedAt ? start : head.StartedAt,
                    CassandraNodes = merged,
                });
                foreach (var part in parts.Skip(1))
                    plan.Absorbed.Add((part, head.Id));
                continue;
            }
            // Components an open outage took down, not back yet, are that outage's tail, not an outage of their own.
            var fallen = OutageRules.Consequences(scenario.Kind.ToString(), scenario.DatacenterId, scenario.ComponentKey, snapshot);
            if (fallen.Count > 0 && fallen.All(c => _consequences.Values.Any(open => open.ContainsKey(c.Key))))
                continue;
            plan.Opened.Add(new Incident
            {
                Key = Truncate(scenario.Key, 300)!,
                Kind = scenario.Kind.ToString(),
                DatacenterId = scenario.DatacenterId,
                ComponentKey = scenario.ComponentKey,
                Title = Truncate(scenario.Title, 500)!,
                Severity = scenario.Severity.ToString(),
                StartedAt = start,
                CassandraNodes = nodes,
            });
        }

        plan.Closing.AddRange(_open.Values.Where(i => !inForce.Contains(i.Key) && !taken.Contains(i.Id)
            && IncidentRules.IsJudged(i.Kind, i.DatacenterId, i.ComponentKey, snapshot)
            && !OutageRules.StillOn(i.Kind, i.DatacenterId, i.ComponentKey, snapshot)
            && !StillHoldsDown(i.Id, snapshot, plan)));
    }

    /// <summary>Whether a component the incident took down is still not back (Down, or Unknown): the outage lasts until all are.</summary>
    private bool StillHoldsDown(long incidentId, EstateSnapshot snapshot, Plan plan)
    {
        if (!_consequences.TryGetValue(incidentId, out var open) || open.Count == 0)
            return false;
        var states = snapshot.AllComponents().ToDictionary(c => c.Key, c => c.State, StringComparer.Ordinal);
        return open.Keys.Any(key => !plan.Held.ContainsKey(key) && states.TryGetValue(key, out var state) && state != ComponentState.Up);
    }

    /// <summary>A component (or quorum) scenario whose Down is held back: nothing opens for it yet.</summary>
    private static bool IsHeld(FailoverScenario scenario, EstateSnapshot snapshot, Plan plan) => scenario.Kind switch
    {
        FailoverScenarioKind.GatewayInstanceDown or FailoverScenarioKind.AdminNodeManagerDown or FailoverScenarioKind.CassandraNodeDown =>
            scenario.ComponentKey is { } key && plan.Held.ContainsKey(key),
        FailoverScenarioKind.CassandraQuorumLost =>
            snapshot.Find(scenario.DatacenterId ?? "")?.CassandraNodes.Any(n => plan.Held.ContainsKey(n.Key)) == true,
        _ => false,
    };

    /// <summary>When the console first noticed a datacenter or link outage: its first component falling silent, if that was seen within the window.</summary>
    private DateTimeOffset FirstNoticed(FailoverScenario scenario, Plan plan)
    {
        if (scenario.Kind is not (FailoverScenarioKind.DatacenterDown or FailoverScenarioKind.DatacenterUnreachable or FailoverScenarioKind.InterDatacenterLinkDown))
            return scenario.Since;
        var start = scenario.Since;
        foreach (var (dc, at) in _noticed.Concat(plan.Noticed))
        {
            var relevant = scenario.Kind == FailoverScenarioKind.InterDatacenterLinkDown
                || string.Equals(dc, scenario.DatacenterId, StringComparison.OrdinalIgnoreCase);
            if (relevant && at < start && at >= scenario.Since - OutageRules.NoticeWindow)
                start = at;
        }
        return start;
    }

    /// <summary>What each open outage holds down or cut off: new consequences, worse ones, and those over (back up, or the outage ended).</summary>
    private void PlanConsequences(EstateSnapshot snapshot, Plan plan)
    {
        var closed = plan.Closing.Select(i => i.Id).Concat(plan.Absorbed.Select(a => a.Row.Id)).ToHashSet();
        foreach (var (row, parent) in plan.Absorbed)
        {
            // A part's consequences move to the outage it belongs to.
            foreach (var c in _consequences.GetValueOrDefault(row.Id)?.Values ?? Enumerable.Empty<IncidentConsequence>())
                plan.ChangedConsequences.Add((c, c.State, null, parent));
        }
        foreach (var incident in plan.Closing)
        {
            foreach (var c in _consequences.GetValueOrDefault(incident.Id)?.Values ?? Enumerable.Empty<IncidentConsequence>())
                plan.ChangedConsequences.Add((c, c.State, Later(snapshot.AsOf, c.From), c.IncidentId));
        }

        var live = _open.Values.Where(i => !closed.Contains(i.Id))
            .Select(i => plan.Updated.TryGetValue(i.Id, out var u) ? u.Next : i)
            .Concat(plan.Opened);
        foreach (var incident in live)
        {
            var existing = incident.Id == 0 ? [] : _consequences.GetValueOrDefault(incident.Id) ?? [];
            var moved = plan.Absorbed.Where(a => a.ParentId == incident.Id)
                .SelectMany(a => _consequences.GetValueOrDefault(a.Row.Id)?.Values ?? Enumerable.Empty<IncidentConsequence>())
                .Select(c => $"{c.DatacenterId}/{c.ComponentId}").ToHashSet(StringComparer.Ordinal);
            var current = OutageRules.Consequences(incident.Kind, incident.DatacenterId, incident.ComponentKey, snapshot)
                .Where(c => !plan.Held.ContainsKey(c.Key)).ToDictionary(c => c.Key, StringComparer.Ordinal);
            foreach (var (key, c) in current)
            {
                if (existing.TryGetValue(key, out var stored))
                {
                    var worse = OutageRules.Worse(stored.State, c.State);
                    if (worse != stored.State)
                        plan.ChangedConsequences.Add((stored, worse, null, stored.IncidentId));
                    continue;
                }
                if (moved.Contains(key))
                    continue;
                var row = new IncidentConsequence
                {
                    IncidentId = incident.Id,
                    DatacenterId = c.DatacenterId,
                    ComponentId = c.ComponentId,
                    ComponentKind = c.ComponentKind,
                    State = c.State,
                    From = FellAt(key, snapshot, plan),
                };
                if (incident.Id == 0)
                    incident.Consequences.Add(row);
                else
                    plan.NewConsequences.Add(row);
            }
            foreach (var (key, stored) in existing)
            {
                if (!current.ContainsKey(key))
                    plan.ChangedConsequences.Add((stored, stored.State, Later(snapshot.AsOf, stored.From), stored.IncidentId));
            }
        }
    }

    /// <summary>When a component fell: its stored change to a state other than Up, else the snapshot's time.</summary>
    private DateTimeOffset FellAt(string key, EstateSnapshot snapshot, Plan plan)
    {
        if (plan.States.TryGetValue(key, out var now) && now.State != "Up")
            return now.At;
        return _lastStates.TryGetValue(key, out var state) && state != "Up" && _lastAt.TryGetValue(key, out var at) ? at : snapshot.AsOf;
    }

    /// <summary>A detached row to attach and change: carries only what identifies it and its required columns.</summary>
    private static Incident Stub(Incident i) => new() { Id = i.Id, Key = i.Key, Kind = i.Kind, Title = i.Title, Severity = i.Severity };

    private static Incident Copy(Incident i, string severity, string nodes) => new()
    {
        Id = i.Id, Key = i.Key, Kind = i.Kind, DatacenterId = i.DatacenterId, ComponentKey = i.ComponentKey, Title = i.Title,
        Severity = severity, StartedAt = i.StartedAt, CassandraNodes = nodes,
    };

    private static IncidentConsequence Copy(IncidentConsequence c, string? state = null, long? incidentId = null) => new()
    {
        Id = c.Id, IncidentId = incidentId ?? c.IncidentId, DatacenterId = c.DatacenterId, ComponentId = c.ComponentId,
        ComponentKind = c.ComponentKind, State = state ?? c.State, From = c.From, Until = c.Until,
    };
}
