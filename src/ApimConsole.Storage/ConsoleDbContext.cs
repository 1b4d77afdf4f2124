using ApimConsole.Storage.Records;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// The console's own records. Each provider has a derived context (<see cref="Providers.SqliteConsoleDbContext"/>,
/// <see cref="Providers.SqlServerConsoleDbContext"/>) that owns its migrations, because the two providers need
/// different column types and so different migration code; the model itself is defined once, here.
/// </summary>
public abstract class ConsoleDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ComponentStateChange> ComponentStateChanges => Set<ComponentStateChange>();
    public DbSet<TrafficMinute> TrafficMinutes => Set<TrafficMinute>();
    public DbSet<TrafficCoverage> TrafficCoverage => Set<TrafficCoverage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AuditEntry>(audit =>
        {
            audit.Property(e => e.Actor).HasMaxLength(200);
            audit.Property(e => e.Action).HasMaxLength(100);
            audit.Property(e => e.Target).HasMaxLength(400);
            // The Audit page lists newest first.
            audit.HasIndex(e => e.At);
        });

        modelBuilder.Entity<ComponentStateChange>(change =>
        {
            change.Property(e => e.DatacenterId).HasMaxLength(64);
            change.Property(e => e.ComponentId).HasMaxLength(200);
            change.Property(e => e.ComponentKind).HasMaxLength(50);
            change.Property(e => e.FromState).HasMaxLength(20);
            change.Property(e => e.ToState).HasMaxLength(20);
            change.Property(e => e.Reason).HasMaxLength(2000);
            // "History of this component" and "what happened in this DC since" are the queries.
            change.HasIndex(e => new { e.DatacenterId, e.ComponentId, e.At });
            change.HasIndex(e => e.At);
        });

        TrafficModel.Configure(modelBuilder);
    }
}
