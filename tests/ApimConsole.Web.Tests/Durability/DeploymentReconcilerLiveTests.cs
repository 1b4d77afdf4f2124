using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Tests.Deployments;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>
/// The reconciliation a restarted console runs for a deployment the previous run left Running, against the lab's
/// real ANMs: what each instance runs decides Loaded or NotApplied; a datacenter whose ANM cannot be asked is left
/// Unknown (Failed), never guessed; nothing is pushed.
/// </summary>
public sealed class DeploymentReconcilerLiveTests(DeploymentLabFactory factory) : IClassFixture<DeploymentLabFactory>
{
    [Fact]
    public async Task UnfinishedDeployment_IsSettledFromWhatEachAnmReports_AndNothingIsPushed()
    {
        await factory.WaitForGroupsAsync();
        var anms = factory.Services.GetRequiredService<AdminNodeManagerConnections>();
        var store = factory.Services.GetRequiredService<DeploymentStore>();
        var dc1 = anms.For("dc1")[0];
        var dc2 = anms.For("dc2")[0];

        // What the killed console had done: uploaded to both datacenters, pushed to one instance of dc1.
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));
        var dc1Instances = (await dc1.GetTopologyAsync(CancellationToken.None)).Groups.Single(g => g.Id == "group-3").Gateways.Select(g => g.Id).ToList();
        Assert.True(dc1Instances.Count >= 2);
        var dc1Archive = await dc1.UploadConfigurationAsync("group-3", [new AnmArchiveFile("dmz.fed", fed)], CancellationToken.None);
        var dc2Archive = await dc2.UploadConfigurationAsync("group-3", [new AnmArchiveFile("dmz.fed", fed)], CancellationToken.None);
        Assert.Equal(AnmLoadStatus.Loaded, (await dc1.PushConfigurationAsync(dc1Instances[0], dc1Archive, CancellationToken.None)).Status);

        var now = DateTimeOffset.UtcNow;
        var deployment = await store.AddAsync(new Deployment
        {
            RequestedAt = now, RequestedBy = "alice", Kind = ChangeKind.GatewayConfiguration, GroupId = "group-3", GroupName = "DMZ",
            FileNames = "dmz.fed", Bytes = fed.Length, Sha256 = new string('b', 64), State = DeploymentState.Running, StartedAt = now,
            Targets =
            [
                new DeploymentTarget { DatacenterId = "dc1", Outcome = DeploymentTargetOutcome.Uploaded, ArchiveId = dc1Archive, UpdatedAt = now },
                new DeploymentTarget { DatacenterId = "dc1", InstanceId = dc1Instances[0], Outcome = DeploymentTargetOutcome.Pending, ArchiveId = dc1Archive, UpdatedAt = now },
                new DeploymentTarget { DatacenterId = "dc1", InstanceId = dc1Instances[1], Outcome = DeploymentTargetOutcome.Pending, ArchiveId = dc1Archive, UpdatedAt = now },
                new DeploymentTarget { DatacenterId = "dc2", Outcome = DeploymentTargetOutcome.Uploaded, ArchiveId = dc2Archive, UpdatedAt = now },
            ],
        }, CancellationToken.None);
        var pushes = factory.LabPushes().Count;

        // dc2's ANM cannot be asked.
        (await factory.FaultAsync("dc2/anm", "down")).EnsureSuccessStatusCode();
        try
        {
            var done = await factory.Services.GetRequiredService<DeploymentReconciler>().ReconcileAllAsync(CancellationToken.None);
            Assert.Contains(deployment.Id, done);
        }
        finally
        {
            await factory.HealAsync();
        }

        var after = (await store.GetAsync(deployment.Id, CancellationToken.None))!;
        Assert.Equal(DeploymentState.Interrupted, after.State);
        Assert.NotNull(after.FinishedAt);
        DeploymentTarget Target(string dc, string? instance) => after.Targets.Single(t => t.DatacenterId == dc && t.InstanceId == instance);
        Assert.Equal(DeploymentTargetOutcome.Loaded, Target("dc1", dc1Instances[0]).Outcome);
        Assert.Equal(DeploymentTargetOutcome.NotApplied, Target("dc1", dc1Instances[1]).Outcome);
        Assert.Contains("reconciled after restart from the ANM at", Target("dc1", dc1Instances[1]).Message);
        Assert.Equal(DeploymentTargetOutcome.PartiallyApplied, Target("dc1", null).Outcome);
        Assert.Equal(DeploymentTargetOutcome.Failed, Target("dc2", null).Outcome);
        Assert.StartsWith("Unknown:", Target("dc2", null).Message);
        Assert.DoesNotContain(after.Targets, t => t.Outcome is DeploymentTargetOutcome.Pending or DeploymentTargetOutcome.Uploaded);
        // Instances of dc1 the store had no row for would have been added from the ANM's view; dc2's are not invented.
        Assert.Equal(dc1Instances.Count, after.Targets.Count(t => t.DatacenterId == "dc1" && t.InstanceId is not null));
        Assert.DoesNotContain(after.Targets, t => t.DatacenterId == "dc2" && t.InstanceId is not null);

        Assert.Equal(pushes, factory.LabPushes().Count);
        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(20, CancellationToken.None);
        var entry = Assert.Single(audit, a => a.Action == DeploymentReconciler.AuditAction && a.Target == $"deployment {deployment.Id}");
        Assert.StartsWith("Interrupted:", entry.Details);

        // A second start finds nothing left to reconcile.
        Assert.DoesNotContain(deployment.Id, await factory.Services.GetRequiredService<DeploymentReconciler>().ReconcileAllAsync(CancellationToken.None));
    }
}
