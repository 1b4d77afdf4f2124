using System.Text.Json;
using ApimConsole.Core.Alerts;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Alerts;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>The outbox and its sender against a real HTTP receiver: schema, signature, idempotency, retries, dead letters, crashes, hangs.</summary>
public sealed class AlertDeliveryTests
{
    private const string Secret = "webhook-secret-7f3a";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    private static AlertSignal Outage(string key = "scenario:DatacenterDown:dc2", AlertSeverity severity = AlertSeverity.Critical) =>
        new(AlertKind.Scenario, key, severity, "dc2", "Datacenter dc2 down", "All traffic goes to dc1.", T0);

    private static ChannelInput Webhook(string url, int timeoutSeconds = 10) => new("on-call hook", AlertChannelType.Webhook, url, Secret, TimeoutSeconds: timeoutSeconds);

    /// <summary>Moves the fake clock a step at a time until <paramref name="condition"/> holds (the sender's waits are on that clock).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<Task<bool>> condition, string because, TimeSpan? step = null)
    {
        await Eventually.Until(async () =>
        {
            if (await condition())
                return true;
            time.Advance(step ?? TimeSpan.FromMilliseconds(500));
            return await condition();
        }, Wait, because, every: TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Opened_ThenResolved_IsOneAlertWithTwoSignedMessages_InTheDocumentedSchema()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Webhook(receiver.Url));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        // The same condition again (another snapshot, a restarted console): no new message.
        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        await rig.Store.ReconcileAsync(AlertKind.Scenario, [], CancellationToken.None);
        await Eventually.Until(() => receiver.Received.Count >= 2, Wait, "the opened and the resolved message");

        var messages = receiver.Received;
        Assert.Equal(2, messages.Count);
        var bodies = messages.Select(m => JsonDocument.Parse(m.Body).RootElement).ToList();
        Assert.Equal(["opened", "resolved"], bodies.Select(b => b.GetProperty("phase").GetString()));
        Assert.All(bodies, b => Assert.Equal("apimconsole.alert/v1", b.GetProperty("schema").GetString()));
        Assert.Single(bodies.Select(b => b.GetProperty("alert").GetProperty("id").GetInt64()).Distinct());
        var alert = bodies[0].GetProperty("alert");
        Assert.Equal(("scenario:DatacenterDown:dc2", "critical", "dc2"), (alert.GetProperty("key").GetString(), alert.GetProperty("severity").GetString(), alert.GetProperty("datacenter").GetString()));
        Assert.Equal($"https://console.test/alerts?alert={alert.GetProperty("id").GetInt64()}", alert.GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.String, bodies[1].GetProperty("alert").GetProperty("resolvedAt").ValueKind);
        foreach (var (message, body) in messages.Zip(bodies))
        {
            Assert.True(message.SignedWith(Secret), $"signature {message.Header(WebhookSignature.SignatureHeader)} over {message.Body}");
            Assert.False(message.SignedWith("another secret"));
            Assert.Equal(body.GetProperty("eventId").GetString(), message.Header(WebhookSignature.IdempotencyHeader));
            Assert.StartsWith("application/json", message.Header("Content-Type"), StringComparison.Ordinal);
        }
        Assert.NotEqual(messages[0].Header(WebhookSignature.IdempotencyHeader), messages[1].Header(WebhookSignature.IdempotencyHeader));
        await Eventually.Until(async () => (await rig.DeliveriesAsync()).All(d => d.State == AlertDeliveryState.Sent), Wait, "both marked sent");
    }

