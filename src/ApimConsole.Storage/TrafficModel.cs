using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>The traffic tables of <see cref="ConsoleDbContext"/>.</summary>
internal static class TrafficModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TrafficMinute>(minute =>
        {
            minute.Property(e => e.DatacenterId).HasMaxLength(64);
            minute.Property(e => e.InstanceId).HasMaxLength(200);
            minute.Property(e => e.ApiPath).HasMaxLength(400);
            minute.Property(e => e.Latency).HasMaxLength(8000);
            // One row per cell: late transactions merge into it. Reading a window and pruning go by minute.
            minute.HasIndex(e => new { e.DatacenterId, e.InstanceId, e.ApiPath, e.Minute }).IsUnique();
            minute.HasIndex(e => e.Minute);
        });

        modelBuilder.Entity<TrafficCoverage>(coverage =>
        {
            coverage.Property(e => e.DatacenterId).HasMaxLength(64);
            coverage.Property(e => e.Reason).HasMaxLength(2000);
            coverage.HasIndex(e => new { e.DatacenterId, e.From }).IsUnique();
            coverage.HasIndex(e => e.To);
        });
    }
}
