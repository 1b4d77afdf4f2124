using ApimConsole.Core.Alerts;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace ApimConsole.Web.Alerts;

/// <summary>Refused settings or an unknown id: the message says what is wrong; nothing was changed.</summary>
public sealed class AlertSettingsException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>A channel as typed on the page or posted to the API. A null or empty secret or password keeps the stored one.</summary>
public sealed record ChannelInput(
    string? Name,
    AlertChannelType Type,
    string? Target,
    string? Secret = null,
    string? SmtpHost = null,
    int? SmtpPort = null,
    SmtpSecurity SmtpSecurity = SmtpSecurity.StartTls,
    string? SmtpUser = null,
    string? SmtpPassword = null,
    string? SmtpFrom = null,
    int TimeoutSeconds = 10,
    bool ClearSecrets = false);

/// <summary>A channel as the page and the API show it: secrets only as "set" or not, Slack and Teams URLs without their path.</summary>
public sealed record ChannelView(long Id, string Name, AlertChannelType Type, string Target, bool HasSecret, string? SmtpHost, int? SmtpPort,
    SmtpSecurity SmtpSecurity, string? SmtpUser, bool HasSmtpPassword, string? SmtpFrom, int TimeoutSeconds)
{
    public static ChannelView Of(AlertChannel c) => new(c.Id, c.Name, c.Type, AlertChannelText.Shown(c.Type, c.Target), c.ProtectedSecret is not null,
        c.SmtpHost, c.SmtpPort, c.SmtpSecurity, c.SmtpUser, c.ProtectedSmtpPassword is not null, c.SmtpFrom, c.TimeoutSeconds);
}

public static class AlertChannelText
{
    /// <summary>
    /// A channel's target as it may be shown and logged. A Slack or Teams webhook URL is itself the credential, so only
    /// its scheme and host are; a generic webhook's URL loses its query (where tokens tend to go).
    /// </summary>
    public static string Shown(AlertChannelType type, string target)
    {
        if (type == AlertChannelType.Email || !Uri.TryCreate(target, UriKind.Absolute, out var uri))
            return target;
        var root = uri.GetLeftPart(UriPartial.Authority);
        return type == AlertChannelType.Webhook ? root + uri.AbsolutePath : root + "/…";
    }
}