    [Fact]
    public async Task FailedAttempts_AreRetriedWithDoublingDelays_UnderTheSameIdempotencyKey()
    {
        var time = new FakeTimeProvider(T0);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Clock = time;
        receiver.Answer = n => n <= 2 ? 500 : 200;
        await using var rig = await AlertRig.CreateAsync(time);
        await rig.ChannelAsync(Webhook(receiver.Url));
        await rig.StartSenderAsync();

        await rig.Store.RaiseOnceAsync(Outage("repair:x:2h") with { Kind = AlertKind.Repair }, CancellationToken.None);
        await AdvanceUntil(time, async () => (await rig.DeliveriesAsync()).Single().State == AlertDeliveryState.Sent, "delivered on the third attempt");

        var attempts = receiver.Received;
        Assert.Equal([500, 500, 200], attempts.Select(a => a.AnsweredStatus));
        Assert.Single(attempts.Select(a => a.Header(WebhookSignature.IdempotencyHeader)).Distinct());
        // 5 s after the first failure, 10 s after the second (the clock moves in 0.5 s steps, so up to one step late).
        var first = attempts[1].At - attempts[0].At;
        var second = attempts[2].At - attempts[1].At;
        Assert.InRange(first, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.5));
        Assert.InRange(second, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.5));
        var delivery = (await rig.DeliveriesAsync()).Single();
        Assert.Equal((3, (string?)null), (delivery.Attempts, delivery.LastError));
    }

    [Fact]
    public async Task RetriesRunOut_IsADeadLetter_WithTheReason()
    {
        var time = new FakeTimeProvider(T0);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 503;
        await using var rig = await AlertRig.CreateAsync(time);
        await rig.ChannelAsync(Webhook(receiver.Url));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        // While it is retried, the depth /metrics reads counts it pending, since it was raised.
        await AdvanceUntil(time, () => Task.FromResult(rig.Sender.Read() is { Pending: 1, DeadLettered: 0, OldestPendingSince: not null }), "the outbox counted with one pending", TimeSpan.FromSeconds(2));
        await AdvanceUntil(time, async () => (await rig.DeliveriesAsync()).Single().State == AlertDeliveryState.Dead, "a dead letter", TimeSpan.FromSeconds(2));
        await AdvanceUntil(time, () => Task.FromResult(rig.Sender.Read() is { Pending: 0, DeadLettered: 1, OldestPendingSince: null }), "the outbox counted with the dead letter", TimeSpan.FromSeconds(2));

        Assert.Equal(4, receiver.Received.Count);
        var dead = Assert.Single(await rig.DeliveriesAsync(deadOnly: true));
        Assert.Equal(4, dead.Attempts);
        Assert.Contains("answered 503", dead.LastError, StringComparison.Ordinal);
        Assert.Equal("scenario:DatacenterDown:dc2", dead.AlertKey);
        // Nothing more is tried.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(4, receiver.Received.Count);
    }

    [Fact]
    public async Task RaisedWithNoSenderRunning_IsDeliveredByTheNextConsoleOnTheSameStore()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var root = Path.Combine(Path.GetTempPath(), "apimconsole-alerts-" + Guid.NewGuid().ToString("N"));
        try
        {
            // The console that raises dies before it sends anything: its sender never ran.
            await using (var dying = await AlertRig.CreateAsync(root: root))
            {
                await dying.ChannelAsync(Webhook(receiver.Url));
                await dying.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
                Assert.Equal(AlertDeliveryState.Pending, (await dying.DeliveriesAsync()).Single().State);
            }
            Assert.Empty(receiver.Received);

            await using var next = await AlertRig.CreateAsync(root: root);
            await next.StartSenderAsync();
            await Eventually.Until(async () => (await next.DeliveriesAsync()).Single().State == AlertDeliveryState.Sent, Wait, "the restarted console's sender delivers it");
            var message = Assert.Single(receiver.Received);
            Assert.True(message.SignedWith(Secret), "signed with the secret the first console stored");
            Assert.Equal("opened", JsonDocument.Parse(message.Body).RootElement.GetProperty("phase").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task HangingReceiver_DelaysNobodyElse()
    {
        await using var hanging = await WebhookReceiver.StartAsync();
        hanging.Answer = _ => null;
        await using var prompt = await WebhookReceiver.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Webhook(hanging.Url, timeoutSeconds: 30) with { Name = "hangs" });
        await rig.ChannelAsync(Webhook(prompt.Url) with { Name = "prompt" });
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        await Eventually.Until(() => prompt.Received.Count == 1, Wait, "the prompt receiver gets the first alert");
        // A later alert too, while the first message still hangs at the other receiver.
        await rig.Store.ReconcileAsync(AlertKind.Guardrail, [Outage("guardrail:GatewayConfiguration") with { Kind = AlertKind.Guardrail }], CancellationToken.None);
        await Eventually.Until(() => prompt.Received.Count == 2, Wait, "the prompt receiver gets the second alert");

        Assert.Equal(1, hanging.Open);
        Assert.Single(hanging.Received);
        // The receiver has both before the sender marks the second one sent: wait for the mark.
        var deliveries = await Eventually.Until(() => rig.DeliveriesAsync(), d => d.Count(x => x.Channel == "prompt" && x.State == AlertDeliveryState.Sent) == 2, Wait,
            "both prompt deliveries marked sent");
        Assert.All(deliveries.Where(d => d.Channel == "hangs"), d => Assert.Equal(AlertDeliveryState.Pending, d.State));
        Assert.Equal(1, hanging.Open);
    }

    [Fact]
    public async Task AnOpenAlertsNewWords_AreShown_WithoutSendingItAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Webhook(receiver.Url));
        await rig.StartSenderAsync();
        AlertSignal Block(string reason) => new(AlertKind.Guardrail, "guardrail:GatewayConfiguration", AlertSeverity.Critical, null,
            "Guardrail: Block GatewayConfiguration deployments", reason, T0);

        await rig.Store.ReconcileAsync(AlertKind.Guardrail, [Block("Cassandra schema agreement unknown.")], CancellationToken.None);
        // Still Block, for another reason: the alert says so, and nobody is paged again.
        Assert.Equal(1, await rig.Store.ReconcileAsync(AlertKind.Guardrail, [Block("Amsterdam (dc2) down since 14:02:00 UTC.")], CancellationToken.None));
        Assert.Equal(0, await rig.Store.ReconcileAsync(AlertKind.Guardrail, [Block("Amsterdam (dc2) down since 14:02:00 UTC.")], CancellationToken.None));
        var shown = Assert.Single(await rig.Store.ListAsync(new AlertQuery(), CancellationToken.None));
        Assert.Equal("Amsterdam (dc2) down since 14:02:00 UTC.", shown.Alert.Text);
        Assert.Equal([("Opened", "Cassandra schema agreement unknown.")], shown.Events.Select(e => (e.Phase, e.Text)));

        await rig.Store.ReconcileAsync(AlertKind.Guardrail, [], CancellationToken.None);
        await Eventually.Until(() => receiver.Received.Count >= 2, Wait, "the opened and the resolved message");
        var phases = receiver.Received.Select(m => JsonDocument.Parse(m.Body).RootElement.GetProperty("phase").GetString()).ToList();
        Assert.Equal(["opened", "resolved"], phases);
    }

    [Fact]
    public async Task HungAttempt_EndsAtTheChannelsTimeout_AndIsRetried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => n == 1 ? null : 200;
        await using var rig = await AlertRig.CreateAsync(settings: new Dictionary<string, string?>
        {
            ["Alerts:PollInterval"] = "00:00:00.100",
            ["Alerts:FirstRetryDelay"] = "00:00:00.200",
        });
        await rig.ChannelAsync(Webhook(receiver.Url, timeoutSeconds: 1));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        await Eventually.Until(async () => (await rig.DeliveriesAsync()).Single().State == AlertDeliveryState.Sent, Wait, "sent on the second attempt");
        var delivery = (await rig.DeliveriesAsync()).Single();
        Assert.Equal(2, delivery.Attempts);
        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(0, receiver.Open);
    }

    [Fact]
    public async Task Silenced_IsStoredAndListed_ButNotSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Webhook(receiver.Url));
        var now = DateTimeOffset.UtcNow;
        await rig.Settings.AddSilenceAsync("dc=dc2", now.AddMinutes(-1), now.AddHours(1), "planned maintenance of dc2", "tester", CancellationToken.None);
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage() with { At = now }, Outage("scenario:GatewayInstanceDown:dc1/instance-1") with { DatacenterId = "dc1", At = now }],
            CancellationToken.None);
        await Eventually.Until(() => receiver.Received.Count == 1, Wait, "the dc1 alert");
        var deliveries = await rig.DeliveriesAsync();
        Assert.Equal(AlertDeliveryState.Silenced, deliveries.Single(d => d.AlertKey == "scenario:DatacenterDown:dc2").State);
        Assert.Contains("dc1/instance-1", receiver.Received.Single().Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reminder_IsSentWhileUnacknowledged_AndStopsOnAcknowledgement()
    {
        var time = new FakeTimeProvider(T0);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var rig = await AlertRig.CreateAsync(time);
        var channel = await rig.Settings.SaveChannelAsync(null, Webhook(receiver.Url), "tester", CancellationToken.None);
        await rig.Settings.SaveRuleAsync(null, "severity>=critical", channel.Id, 30, "tester", CancellationToken.None);
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        await Eventually.Until(() => receiver.Received.Count == 1, Wait, "the first message");
        time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await rig.Store.RemindAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await rig.Store.RemindAsync(CancellationToken.None));
        await AdvanceUntil(time, () => Task.FromResult(receiver.Received.Count == 2), "the reminder");
        Assert.Equal("reminder", JsonDocument.Parse(receiver.Received[1].Body).RootElement.GetProperty("phase").GetString());

        var alertId = (await rig.Store.ListAsync(new AlertQuery(), CancellationToken.None)).Single().Alert.Id;
        await rig.Store.AcknowledgeAsync(alertId, "oncall", CancellationToken.None);
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await rig.Store.RemindAsync(CancellationToken.None));
    }
}
