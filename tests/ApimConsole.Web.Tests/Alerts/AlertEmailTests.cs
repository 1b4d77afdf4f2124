using ApimConsole.Core.Alerts;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Alerts;
using MimeKit;

namespace ApimConsole.Web.Tests.Alerts;

/// <summary>Alert mail through a real SMTP server (aiosmtpd) that the test starts on 127.0.0.1.</summary>
public sealed class AlertEmailTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static ChannelInput Mail(int port, string password = SmtpSink.Password, SmtpSecurity security = SmtpSecurity.None) =>
        new("on-call mail", AlertChannelType.Email, "oncall@example.test, lead@example.test", SmtpHost: "127.0.0.1", SmtpPort: port,
            SmtpSecurity: security, SmtpUser: SmtpSink.User, SmtpPassword: password, SmtpFrom: "APIM console <console@example.test>", TimeoutSeconds: 10);

    private static AlertSignal Outage() => new(AlertKind.Scenario, "scenario:InterDatacenterLinkDown", AlertSeverity.Critical, null,
        "Inter-datacenter link down", "Both datacenters serve; Cassandra data diverges until the link returns.", DateTimeOffset.UtcNow);

    [Fact]
    public async Task OpenedAndResolved_ArriveAsMail_ThreadedUnderOneAlert()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Mail(smtp.Port));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        await rig.Store.ReconcileAsync(AlertKind.Scenario, [], CancellationToken.None);
        await Eventually.Until(() => smtp.Messages.Count == 2, Wait, "two messages at the SMTP server");

        var mails = smtp.Messages.Select(m => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(m)))).ToList();
        Assert.Equal("Test estate: [CRITICAL] Opened: Inter-datacenter link down", mails[0].Subject);
        Assert.StartsWith("Test estate: [CRITICAL] Resolved:", mails[1].Subject, StringComparison.Ordinal);
        Assert.Equal(["oncall@example.test", "lead@example.test"], mails[0].To.Mailboxes.Select(m => m.Address));
        Assert.Equal("console@example.test", mails[0].From.Mailboxes.Single().Address);
        Assert.Equal(mails[0].References.Single(), mails[1].References.Single());
        Assert.NotEqual(mails[0].Headers[WebhookSignature.IdempotencyHeader], mails[1].Headers[WebhookSignature.IdempotencyHeader]);
        Assert.Contains("https://console.test/alerts?alert=", mails[0].TextBody, StringComparison.Ordinal);
        Assert.All(await rig.DeliveriesAsync(), d => Assert.Equal(AlertDeliveryState.Sent, d.State));
    }

    [Fact]
    public async Task WrongPassword_IsRetriedWithTheServersAnswer_NotTheSecret()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Mail(smtp.Port, password: "not-the-password"));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        var delivery = await Eventually.Until(async () => (await rig.DeliveriesAsync()).Single(), d => d.Attempts >= 1, Wait, "the first attempt");
        Assert.Equal(AlertDeliveryState.Pending, delivery.State);
        Assert.Contains("535", delivery.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", delivery.LastError, StringComparison.Ordinal);
        Assert.Empty(smtp.Messages);
    }

    [Fact]
    public async Task StartTls_AgainstAServerWithoutIt_IsRefused_NeverSentInClear()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var rig = await AlertRig.CreateAsync();
        await rig.ChannelAsync(Mail(smtp.Port, security: SmtpSecurity.StartTls));
        await rig.StartSenderAsync();

        await rig.Store.ReconcileAsync(AlertKind.Scenario, [Outage()], CancellationToken.None);
        var delivery = await Eventually.Until(async () => (await rig.DeliveriesAsync()).Single(), d => d.Attempts >= 1, Wait, "the first attempt");
        Assert.Contains("STARTTLS", delivery.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(smtp.Messages);
    }
}
