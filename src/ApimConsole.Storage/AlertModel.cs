using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>The notification tables of <see cref="ConsoleDbContext"/>: channels, rules, silences, alerts and the outbox.</summary>
internal static class AlertModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AlertChannel>(channel =>
        {
            channel.Property(e => e.Name).HasMaxLength(200);
            channel.Property(e => e.Type).HasConversion<string>().HasMaxLength(20);
            channel.Property(e => e.Target).HasMaxLength(2000);
            channel.Property(e => e.ProtectedSecret).HasMaxLength(4000);
            channel.Property(e => e.SmtpHost).HasMaxLength(255);
            channel.Property(e => e.SmtpSecurity).HasConversion<string>().HasMaxLength(20);
            channel.Property(e => e.SmtpUser).HasMaxLength(200);
            channel.Property(e => e.ProtectedSmtpPassword).HasMaxLength(4000);
            channel.Property(e => e.SmtpFrom).HasMaxLength(320);
        });

        modelBuilder.Entity<AlertRule>(rule =>
        {
            rule.Property(e => e.Matcher).HasMaxLength(500);
            rule.HasOne<AlertChannel>().WithMany().HasForeignKey(e => e.ChannelId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<AlertSilence>(silence =>
        {
            silence.Property(e => e.Matcher).HasMaxLength(500);
            silence.Property(e => e.Comment).HasMaxLength(2000);
            silence.Property(e => e.CreatedBy).HasMaxLength(200);
            silence.HasIndex(e => e.Until);
        });

        modelBuilder.Entity<Alert>(alert =>
        {
            alert.Property(e => e.Key).HasMaxLength(400);
            alert.Property(e => e.Kind).HasMaxLength(20);
            alert.Property(e => e.Severity).HasMaxLength(20);
            alert.Property(e => e.DatacenterId).HasMaxLength(64);
            alert.Property(e => e.Title).HasMaxLength(500);
            alert.Property(e => e.Text).HasMaxLength(4000);
            alert.Property(e => e.AcknowledgedBy).HasMaxLength(200);
            // One open alert per key, whoever raises it (a restarted console, two raisers at once): an outage is one alert.
            alert.HasIndex(e => e.Key).IsUnique().HasFilter("ResolvedAt IS NULL").HasDatabaseName("IX_Alerts_Key_Open");
            alert.HasIndex(e => e.OpenedAt);
            alert.HasMany(e => e.Events).WithOne(e => e.Alert).HasForeignKey(e => e.AlertId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AlertEvent>(evt =>
        {
            evt.Property(e => e.Phase).HasMaxLength(20);
            evt.Property(e => e.Severity).HasMaxLength(20);
            evt.Property(e => e.Text).HasMaxLength(4000);
            evt.HasIndex(e => e.EventId).IsUnique();
        });

        modelBuilder.Entity<AlertDelivery>(delivery =>
        {
            delivery.Property(e => e.State).HasConversion<string>().HasMaxLength(20);
            delivery.Property(e => e.LastError).HasMaxLength(2000);
            delivery.HasOne(e => e.Event).WithMany().HasForeignKey(e => e.AlertEventId).OnDelete(DeleteBehavior.Cascade);
            delivery.HasOne<AlertChannel>().WithMany().HasForeignKey(e => e.ChannelId).OnDelete(DeleteBehavior.Restrict);
            // The sender's question: what is due now.
            delivery.HasIndex(e => new { e.State, e.NextAttemptAt });
        });
    }
}