/// <summary>
/// The Alerts page's settings: channels, rules and silences. Every change is checked first (a bad one changes nothing
/// and says why) and stored with its audit entry in one transaction.
/// </summary>
public sealed class AlertSettings(IDbContextFactory<ConsoleDbContext> contexts, AuditLog audit, TimeProvider time, IDataProtectionProvider protection)
{
    public const string ProtectorPurpose = "ApimConsole.Alerts.ChannelSecrets";
    public static readonly TimeSpan LongestSilence = TimeSpan.FromDays(90);
    public const int LongestRepeatMinutes = 7 * 24 * 60;

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectorPurpose);

    public async Task<IReadOnlyList<ChannelView>> ChannelsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.AlertChannels.Where(c => c.DeletedAt == null).OrderBy(c => c.Name).AsNoTracking().ToListAsync(cancellationToken)).Select(ChannelView.Of).ToList();
    }

    public async Task<IReadOnlyList<AlertRule>> RulesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AlertRules.OrderBy(r => r.Id).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>Silences in force or still to come, and those ended in the last day.</summary>
    public async Task<IReadOnlyList<AlertSilence>> SilencesAsync(CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow().AddDays(-1);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AlertSilences.Where(s => s.Until > since).OrderBy(s => s.Until).AsNoTracking().ToListAsync(cancellationToken);
    }

    public async Task<ChannelView> SaveChannelAsync(long? id, ChannelInput input, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AlertChannel? existing = null;
        if (id is { } channelId)
            existing = await FindChannelAsync(channelId, cancellationToken);
        // An edit that leaves a webhook URL empty keeps the stored one: the page never shows it whole.
        if (existing is not null && input.Type == existing.Type && string.IsNullOrWhiteSpace(input.Target))
            input = input with { Target = existing.Target };
        var checkedInput = Check(input);
        if (existing is null && checkedInput.Type == AlertChannelType.Email && checkedInput.SmtpUser is not null && string.IsNullOrEmpty(checkedInput.SmtpPassword))
            throw new AlertSettingsException("An SMTP user needs its password.");
        var saved = await audit.WriteAsync($"alert channel {checkedInput.Name}", async (db, ct) =>
        {
            var channel = existing is null ? null : await db.AlertChannels.SingleAsync(c => c.Id == existing.Id, ct);
            if (channel is null)
            {
                channel = new AlertChannel { Name = checkedInput.Name!, Target = checkedInput.Target!, CreatedAt = time.GetUtcNow() };
                db.AlertChannels.Add(channel);
            }
            channel.Name = checkedInput.Name!;
            channel.Type = checkedInput.Type;
            channel.Target = checkedInput.Target!;
            channel.SmtpHost = checkedInput.SmtpHost;
            channel.SmtpPort = checkedInput.SmtpPort;
            channel.SmtpSecurity = checkedInput.SmtpSecurity;
            channel.SmtpUser = checkedInput.SmtpUser;
            channel.SmtpFrom = checkedInput.SmtpFrom;
            channel.TimeoutSeconds = checkedInput.TimeoutSeconds;
            if (checkedInput.ClearSecrets)
            {
                channel.ProtectedSecret = null;
                channel.ProtectedSmtpPassword = null;
            }
            if (!string.IsNullOrEmpty(checkedInput.Secret))
                channel.ProtectedSecret = _protector.Protect(checkedInput.Secret);
            if (!string.IsNullOrEmpty(checkedInput.SmtpPassword))
                channel.ProtectedSmtpPassword = _protector.Protect(checkedInput.SmtpPassword);
            // What changed, never a secret's value: only whether one was set.
            audit.Add(db, actor, existing is null ? "alerts.channel.add" : "alerts.channel.edit", $"alerts/channel/{channel.Name}",
                $"{channel.Type} {AlertChannelText.Shown(channel.Type, channel.Target)}{(channel.SmtpHost is null ? "" : $" via {channel.SmtpHost}:{channel.SmtpPort} ({channel.SmtpSecurity})")}"
                + $"{(string.IsNullOrEmpty(checkedInput.Secret) && string.IsNullOrEmpty(checkedInput.SmtpPassword) ? "" : ", secret set")}{(checkedInput.ClearSecrets ? ", secrets cleared" : "")}");
            await db.SaveChangesAsync(ct);
            return channel;
        }, cancellationToken);
        return ChannelView.Of(saved);
    }

    /// <summary>Deletes a channel and the rules that route to it; the delivery log keeps its name.</summary>
    public async Task DeleteChannelAsync(long id, string actor, CancellationToken cancellationToken)
    {
        var channel = await FindChannelAsync(id, cancellationToken);
        await audit.WriteAsync($"delete alert channel {channel.Name}", async (db, ct) =>
        {
            var row = await db.AlertChannels.SingleAsync(c => c.Id == id, ct);
            row.DeletedAt = time.GetUtcNow();
            row.ProtectedSecret = null;
            row.ProtectedSmtpPassword = null;
            var rules = await db.AlertRules.Where(r => r.ChannelId == id).ToListAsync(ct);
            db.AlertRules.RemoveRange(rules);
            // Nothing more goes to it: what waits in the outbox for it is a dead letter, with the reason.
            foreach (var pending in await db.AlertDeliveries.Where(d => d.ChannelId == id && d.State == AlertDeliveryState.Pending).ToListAsync(ct))
            {
                pending.State = AlertDeliveryState.Dead;
                pending.LastError = "The channel was deleted.";
            }
            audit.Add(db, actor, "alerts.channel.delete", $"alerts/channel/{row.Name}", rules.Count == 0 ? null : $"and its {rules.Count} rule(s)");
            return true;
        }, cancellationToken);
    }

    public async Task<AlertRule> SaveRuleAsync(long? id, string? matcher, long channelId, int? repeatMinutes, string actor, CancellationToken cancellationToken)
    {
        var parsed = ParseMatcher(matcher);
        if (repeatMinutes is < 1 or > LongestRepeatMinutes)
            throw new AlertSettingsException($"Repeat every {repeatMinutes} minutes is out of range: 1 to {LongestRepeatMinutes} (a week), or none.");
        var channel = await FindChannelAsync(channelId, cancellationToken);
        if (id is { } ruleId)
            await FindRuleAsync(ruleId, cancellationToken);
        return await audit.WriteAsync("alert rule", async (db, ct) =>
        {
            var rule = id is { } existing ? await db.AlertRules.SingleAsync(r => r.Id == existing, ct) : null;
            if (rule is null)
            {
                rule = new AlertRule { Matcher = parsed.Text };
                db.AlertRules.Add(rule);
            }
            rule.Matcher = parsed.Text;
            rule.ChannelId = channelId;
            rule.RepeatMinutes = repeatMinutes;
            await db.SaveChangesAsync(ct);
            audit.Add(db, actor, id is null ? "alerts.rule.add" : "alerts.rule.edit", $"alerts/rule/{rule.Id}",
                $"'{(parsed.MatchesEverything ? "(everything)" : parsed.Text)}' to {channel.Name}{(repeatMinutes is { } m ? $", repeat every {m} min" : "")}");
            return rule;
        }, cancellationToken);
    }

    public async Task DeleteRuleAsync(long id, string actor, CancellationToken cancellationToken)
    {
        var rule = await FindRuleAsync(id, cancellationToken);
        await audit.WriteAsync($"delete alert rule {id}", async (db, ct) =>
        {
            db.AlertRules.Remove(await db.AlertRules.SingleAsync(r => r.Id == id, ct));
            audit.Add(db, actor, "alerts.rule.delete", $"alerts/rule/{id}", $"'{rule.Matcher}'");
            return true;
        }, cancellationToken);
    }

    public async Task<AlertSilence> AddSilenceAsync(string? matcher, DateTimeOffset from, DateTimeOffset until, string? comment, string actor, CancellationToken cancellationToken)
    {
        var parsed = ParseMatcher(matcher);
        if (parsed.MatchesEverything)
            throw new AlertSettingsException("A silence needs a matcher: one that takes every alert would mute them all. Write e.g. dc=dc2 or key=scenario:DatacenterDown:*.");
        if (until <= from)
            throw new AlertSettingsException($"The silence ends ({until:u}) before it starts ({from:u}).");
        if (until <= time.GetUtcNow())
            throw new AlertSettingsException($"The silence ends in the past ({until:u}).");
        if (until - from > LongestSilence)
            throw new AlertSettingsException($"A silence lasts at most {LongestSilence.TotalDays:0} days.");
        if (string.IsNullOrWhiteSpace(comment))
            throw new AlertSettingsException("Say why the alerts are silenced (a comment is required).");
        var text = comment.Trim();
        if (text.Length > 2000)
            throw new AlertSettingsException("The comment is longer than 2000 characters.");
        return await audit.WriteAsync("alert silence", async (db, ct) =>
        {
            var silence = new AlertSilence { Matcher = parsed.Text, From = from, Until = until, Comment = text, CreatedBy = actor };
            db.AlertSilences.Add(silence);
            await db.SaveChangesAsync(ct);
            audit.Add(db, actor, "alerts.silence.add", $"alerts/silence/{silence.Id}", $"'{parsed.Text}' from {from:u} until {until:u}: {text}");
            return silence;
        }, cancellationToken);
    }

    /// <summary>Ends a silence now (it stays listed for a day).</summary>
    public async Task ExpireSilenceAsync(long id, string actor, CancellationToken cancellationToken)
    {
        await using (var read = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await read.AlertSilences.AnyAsync(s => s.Id == id, cancellationToken))
                throw new AlertSettingsException($"There is no silence {id}.", notFound: true);
        }
        await audit.WriteAsync($"expire alert silence {id}", async (db, ct) =>
        {
            var silence = await db.AlertSilences.SingleAsync(s => s.Id == id, ct);
            var now = time.GetUtcNow();
            if (silence.Until > now)
                silence.Until = now < silence.From ? silence.From : now;
            audit.Add(db, actor, "alerts.silence.expire", $"alerts/silence/{id}", $"'{silence.Matcher}'");
            return true;
        }, cancellationToken);
    }

    /// <summary>The channel's secret and SMTP password in clear, for the sender only.</summary>
    internal (string? Secret, string? SmtpPassword) Reveal(AlertChannel channel) =>
        (channel.ProtectedSecret is null ? null : _protector.Unprotect(channel.ProtectedSecret),
         channel.ProtectedSmtpPassword is null ? null : _protector.Unprotect(channel.ProtectedSmtpPassword));

    /// <summary>Checks a channel's input; returns it trimmed, or throws naming the first thing wrong.</summary>
    public static ChannelInput Check(ChannelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200)
            throw new AlertSettingsException("A channel needs a name of 1 to 200 characters.");
        if (!Enum.IsDefined(input.Type))
            throw new AlertSettingsException($"'{input.Type}' is not a channel type: use {string.Join(", ", Enum.GetNames<AlertChannelType>())}.");
        if (input.TimeoutSeconds is < 1 or > 120)
            throw new AlertSettingsException($"A timeout of {input.TimeoutSeconds} s is out of range: 1 to 120 seconds.");
        if (input.Secret is { Length: > 500 } || input.SmtpPassword is { Length: > 500 })
            throw new AlertSettingsException("A secret or password is longer than 500 characters.");
        var target = input.Target?.Trim() ?? "";
        if (input.Type != AlertChannelType.Email)
        {
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(uri.Host))
                throw new AlertSettingsException($"'{Shorten(target)}' is not a webhook URL: an absolute http:// or https:// URL is needed.");
            if (!string.IsNullOrEmpty(uri.UserInfo))
                throw new AlertSettingsException("The webhook URL carries a user name or password; put a signing secret in the secret field instead.");
            if (target.Length > 2000)
                throw new AlertSettingsException("The webhook URL is longer than 2000 characters.");
            return input with { Name = name, Target = target, SmtpHost = null, SmtpPort = null, SmtpUser = null, SmtpPassword = null, SmtpFrom = null };
        }
        var recipients = target.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (recipients.Length == 0)
            throw new AlertSettingsException("An email channel needs at least one recipient.");
        foreach (var recipient in recipients)
        {
            if (!MailboxAddress.TryParse(recipient, out var parsed) || !parsed.Address.Contains('@', StringComparison.Ordinal))
                throw new AlertSettingsException($"'{Shorten(recipient)}' is not an email address.");
        }
        var host = input.SmtpHost?.Trim();
        if (string.IsNullOrEmpty(host) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            throw new AlertSettingsException($"'{Shorten(host ?? "")}' is not an SMTP host name or address.");
        if (input.SmtpPort is not { } port || port < 1 || port > 65535)
            throw new AlertSettingsException($"SMTP port '{input.SmtpPort}' is not a port: 1 to 65535 (587 for STARTTLS, 465 for TLS, 25 for plain).");
        if (!Enum.IsDefined(input.SmtpSecurity))
            throw new AlertSettingsException($"'{input.SmtpSecurity}' is not an SMTP security: use {string.Join(", ", Enum.GetNames<SmtpSecurity>())}.");
        var from = input.SmtpFrom?.Trim();
        if (string.IsNullOrEmpty(from) || !MailboxAddress.TryParse(from, out var sender) || !sender.Address.Contains('@', StringComparison.Ordinal))
            throw new AlertSettingsException($"'{Shorten(from ?? "")}' is not a sender address.");
        var user = string.IsNullOrWhiteSpace(input.SmtpUser) ? null : input.SmtpUser.Trim();
        return input with { Name = name, Target = string.Join(", ", recipients), SmtpHost = host, SmtpFrom = from, SmtpUser = user, Secret = null };
    }

    private static AlertMatcher ParseMatcher(string? matcher)
    {
        try
        {
            return AlertMatcher.Parse(matcher);
        }
        catch (AlertMatcherException e)
        {
            throw new AlertSettingsException(e.Message);
        }
    }

    private async Task<AlertChannel> FindChannelAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AlertChannels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id && c.DeletedAt == null, cancellationToken)
            ?? throw new AlertSettingsException($"There is no channel {id}.", notFound: true);
    }

    private async Task<AlertRule> FindRuleAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AlertRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw new AlertSettingsException($"There is no rule {id}.", notFound: true);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
