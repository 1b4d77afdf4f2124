using System.ComponentModel.DataAnnotations;

namespace ApimConsole.Web.Alerts;

/// <summary>The <c>Alerts</c> section of appsettings.json. Channels, rules and silences live in the store (the Alerts page).</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    /// <summary>
    /// The console's address as the on-call engineer reaches it (<c>https://apim-console.example.com</c>): messages link to
    /// <c>{ConsoleUrl}/alerts?alert={id}</c>. Without it the link is the path alone.
    /// </summary>
    [Url]
    public string? ConsoleUrl { get; set; }

    /// <summary>How often the sender looks at the outbox when nothing woke it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The wait after the first failed attempt; each further failure doubles it up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts per message and channel before it is a dead letter.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How often deployments and repairs due are looked at, and reminders queued.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the guardrail must keep a kind at Warn or Block before it is an alert: the console's own start-up (Block
    /// while nothing is probed yet, a second or two) and a link flap shorter than this page nobody. The scenario behind
    /// a real outage is alerted at once on its own. Zero: at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan GuardrailHoldDown { get; set; } = TimeSpan.FromSeconds(10);

    public string Link(long alertId) => $"{(ConsoleUrl ?? "").TrimEnd('/')}/alerts?alert={alertId}";
}
