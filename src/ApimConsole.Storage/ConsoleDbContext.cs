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
    public DbSet<Deployment> Deployments => Set<Deployment>();
    public DbSet<DeploymentTarget> DeploymentTargets => Set<DeploymentTarget>();

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

        modelBuilder.Entity<Deployment>(deployment =>
        {
            // Enums as their names: readable in the table and stable if members are added.
            deployment.Property(e => e.Kind).HasConversion<string>().HasMaxLength(40);
            deployment.Property(e => e.Format).HasConversion<string>().HasMaxLength(40);
            deployment.Property(e => e.RequestDecision).HasConversion<string>().HasMaxLength(20);
            deployment.Property(e => e.State).HasConversion<string>().HasMaxLength(20);
            deployment.Property(e => e.RequestedBy).HasMaxLength(200);
            deployment.Property(e => e.GroupId).HasMaxLength(200);
            deployment.Property(e => e.GroupName).HasMaxLength(200);
            deployment.Property(e => e.FileNames).HasMaxLength(420);
            deployment.Property(e => e.Sha256).HasMaxLength(64);
            deployment.Property(e => e.RequestReasons).HasMaxLength(4000);
            deployment.Property(e => e.OverrideReason).HasMaxLength(2000);
            deployment.Property(e => e.Summary).HasMaxLength(2000);
            deployment.HasMany(e => e.Targets).WithOne().HasForeignKey(t => t.DeploymentId).OnDelete(DeleteBehavior.Cascade);
            // The history lists newest first; restart recovery looks for unfinished ones.
            deployment.HasIndex(e => e.RequestedAt);
            deployment.HasIndex(e => e.State);
        });

        modelBuilder.Entity<DeploymentTarget>(target =>
        {
            target.Property(e => e.Outcome).HasConversion<string>().HasMaxLength(20);
            target.Property(e => e.DatacenterId).HasMaxLength(64);
            target.Property(e => e.InstanceId).HasMaxLength(200);
            target.Property(e => e.ArchiveId).HasMaxLength(200);
            target.Property(e => e.Message).HasMaxLength(2000);
        });
    }
}
