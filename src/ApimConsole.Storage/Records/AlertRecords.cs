namespace ApimConsole.Storage.Records;

/// <summary>The kinds of channel an alert can be sent to.</summary>
public enum AlertChannelType
{
    Webhook,
    Slack,
    Teams,
    Email,
}

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain SMTP (a relay on a trusted network).</summary>
    None,

    /// <summary>Plain connection upgraded with STARTTLS, refused if the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
}

/// <summary>
/// Where alerts can go. Secrets (the webhook's signing secret, the SMTP password) are stored encrypted with the
/// console's data-protection keys and never shown again once saved.
/// </summary>
public sealed class AlertChannel
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public AlertChannelType Type { get; set; }
    /// <summary>The webhook URL; for email, the recipients, comma-separated.</summary>
    public required string Target { get; set; }
    public string? ProtectedSecret { get; set; }
    public string? SmtpHost { get; set; }
    public int? SmtpPort { get; set; }
    public SmtpSecurity SmtpSecurity { get; set; }
    public string? SmtpUser { get; set; }
    public string? ProtectedSmtpPassword { get; set; }
    public string? SmtpFrom { get; set; }
    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public int TimeoutSeconds { get; set; } = 10;
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Set when deleted: the delivery log keeps its name.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>A routing rule: alerts its matcher takes go to one channel.</summary>
public sealed class AlertRule
{
    public long Id { get; set; }
    public required string Matcher { get; set; }
    public long ChannelId { get; set; }
    /// <summary>Sent again this often while the alert is open and unacknowledged; null: once.</summary>
    public int? RepeatMinutes { get; set; }
}

/// <summary>A silence: alerts its matcher takes are not sent between <see cref="From"/> and <see cref="Until"/>.</summary>
public sealed class AlertSilence
{
    public long Id { get; set; }
    public required string Matcher { get; set; }
    public DateTimeOffset From { get; set; }
    public DateTimeOffset Until { get; set; }
    public required string Comment { get; set; }
    public required string CreatedBy { get; set; }
}

/// <summary>
/// One alert: an outage or an event, identified by <see cref="Key"/> (at most one open per key). Its messages are its
/// <see cref="AlertEvent"/>s.
/// </summary>
public sealed class Alert
{
    public long Id { get; set; }
    public required string Key { get; set; }
    public required string Kind { get; set; }
    public required string Severity { get; set; }
    public string? DatacenterId { get; set; }
    public required string Title { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public List<AlertEvent> Events { get; set; } = [];
}

/// <summary>One message about an alert (opened, updated, resolved, reminder); its <see cref="EventId"/> is the idempotency key.</summary>
public sealed class AlertEvent
{
    public long Id { get; set; }
    public long AlertId { get; set; }
    public Guid EventId { get; set; }
    public required string Phase { get; set; }
    public required string Severity { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset At { get; set; }
    public Alert? Alert { get; set; }
}

public enum AlertDeliveryState
{
    /// <summary>In the outbox: due at <see cref="AlertDelivery.NextAttemptAt"/>.</summary>
    Pending,
    Sent,
    /// <summary>The retries ran out: the dead letter, listed on the Alerts page.</summary>
    Dead,
    /// <summary>Not sent: a silence was in force.</summary>
    Silenced,
}

/// <summary>The outbox: one event to one channel, and what became of it.</summary>
public sealed class AlertDelivery
{
    public long Id { get; set; }
    public long AlertEventId { get; set; }
    public long ChannelId { get; set; }
    public AlertDeliveryState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public long? SilenceId { get; set; }
    public AlertEvent? Event { get; set; }
}
