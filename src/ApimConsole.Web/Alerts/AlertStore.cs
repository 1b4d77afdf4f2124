using ApimConsole.Core.Alerts;
using ApimConsole.Core.Live;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Web.Alerts;

/// <summary>
/// Raising an alert is writing it to the console's store: the alert, its event and one outbox row per routed channel,
/// in one transaction. Nothing is sent here; the <see cref="AlertSender"/> reads the outbox. So a raiser never waits
/// for a receiver, and a console killed right after raising has lost nothing: the next sender finds the rows.
/// </summary>
public sealed class AlertStore(IDbContextFactory<ConsoleDbContext> contexts, StoreWriter writer, AuditLog audit, TimeProvider time, AlertWake wake)
    : IUnacknowledgedAlerts
{
    // One raise at a time in this process: two reconciliations of one kind would plan from the same open alerts.
    private readonly SemaphoreSlim _raising = new(1, 1);
    private readonly LiveFeed<long> _changes = new(0);

    /// <summary>A version that moves whenever alerts or deliveries changed: the Overview, the wall and the Alerts page re-read on it.</summary>
    public ILiveFeed<long> Changes => _changes;

    /// <summary>Moves <see cref="Changes"/> (the sender calls it after it marked a delivery).</summary>
    public void Touch() => _changes.Update(v => v + 1);

    /// <summary>Kinds whose alerts are one-off events: acknowledging one also closes it.</summary>
    public static bool IsOneOff(AlertKind kind) => kind is AlertKind.Deployment or AlertKind.Repair or AlertKind.Test or AlertKind.Drift;

    /// <summary>
    /// Brings the open alerts of <paramref name="kind"/> in line with the conditions in force (see
    /// <see cref="AlertReconciliation"/>); returns how many alerts changed.
    /// </summary>
    public Task<int> ReconcileAsync(AlertKind kind, IReadOnlyList<AlertSignal> inForce, CancellationToken cancellationToken, Func<OpenAlert, bool>? mayResolve = null) =>
        RaiseAsync($"alerts of kind {kind}", async (db, now, ct) =>
        {
            var kindName = kind.ToString();
            var open = await db.Alerts.Where(a => a.Kind == kindName && a.ResolvedAt == null).ToListAsync(ct);
            var plan = AlertReconciliation.Plan(kind, open.Select(a => new OpenAlert(a.Key, kind, Enum.Parse<AlertSeverity>(a.Severity), a.Text, a.DatacenterId)).ToList(), inForce, now, mayResolve);
            // An open alert whose words changed at the same severity (the guardrail blocking for a new reason) shows
            // them from now on, quietly: no event, nothing sent. Its events keep what was sent when.
            var refreshed = 0;
            foreach (var signal in inForce)
            {
                if (open.FirstOrDefault(a => a.Key == signal.Key) is not { } same || plan.Any(c => c.Signal.Key == signal.Key))
                    continue;
                var (title, text) = (Bound(signal.Title, 500), Bound(signal.Text, 4000));
                if (same.Title == title && same.Text == text)
                    continue;
                (same.Title, same.Text) = (title, text);
                refreshed++;
            }
            if (plan.Count == 0)
                return refreshed;
            var routing = await AlertRoutingTables.LoadAsync(db, ct);
            foreach (var change in plan)
            {
                var existing = open.FirstOrDefault(a => a.Key == change.Signal.Key);
                Apply(db, existing, change, routing, now);
            }
            return plan.Count + refreshed;
        }, cancellationToken);

    /// <summary>
    /// Raises a one-off alert unless one with the same key was ever raised (a repair that fell due, a deployment's
    /// outcome): a raiser that sees the same fact again, or again after a restart, sends nothing twice.
    /// </summary>
    public Task<bool> RaiseOnceAsync(AlertSignal signal, CancellationToken cancellationToken) =>
        RaiseAsync($"alert {signal.Key}", async (db, now, ct) =>
        {
            if (await db.Alerts.AnyAsync(a => a.Key == signal.Key, ct))
                return false;
            Apply(db, null, new AlertChange(AlertPhase.Opened, signal), await AlertRoutingTables.LoadAsync(db, ct), now);
            return true;
        }, cancellationToken);

    /// <summary>
    /// "Send a test": a test alert, closed at once, whose one event goes to <paramref name="channelId"/> only, whatever
    /// the rules and silences say; audited. Its delivery shows in the log like any other.
    /// </summary>
    public async Task<long> SendTestAsync(long channelId, string actor, CancellationToken cancellationToken)
    {
        // Checked before the write: the store writer retries whatever a write throws.
        string name;
        await using (var read = await contexts.CreateDbContextAsync(cancellationToken))
        {
            name = await read.AlertChannels.Where(c => c.Id == channelId && c.DeletedAt == null).Select(c => c.Name).SingleOrDefaultAsync(cancellationToken)
                ?? throw new AlertSettingsException($"There is no channel {channelId}.", notFound: true);
        }
        var id = await audit.WriteAsync($"test message to channel {channelId}", async (db, ct) =>
        {
            var now = time.GetUtcNow();
            var alert = new Alert
            {
                Key = $"test:{channelId}:{Guid.NewGuid():N}", Kind = nameof(AlertKind.Test), Severity = nameof(AlertSeverity.Info), Title = $"Test message to {name}",
                Text = $"A test message sent by {actor} from the Alerts page. Nothing is wrong.", OpenedAt = now, ResolvedAt = now,
                AcknowledgedAt = now, AcknowledgedBy = actor,
            };
            db.Alerts.Add(alert);
            var evt = NewEvent(alert, AlertPhase.Opened, alert.Severity, alert.Text, now);
            db.AlertDeliveries.Add(new AlertDelivery { Event = evt, ChannelId = channelId, State = AlertDeliveryState.Pending, CreatedAt = now, NextAttemptAt = now });
            audit.Add(db, actor, "alerts.channel.test", $"alerts/channel/{name}", null);
            await db.SaveChangesAsync(ct);
            return alert.Id;
        }, cancellationToken);
        wake.Wake();
        Touch();
        return id;
    }

    /// <summary>Acknowledges an open alert (a one-off one is closed with it); audited in the same transaction.</summary>
    public async Task<AlertView> AcknowledgeAsync(long alertId, string actor, CancellationToken cancellationToken)
    {
        var before = (await ListAsync(new AlertQuery(Id: alertId), cancellationToken)).SingleOrDefault()
            ?? throw new AlertSettingsException($"There is no alert {alertId}.", notFound: true);
        if (before.Alert.AcknowledgedAt is { } at)
            throw new AlertSettingsException($"Alert {alertId} was already acknowledged by {before.Alert.AcknowledgedBy} at {at:u}.");
        await audit.WriteAsync($"acknowledge alert {alertId}", async (db, ct) =>
        {
            var alert = await db.Alerts.SingleAsync(a => a.Id == alertId, ct);
            if (alert.AcknowledgedAt is not null)
                return false;
            var now = time.GetUtcNow();
            alert.AcknowledgedAt = now;
            alert.AcknowledgedBy = actor;
            if (IsOneOff(Enum.Parse<AlertKind>(alert.Kind)))
                alert.ResolvedAt ??= now;
            audit.Add(db, actor, "alerts.acknowledge", $"alerts/{alert.Key}", $"#{alert.Id} {alert.Title}");
            return true;
        }, cancellationToken);
        Touch();
        return (await ListAsync(new AlertQuery(Id: alertId), cancellationToken)).Single();
    }

    /// <summary>
    /// Adds a reminder to every open, unacknowledged alert whose last message to a channel is older than the repeat
    /// interval of a rule that routes it there. Returns how many reminders were queued.
    /// </summary>
    public Task<int> RemindAsync(CancellationToken cancellationToken) =>
        RaiseAsync("alert reminders", async (db, now, ct) =>
        {
            var routing = await AlertRoutingTables.LoadAsync(db, ct);
            if (!routing.Routes.Any(r => r.RepeatEvery is not null))
                return 0;
            var open = await db.Alerts.Where(a => a.ResolvedAt == null && a.AcknowledgedAt == null).ToListAsync(ct);
            var queued = 0;
            foreach (var alert in open)
            {
                var kind = Enum.Parse<AlertKind>(alert.Kind);
                var severity = Enum.Parse<AlertSeverity>(alert.Severity);
                foreach (var channelId in routing.Routes.Select(r => r.ChannelId).Distinct())
                {
                    if (AlertRouting.RepeatEvery(kind, severity, alert.DatacenterId, alert.Key, channelId, routing.Routes) is not { } every)
                        continue;
                    var last = await db.AlertDeliveries.Where(d => d.ChannelId == channelId && d.Event!.AlertId == alert.Id)
                        .OrderByDescending(d => d.Id).Select(d => (DateTimeOffset?)d.CreatedAt).FirstOrDefaultAsync(ct);
                    if (last is { } at && now - at < every)
                        continue;
                    var signal = new AlertSignal(kind, alert.Key, severity, alert.DatacenterId, alert.Title, alert.Text, now);
                    var evt = NewEvent(alert, AlertPhase.Reminder, alert.Severity, alert.Text, now);
                    var silence = AlertRouting.Route(signal, [], routing.Mutes).SilencedBy;
                    db.AlertDeliveries.Add(Delivery(evt, channelId, silence, now));
                    queued++;
                }
            }
            return queued;
        }, cancellationToken);

    /// <summary>Alerts with their events and deliveries, newest first.</summary>
    public async Task<IReadOnlyList<AlertView>> ListAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        IQueryable<Alert> alerts = db.Alerts.Include(a => a.Events);
        if (query.Id is { } id)
            alerts = alerts.Where(a => a.Id == id);
        if (query.UnacknowledgedOnly)
            alerts = alerts.Where(a => a.AcknowledgedAt == null);
        var rows = await alerts.OrderByDescending(a => a.OpenedAt).ThenByDescending(a => a.Id).Take(query.Count).AsNoTracking().ToListAsync(cancellationToken);
        var ids = rows.Select(a => a.Id).ToList();
        var deliveries = await db.AlertDeliveries.Where(d => ids.Contains(d.Event!.AlertId)).Select(d => new { d.Event!.AlertId, Delivery = d }).AsNoTracking().ToListAsync(cancellationToken);
        var names = await ChannelNamesAsync(db, cancellationToken);
        return rows.Select(a => new AlertView(a, a.Events.OrderBy(e => e.Id).ToList(),
            deliveries.Where(d => d.AlertId == a.Id).Select(d => DeliveryView.Of(d.Delivery, names)).OrderBy(d => d.Id).ToList())).ToList();
    }

    /// <summary>The open, unacknowledged alerts: what the Overview and the wall show.</summary>
    public async Task<IReadOnlyList<Alert>> UnacknowledgedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Alerts.Where(a => a.AcknowledgedAt == null && a.ResolvedAt == null).OrderByDescending(a => a.OpenedAt).Take(100).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>The delivery log, newest first; <paramref name="deadOnly"/> for the dead letters.</summary>
    public async Task<IReadOnlyList<DeliveryView>> DeliveriesAsync(int count, bool deadOnly, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        IQueryable<AlertDelivery> rows = db.AlertDeliveries.Include(d => d.Event).ThenInclude(e => e!.Alert);
        if (deadOnly)
            rows = rows.Where(d => d.State == AlertDeliveryState.Dead);
        var list = await rows.OrderByDescending(d => d.Id).Take(count).AsNoTracking().ToListAsync(cancellationToken);
        var names = await ChannelNamesAsync(db, cancellationToken);
        return list.Select(d => DeliveryView.Of(d, names)).ToList();
    }

    /// <summary>How many deliveries wait in the outbox.</summary>
    public async Task<int> PendingCountAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AlertDeliveries.CountAsync(d => d.State == AlertDeliveryState.Pending, cancellationToken);
    }

    private static async Task<Dictionary<long, string>> ChannelNamesAsync(ConsoleDbContext db, CancellationToken cancellationToken) =>
        await db.AlertChannels.ToDictionaryAsync(c => c.Id, c => c.DeletedAt == null ? c.Name : c.Name + " (deleted)", cancellationToken);

    private async Task<T> RaiseAsync<T>(string what, Func<ConsoleDbContext, DateTimeOffset, CancellationToken, Task<T>> unit, CancellationToken cancellationToken)
    {
        await _raising.WaitAsync(cancellationToken);
        try
        {
            var result = await writer.WriteAsync(what, async ct =>
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var value = await unit(db, time.GetUtcNow(), ct);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                return value;
            }, cancellationToken);
            wake.Wake();
            Touch();
            return result;
        }
        finally
        {
            _raising.Release();
        }
    }

    private static void Apply(ConsoleDbContext db, Alert? alert, AlertChange change, AlertRoutingTables routing, DateTimeOffset now)
    {
        var signal = change.Signal;
        switch (change.Phase)
        {
            case AlertPhase.Opened:
                alert = new Alert
                {
                    Key = signal.Key, Kind = signal.Kind.ToString(), Severity = signal.Severity.ToString(), DatacenterId = signal.DatacenterId,
                    Title = Bound(signal.Title, 500), Text = Bound(signal.Text, 4000), OpenedAt = signal.At,
                };
                db.Alerts.Add(alert);
                break;
            case AlertPhase.Updated:
                alert!.Severity = signal.Severity.ToString();
                alert.Text = Bound(signal.Text, 4000);
                break;
            case AlertPhase.Resolved:
                alert!.ResolvedAt = now;
                break;
        }
        var evt = NewEvent(alert!, change.Phase, alert!.Severity, change.Phase == AlertPhase.Resolved ? "Ended." : alert.Text, change.Phase == AlertPhase.Resolved ? now : signal.At);
        var routed = AlertRouting.Route(new AlertSignal(signal.Kind, alert.Key, Enum.Parse<AlertSeverity>(alert.Severity), alert.DatacenterId, alert.Title, alert.Text, now),
            routing.Routes, routing.Mutes);
        foreach (var channelId in routed.ChannelIds)
            db.AlertDeliveries.Add(Delivery(evt, channelId, routed.SilencedBy, now));
    }

    private static AlertEvent NewEvent(Alert alert, AlertPhase phase, string severity, string text, DateTimeOffset at)
    {
        var evt = new AlertEvent { Alert = alert, EventId = Guid.NewGuid(), Phase = phase.ToString(), Severity = severity, Text = Bound(text, 4000), At = at };
        alert.Events.Add(evt);
        return evt;
    }

    private static AlertDelivery Delivery(AlertEvent evt, long channelId, long? silencedBy, DateTimeOffset now) => new()
    {
        Event = evt,
        ChannelId = channelId,
        State = silencedBy is null ? AlertDeliveryState.Pending : AlertDeliveryState.Silenced,
        SilenceId = silencedBy,
        CreatedAt = now,
        NextAttemptAt = now,
    };

    private static string Bound(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>The rules and the silences in force, read in the raising transaction.</summary>
internal sealed record AlertRoutingTables(IReadOnlyList<AlertRoute> Routes, IReadOnlyList<AlertMute> Mutes)
{
    public static async Task<AlertRoutingTables> LoadAsync(ConsoleDbContext db, CancellationToken cancellationToken)
    {
        var live = db.AlertChannels.Where(c => c.DeletedAt == null).Select(c => c.Id);
        var rules = await db.AlertRules.Where(r => live.Contains(r.ChannelId)).AsNoTracking().ToListAsync(cancellationToken);
        var silences = await db.AlertSilences.AsNoTracking().ToListAsync(cancellationToken);
        // Stored matchers were checked when saved; one that no longer reads (a field since removed) routes nothing.
        var routes = rules.Select(r => AlertMatcher.TryParse(r.Matcher, out var m, out _)
                ? new AlertRoute(r.Id, m!, r.ChannelId, r.RepeatMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null) : null)
            .OfType<AlertRoute>().ToList();
        var mutes = silences.Select(s => AlertMatcher.TryParse(s.Matcher, out var m, out _) ? new AlertMute(s.Id, m!, s.From, s.Until) : null)
            .OfType<AlertMute>().ToList();
        return new AlertRoutingTables(routes, mutes);
    }
}

/// <summary>What <see cref="AlertStore.ListAsync"/> returns.</summary>
public sealed record AlertQuery(long? Id = null, bool UnacknowledgedOnly = false, int Count = 100);

public sealed record AlertView(Alert Alert, IReadOnlyList<AlertEvent> Events, IReadOnlyList<DeliveryView> Deliveries);

public sealed record DeliveryView(long Id, long AlertId, string AlertKey, string Phase, Guid EventId, long ChannelId, string Channel, AlertDeliveryState State, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? SentAt, string? LastError)
{
    public static DeliveryView Of(AlertDelivery d, IReadOnlyDictionary<long, string> channelNames) =>
        new(d.Id, d.Event?.AlertId ?? 0, d.Event?.Alert?.Key ?? "", d.Event?.Phase ?? "", d.Event?.EventId ?? Guid.Empty, d.ChannelId,
            channelNames.TryGetValue(d.ChannelId, out var name) ? name : $"channel {d.ChannelId}", d.State, d.Attempts, d.CreatedAt, d.NextAttemptAt, d.SentAt, d.LastError);
}

/// <summary>Wakes the <see cref="AlertSender"/> when something was put in the outbox, so it does not wait for its next poll.</summary>
public sealed class AlertWake
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Wake() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Completes at the next <see cref="Wake"/> after this call (or at once, if one came since the last <see cref="Reset"/>).</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Arms a new wait when the last one has fired.</summary>
    public void Reset()
    {
        var current = Volatile.Read(ref _next);
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
    }
}
