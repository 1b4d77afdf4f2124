using ApimConsole.Storage.Records;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ApimConsole.Storage;

/// <summary>
/// The console's own records. Each provider has a derived context (<see cref="Providers.SqliteConsoleDbContext"/>,
/// <see cref="Providers.SqlServerConsoleDbContext"/>) that owns its migrations, because the two providers need
/// different column types and so different migration code; the model itself is defined once, here. It is also the
/// ASP.NET Core Identity store (users, roles, their claims) of the console's local accounts.
/// </summary>
public abstract class ConsoleDbContext(DbContextOptions options) : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<AlertChannel> AlertChannels => Set<AlertChannel>();
    public DbSet<AlertDelivery> AlertDeliveries => Set<AlertDelivery>();
    public DbSet<AlertEvent> AlertEvents => Set<AlertEvent>();
    public DbSet<AlertRule> AlertRules => Set<AlertRule>();
    public DbSet<AlertSilence> AlertSilences => Set<AlertSilence>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ComponentStateChange> ComponentStateChanges => Set<ComponentStateChange>();
    public DbSet<Deployment> Deployments => Set<Deployment>();
    public DbSet<DeploymentTarget> DeploymentTargets => Set<DeploymentTarget>();
    public DbSet<GuardrailTurn> GuardrailTurns => Set<GuardrailTurn>();
    public DbSet<Incident> Incidents => Set<Incident>();
    public DbSet<IncidentConsequence> IncidentConsequences => Set<IncidentConsequence>();
    public DbSet<IncidentNote> IncidentNotes => Set<IncidentNote>();
    public DbSet<RepairCheck> RepairChecks => Set<RepairCheck>();
    public DbSet<TrafficMinute> TrafficMinutes => Set<TrafficMinute>();
    public DbSet<TrafficCoverage> TrafficCoverage => Set<TrafficCoverage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        modelBuilder.Entity<ApiToken>(token =>
        {
            token.Property(e => e.Name).HasMaxLength(200);
            token.Property(e => e.Role).HasMaxLength(50);
            token.Property(e => e.Kind).HasConversion<string>().HasMaxLength(20);
            token.Property(e => e.SecretHash).HasMaxLength(64);
            token.Property(e => e.Prefix).HasMaxLength(16);
            token.Property(e => e.CreatedBy).HasMaxLength(200);
            token.Property(e => e.RevokedBy).HasMaxLength(200);
            // A presented secret is looked up by its hash.
            token.HasIndex(e => e.SecretHash).IsUnique();
        });

        modelBuilder.Entity<AuditEntry>(audit =>
        {
            audit.Property(e => e.Actor).HasMaxLength(AuditText.MaxActor);
            audit.Property(e => e.ActorKind).HasConversion<string>().HasMaxLength(10);
            audit.Property(e => e.Action).HasMaxLength(AuditText.MaxAction);
            audit.Property(e => e.Target).HasMaxLength(AuditText.MaxTarget);
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

        modelBuilder.Entity<GuardrailTurn>(turn =>
        {
            turn.Property(e => e.Kind).HasConversion<string>().HasMaxLength(40);
            turn.Property(e => e.Decision).HasConversion<string>().HasMaxLength(20);
            turn.Property(e => e.DatacenterId).HasMaxLength(64);
            turn.Property(e => e.InFlight).HasMaxLength(GuardrailTurn.MaxInFlight);
            // An incident's timeline reads the turns of its interval.
            turn.HasIndex(e => e.At);
        });

        modelBuilder.Entity<Incident>(incident =>
        {
            incident.Property(e => e.Key).HasMaxLength(300);
            incident.Property(e => e.Kind).HasMaxLength(50);
            incident.Property(e => e.DatacenterId).HasMaxLength(64);
            incident.Property(e => e.ComponentKey).HasMaxLength(300);
            incident.Property(e => e.Title).HasMaxLength(500);
            incident.Property(e => e.Severity).HasMaxLength(20);
            incident.Property(e => e.CassandraNodes).HasMaxLength(4000);
            // At most one open incident per scenario key, whoever writes: a restarted console, or two consoles
            // sharing a SQL Server store. The filter is plain SQL both SQLite and SQL Server accept.
            incident.HasIndex(e => e.Key).IsUnique().HasFilter("EndedAt IS NULL").HasDatabaseName("IX_Incidents_Key_Open");
            // The incidents page lists by start, newest first, within a day range.
            incident.HasIndex(e => e.StartedAt);
            incident.HasMany(e => e.RepairChecks).WithOne(c => c.Incident).HasForeignKey(c => c.IncidentId).OnDelete(DeleteBehavior.Cascade);
            incident.Property(e => e.AcknowledgedBy).HasMaxLength(200);
            // Parts absorbed into an outage are found by it.
            incident.HasIndex(e => e.ParentId);
            incident.HasMany(e => e.Consequences).WithOne().HasForeignKey(c => c.IncidentId).OnDelete(DeleteBehavior.Cascade);
            incident.HasMany(e => e.Notes).WithOne().HasForeignKey(n => n.IncidentId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IncidentConsequence>(consequence =>
        {
            consequence.Property(e => e.DatacenterId).HasMaxLength(64);
            consequence.Property(e => e.ComponentId).HasMaxLength(200);
            consequence.Property(e => e.ComponentKind).HasMaxLength(50);
            consequence.Property(e => e.State).HasMaxLength(20);
            consequence.HasIndex(e => new { e.IncidentId, e.DatacenterId, e.ComponentId });
        });

        modelBuilder.Entity<IncidentNote>(note =>
        {
            note.Property(e => e.Author).HasMaxLength(200);
            note.Property(e => e.Text).HasMaxLength(IncidentNote.MaxText);
            note.HasIndex(e => new { e.IncidentId, e.At });
        });

        modelBuilder.Entity<RepairCheck>(check =>
        {
            check.Property(e => e.NodeKey).HasMaxLength(300);
            check.Property(e => e.Action).HasMaxLength(20);
            check.Property(e => e.DoneBy).HasMaxLength(200);
            check.Property(e => e.Note).HasMaxLength(2000);
            check.HasIndex(e => new { e.IncidentId, e.NodeKey }).IsUnique();
        });
        TrafficModel.Configure(modelBuilder);
        AlertModel.Configure(modelBuilder);
    }
}
