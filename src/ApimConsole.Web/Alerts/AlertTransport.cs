using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ApimConsole.Core.Alerts;
using ApimConsole.Storage.Records;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ApimConsole.Web.Alerts;

/// <summary>A send that did not reach its receiver; the message says why, without any secret.</summary>
public sealed class AlertTransportException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Sends one message to one channel over its protocol: HTTP POST for the webhooks, SMTP for email.</summary>
public sealed class AlertTransport(IHttpClientFactory clients, TimeProvider time)
{
    public const string HttpClientName = "alerts";

    public Task SendAsync(AlertChannel channel, string? secret, string? smtpPassword, AlertMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Type switch
        {
            AlertChannelType.Webhook => PostAsync(channel, AlertPayloads.Generic(message), secret, message, cancellationToken),
            AlertChannelType.Slack => PostAsync(channel, AlertPayloads.Slack(message), secret, message, cancellationToken),
            AlertChannelType.Teams => PostAsync(channel, AlertPayloads.Teams(message), secret, message, cancellationToken),
            AlertChannelType.Email => MailAsync(channel, smtpPassword, message, cancellationToken),
            _ => throw new AlertTransportException($"Unknown channel type {channel.Type}."),
        };
    }

    private async Task PostAsync(AlertChannel channel, string body, string? secret, AlertMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Target) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.IdempotencyHeader, message.EventId.ToString("D"));
        request.Headers.Add(WebhookSignature.EventHeader, message.Phase.ToString().ToLowerInvariant());
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(secret))
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, timestamp, body));
        var client = clients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new AlertTransportException($"{AlertChannelText.Shown(channel.Type, channel.Target)}: {e.Message}", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new AlertTransportException($"{AlertChannelText.Shown(channel.Type, channel.Target)} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    private static async Task MailAsync(AlertChannel channel, string? password, AlertMessage message, CancellationToken cancellationToken)
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(channel.SmtpFrom!));
        foreach (var recipient in channel.Target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            mail.To.Add(MailboxAddress.Parse(recipient));
        mail.Subject = AlertPayloads.EmailSubject(message);
        mail.MessageId = $"{message.EventId:N}@apimconsole";
        // Every message of one alert refers to the same root, so mail clients thread an outage's updates together.
        var root = $"alert-{message.AlertId}-{message.OpenedAt.ToUnixTimeSeconds()}@apimconsole";
        mail.InReplyTo = root;
        mail.References.Add(root);
        mail.Headers.Add(WebhookSignature.IdempotencyHeader, message.EventId.ToString("D"));
        mail.Headers.Add(WebhookSignature.EventHeader, message.Phase.ToString().ToLowerInvariant());
        mail.Body = new TextPart("plain") { Text = AlertPayloads.EmailBody(message) };

        using var smtp = new SmtpClient { Timeout = channel.TimeoutSeconds * 1000 };
        try
        {
            var security = channel.SmtpSecurity switch
            {
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.None,
            };
            await smtp.ConnectAsync(channel.SmtpHost ?? throw new AlertTransportException("The channel has no SMTP host."), channel.SmtpPort ?? 25, security, cancellationToken);
            if (!string.IsNullOrEmpty(channel.SmtpUser))
                await smtp.AuthenticateAsync(channel.SmtpUser, password ?? "", cancellationToken);
            await smtp.SendAsync(mail, cancellationToken);
            await smtp.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception e) when (e is MailKit.ProtocolException or MailKit.CommandException or AuthenticationException or System.Net.Sockets.SocketException
            or IOException or NotSupportedException or System.Security.Authentication.AuthenticationException)
        {
            throw new AlertTransportException($"SMTP {channel.SmtpHost}:{channel.SmtpPort}: {e.Message}", e);
        }
    }
}
