using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ApimConsole.Core.Guardrails;
using ApimConsole.Lab.AdminNodeManager;
using ApimConsole.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>
/// Deployments end to end against the embedded lab, over HTTP only: the console's API in, the lab's ANMs out, and the
/// lab's own deployment log as the truth about what reached the estate.
/// </summary>
public sealed class DeploymentLiveTests(DeploymentLabFactory factory) : IClassFixture<DeploymentLabFactory>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        factory.Gate.Reset();
        await factory.WaitForGroupsAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static long Id(JsonElement deployment) => deployment.GetProperty("id").GetInt64();

    private static JsonElement Dc(JsonElement deployment, string id) =>
        deployment.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);

    private static IEnumerable<(string Id, string Outcome)> Instances(JsonElement dc) =>
        dc.GetProperty("instances").EnumerateArray().Select(i => (i.GetProperty("id").GetString()!, i.GetProperty("outcome").GetString()!));

    private async Task<JsonElement> PostAsync(MultipartFormDataContent form, HttpStatusCode expected)
    {
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/api/deployments", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> VersionsAsync()
    {
        using var client = factory.CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/api/deployments/versions");
    }

    private static JsonElement Group(JsonElement versions, string groupId) =>
        versions.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("groupId").GetString() == groupId);

    [Fact]
    public async Task Fed_LandsOnEveryInstanceOfBothDatacenters_AndIsReportedSucceeded()
    {
        var before = factory.LabPushes().Count;
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));

        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dmz.fed", fed)), HttpStatusCode.Created);
        Assert.Equal("Pending", created.GetProperty("state").GetString());
        Assert.Equal(["dc1", "dc2"], created.GetProperty("datacenters").EnumerateArray().Select(d => d.GetProperty("id").GetString()));

        var done = await factory.WaitForFinishAsync(Id(created));
        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        foreach (var dc in new[] { "dc1", "dc2" })
        {
            Assert.Equal("Succeeded", Dc(done, dc).GetProperty("outcome").GetString());
            Assert.Equal([("instance-3", "Loaded"), ("instance-4", "Loaded")], Instances(Dc(done, dc)));
        }

        // The lab saw exactly these four pushes, each loaded, all of one archive.
        var pushes = factory.LabPushes().Skip(before).ToList();
        Assert.Equal([("dc1", "instance-3"), ("dc1", "instance-4"), ("dc2", "instance-3"), ("dc2", "instance-4")], pushes.Select(p => (p.DatacenterId, p.InstanceId)));
        Assert.All(pushes, p => Assert.Equal(DeploymentLog.Loaded, p.Outcome));
        var archiveId = Assert.Single(pushes.Select(p => p.ArchiveId).Distinct());
        Assert.Equal(archiveId, Dc(done, "dc2").GetProperty("archiveId").GetString());

        // The same, as the lab's own API tells it.
        using (var client = factory.CreateClient())
        {
            var lab = await client.GetFromJsonAsync<JsonElement>("/api/lab/deployments");
            var last = lab.GetProperty("pushes").EnumerateArray().Skip(before).ToList();
            Assert.Equal(4, last.Count);
            Assert.All(last, p => Assert.Equal((DeploymentLog.Loaded, archiveId), (p.GetProperty("outcome").GetString(), p.GetProperty("archiveId").GetString())));
        }

        var dmz = Group(await VersionsAsync(), "group-3");
        Assert.False(dmz.GetProperty("drift").GetBoolean());
        Assert.All(dmz.GetProperty("instances").EnumerateArray(), i => Assert.Equal(archiveId, i.GetProperty("archiveId").GetString()));
        // domain/deployments names groups and instances by id only: the names are the topology's.
        Assert.Equal("DMZ", dmz.GetProperty("groupName").GetString());
        Assert.All(dmz.GetProperty("instances").EnumerateArray(), i => Assert.NotEqual(i.GetProperty("instanceId").GetString(), i.GetProperty("instanceName").GetString()));

        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        Assert.Contains(audit, a => a.Action == "deployment.requested" && a.Details!.StartsWith($"Deployment {Id(created)}:"));
        Assert.Contains(audit, a => a.Action == "deployment.finished" && a.Target == $"deployment {Id(created)}" && a.Details!.StartsWith("Succeeded"));

        // While it ran, dc1 had the new archive before dc2 did: shown as drift, but nothing to page anyone about. No
        // drift alert was opened from its request on (one left by an earlier test's stopped deployment may end now).
        using (var client = factory.CreateClient())
        {
            var requestedAt = created.GetProperty("requestedAt").GetDateTimeOffset();
            var alerts = (await client.GetFromJsonAsync<JsonElement>("/api/alerts?state=all&count=500")).GetProperty("alerts").EnumerateArray().ToList();
            Assert.DoesNotContain(alerts, a => a.GetProperty("key").GetString() == "drift:group-3" && a.GetProperty("openedAt").GetDateTimeOffset() >= requestedAt);
        }
    }

    [Fact]
    public async Task PolicyWithEnvironment_ForTheKpsTableStructure_IsCarriedTheSameWay()
    {
        var before = factory.LabPushes().Count;
        var pol = DeploymentLabFactory.Zip(("kps.xml", $"<table v='{Guid.NewGuid()}'/>"));
        var env = DeploymentLabFactory.Zip(("env.xml", "<env/>"));
        var created = await PostAsync(DeploymentLabFactory.Form("KpsTableStructure", "internal", ("kps.pol", pol), ("kps.env", env)), HttpStatusCode.Created);
        Assert.Equal(("KpsTableStructure", "group-2", "kps.pol + kps.env"),
            (created.GetProperty("kind").GetString(), created.GetProperty("groupId").GetString(), created.GetProperty("files").GetString()));

        var done = await factory.WaitForFinishAsync(Id(created));
        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        Assert.Equal(4, factory.LabPushes().Skip(before).Count(p => p.GroupId == "group-2" && p.Outcome == DeploymentLog.Loaded));
        Assert.All(factory.Gate.Calls, c => Assert.NotEmpty(c));
    }

    [Fact]
    public async Task ArchiveThatFailsToLoad_RollsBackPerInstance_AndIsNotPushedToTheNextDatacenter()
    {
        var before = factory.LabPushes().Count;
        var bad = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore note='lab:fail-load {Guid.NewGuid()}'/>"));

        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2", ("broken.fed", bad)), HttpStatusCode.Created);
        var done = await factory.WaitForFinishAsync(Id(created));

        Assert.Equal("Failed", done.GetProperty("state").GetString());
        var dc1 = Dc(done, "dc1");
        Assert.Equal("Failed", dc1.GetProperty("outcome").GetString());
        Assert.Equal([("instance-1", "RolledBack"), ("instance-2", "RolledBack")], Instances(dc1));
        Assert.All(dc1.GetProperty("instances").EnumerateArray(), i => Assert.Contains("rolled back", i.GetProperty("message").GetString()));
        Assert.Equal("NotPushed", Dc(done, "dc2").GetProperty("outcome").GetString());

        var pushes = factory.LabPushes().Skip(before).ToList();
        Assert.Equal([("dc1", DeploymentLog.RolledBack), ("dc1", DeploymentLog.RolledBack)], pushes.Select(p => (p.DatacenterId, p.Outcome)));
    }

    [Fact]
    public async Task StateTurnsBetweenDatacenters_SecondIsNotPushed_ReportedStopped_AndDriftShown()
    {
        var before = factory.LabPushes().Count;
        var lab = factory.LabPushes;
        // The state turns once dc1 has the archive on both instances (the lab's own log says so), before dc2's push.
        factory.Gate.Script = (_, dcs) =>
            dcs.Contains("dc2") && lab().Skip(before).Count(p => p.DatacenterId == "dc1" && p.Outcome == DeploymentLog.Loaded) == 2
                ? (GuardrailDecision.Block, ["The inter-DC link is down"])
                : (GuardrailDecision.Allow, []);
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore race='{Guid.NewGuid()}'/>"));

        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("race.fed", fed)), HttpStatusCode.Created);
        var done = await factory.WaitForFinishAsync(Id(created));

        Assert.Equal("Stopped", done.GetProperty("state").GetString());
        Assert.EndsWith("Per datacenter: dc1: 2 of 2 loaded; dc2: not reached.", done.GetProperty("summary").GetString());
        Assert.Equal("Succeeded", Dc(done, "dc1").GetProperty("outcome").GetString());
        var dc2 = Dc(done, "dc2");
        Assert.Equal("Blocked", dc2.GetProperty("outcome").GetString());
        Assert.Contains("The inter-DC link is down", dc2.GetProperty("message").GetString());
        Assert.Empty(dc2.GetProperty("instances").EnumerateArray());

        // The truth: the lab's dc2 ANM received no push at all.
        var pushes = factory.LabPushes().Skip(before).ToList();
        Assert.DoesNotContain(pushes, p => p.DatacenterId == "dc2");
        Assert.Equal(2, pushes.Count(p => p.DatacenterId == "dc1"));
        // At the request for both; for each datacenter before reading its topology, then a permit for the upload and
        // one for each instance's push.
        Assert.Equal([["dc1", "dc2"], ["dc1"], ["dc1"], ["dc1"], ["dc1"], ["dc2"]], factory.Gate.Calls.Select(c => c.ToArray()));

        var dmz = Group(await VersionsAsync(), "group-3");
        Assert.True(dmz.GetProperty("drift").GetBoolean());
        Assert.StartsWith("Instances run different archives: dc1: 2 ×", dmz.GetProperty("summary").GetString());

        // The drift the Overview, the banner and the wall show, read from the ANMs, with when it was first seen.
        var watch = factory.Services.GetRequiredService<ApimConsole.Web.Deployments.DeploymentDriftWatch>();
        await watch.ReadOnceAsync(CancellationToken.None);
        var drifted = Assert.Single(watch.Current.Groups, g => g.GroupId == "group-3");
        Assert.StartsWith("Instances run different archives: dc1: 2 ×", drifted.Summary);
        Assert.True(drifted.Since <= watch.Current.AsOf);
        // The same reading raises the drift alert for the on-call engineer, and only a reading that finds it gone ends it.
        var alerts = factory.Services.GetRequiredService<ApimConsole.Web.Alerts.AlertStore>();
        async Task<ApimConsole.Storage.Records.Alert?> DriftAlertAsync() =>
            (await alerts.ListAsync(new ApimConsole.Web.Alerts.AlertQuery(Count: 500), CancellationToken.None))
            .Select(v => v.Alert).Where(a => a.Key == "drift:group-3").OrderByDescending(a => a.Id).FirstOrDefault();
        await Eventually.Until(async () => await DriftAlertAsync() is { ResolvedAt: null }, TimeSpan.FromSeconds(20), "an open drift alert for group-3");
        // Until a deployment makes them equal: deployed again to both datacenters, the drift is gone.
        factory.Gate.Script = null;
        var again = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-3",
            ("again.fed", DeploymentLabFactory.Zip(("configs.xml", $"<entityStore again='{Guid.NewGuid()}'/>")))), HttpStatusCode.Created);
        Assert.Equal("Succeeded", (await factory.WaitForFinishAsync(Id(again))).GetProperty("state").GetString());
        await watch.ReadOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(watch.Current.Groups, g => g.GroupId == "group-3");
        await Eventually.Until(async () => await DriftAlertAsync() is { ResolvedAt: not null }, TimeSpan.FromSeconds(20), "the drift alert for group-3 resolved");

        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        Assert.Contains(audit, a => a.Action == "deployment.stopped" && a.Target == $"deployment {Id(created)}" && a.Details!.Contains("Datacenters that got it: dc1"));
    }

    [Fact]
    public async Task StateTurnsBetweenTwoInstancesOfADatacenter_TheRestIsNotPushed_ReportedStopped()
    {
        var before = factory.LabPushes().Count;
        var lab = factory.LabPushes;
        // The state turns once dc2's first instance has loaded it (the lab's own log says so), before the second's push.
        factory.Gate.Script = (_, dcs) =>
            dcs.Count == 1 && dcs.Contains("dc2") && lab().Skip(before).Any(p => p.DatacenterId == "dc2" && p.Outcome == DeploymentLog.Loaded)
                ? (GuardrailDecision.Block, ["The inter-DC link is down"])
                : (GuardrailDecision.Allow, []);
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore midway='{Guid.NewGuid()}'/>"));

        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("midway.fed", fed)), HttpStatusCode.Created);
        var done = await factory.WaitForFinishAsync(Id(created));

        Assert.Equal("Stopped", done.GetProperty("state").GetString());
        Assert.Contains("during dc2's push", done.GetProperty("summary").GetString());
        Assert.EndsWith("Per datacenter: dc1: 2 of 2 loaded; dc2: 1 of 2 loaded, 1 not reached.", done.GetProperty("summary").GetString());
        Assert.Equal("Succeeded", Dc(done, "dc1").GetProperty("outcome").GetString());
        var dc2 = Dc(done, "dc2");
        Assert.Equal("PartiallyApplied", dc2.GetProperty("outcome").GetString());
        Assert.Contains("1 of 2 instances loaded it", dc2.GetProperty("message").GetString());
        Assert.Equal([("instance-3", "Loaded"), ("instance-4", "NotPushed")], Instances(dc2));

        // The truth: the lab received exactly one push in dc2.
        var pushes = factory.LabPushes().Skip(before).ToList();
        Assert.Equal([("dc1", "instance-3"), ("dc1", "instance-4"), ("dc2", "instance-3")], pushes.Select(p => (p.DatacenterId, p.InstanceId)));
        Assert.True(Group(await VersionsAsync(), "group-3").GetProperty("drift").GetBoolean());
        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        Assert.Contains(audit, a => a.Action == "deployment.stopped" && a.Target == $"deployment {Id(created)}" && a.Details!.StartsWith("During dc2:"));
    }

    [Fact]
    public async Task LoadInFlightWhenBlockIsPublished_IsNotRecalled_ItsOutcomeIsLearnedFromTheAnm_AndTheRestIsNotPushed()
    {
        var before = factory.LabPushes().Count;
        // dc2's instance-3 takes 2 s (the lab's slow delay) to take the load; Block is published 300 ms into it.
        (await factory.FaultAsync("dc2/instance-3", "slow")).EnsureSuccessStatusCode();
        try
        {
            factory.Gate.RevokeAfter = ("dc2", TimeSpan.FromMilliseconds(300));
            var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore inflight='{Guid.NewGuid()}'/>"));
            var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("inflight.fed", fed)), HttpStatusCode.Created);
            var done = await factory.WaitForFinishAsync(Id(created));

            Assert.Equal("Stopped", done.GetProperty("state").GetString());
            Assert.EndsWith("Per datacenter: dc1: 2 of 2 loaded; dc2: 1 of 2 loaded, 1 not reached.", done.GetProperty("summary").GetString());
            var dc2 = Dc(done, "dc2");
            Assert.Equal([("instance-3", "Loaded"), ("instance-4", "NotPushed")], Instances(dc2));
            var inFlight = dc2.GetProperty("instances").EnumerateArray().First();
            Assert.True(inFlight.GetProperty("inFlightWhenBlocked").GetBoolean());
            Assert.StartsWith("In flight when Block was published", inFlight.GetProperty("message").GetString());
            Assert.Contains("as dc2's ANM reported at", inFlight.GetProperty("message").GetString());

            // The truth: the lab loaded instance-3 after the turn, and never received instance-4's load.
            var archive = inFlight.GetProperty("archiveId").GetString();
            var pushes = factory.LabPushes().Skip(before).Where(p => p.DatacenterId == "dc2").ToList();
            var loaded = Assert.Single(pushes);
            Assert.Equal(("instance-3", archive, DeploymentLog.Loaded), (loaded.InstanceId, loaded.ArchiveId, loaded.Outcome));
            // Learned from the ANM once the lab had loaded it, not before.
            Assert.True(inFlight.GetProperty("learnedAt").GetDateTimeOffset() >= loaded.Time);
        }
        finally
        {
            await factory.HealAsync();
        }
    }

    [Fact]
    public async Task StateTurnsWhileTheSecondDatacentersTopologyIsRead_NothingIsSentToIt()
    {
        var before = factory.LabPushes().Count;
        var dc2Questions = 0;
        factory.Gate.Script = (_, dcs) =>
            dcs.Count == 1 && dcs.Contains("dc2") && Interlocked.Increment(ref dc2Questions) > 1
                ? (GuardrailDecision.Block, ["dc2 is down"])
                : (GuardrailDecision.Allow, []);
        var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore late='{Guid.NewGuid()}'/>"));

        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2", ("late.fed", fed)), HttpStatusCode.Created);
        var done = await factory.WaitForFinishAsync(Id(created));

        Assert.Equal("Stopped", done.GetProperty("state").GetString());
        Assert.Equal("Blocked", Dc(done, "dc2").GetProperty("outcome").GetString());
        Assert.DoesNotContain(factory.LabPushes().Skip(before), p => p.DatacenterId == "dc2");
        Assert.Equal(2, dc2Questions);
    }

    [Fact]
    public async Task StoppedInstance_IsReportedFailed_TheRestLoad_AndTheDeploymentIsPartial()
    {
        var before = factory.LabPushes().Count;
        (await factory.FaultAsync("dc2/instance-4", "down")).EnsureSuccessStatusCode();
        try
        {
            var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore partial='{Guid.NewGuid()}'/>"));
            var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "dmz", ("p.fed", fed)), HttpStatusCode.Created);
            var done = await factory.WaitForFinishAsync(Id(created));

            Assert.Equal("PartiallyApplied", done.GetProperty("state").GetString());
            Assert.Equal("Succeeded", Dc(done, "dc1").GetProperty("outcome").GetString());
            var dc2 = Dc(done, "dc2");
            Assert.Equal("PartiallyApplied", dc2.GetProperty("outcome").GetString());
            Assert.Equal([("instance-3", "Loaded"), ("instance-4", "Failed")], Instances(dc2));
            Assert.Contains("503", dc2.GetProperty("instances")[1].GetProperty("message").GetString());
            Assert.Equal(
                [("dc1", "instance-3", "Loaded"), ("dc1", "instance-4", "Loaded"), ("dc2", "instance-3", "Loaded"), ("dc2", "instance-4", "InstanceUnavailable")],
                factory.LabPushes().Skip(before).Select(p => (p.DatacenterId, p.InstanceId, p.Outcome)));
        }
        finally
        {
            await factory.HealAsync();
        }
    }

    [Fact]
    public async Task Blocked_Is423WithTheReasons_NothingStoredNothingPushed()
    {
        factory.Gate.Script = (_, _) => (GuardrailDecision.Block, ["dc2 is down"]);
        var (deployments, pushes) = (await CountDeploymentsAsync(), factory.LabPushes().Count);

        var blocked = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2", ("a.fed", DeploymentLabFactory.Zip(("c.xml", "x")))), HttpStatusCode.Locked);

        Assert.Equal("Block", blocked.GetProperty("decision").GetString());
        Assert.Equal(["dc2 is down"], blocked.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.True(blocked.GetProperty("overrideAllowed").GetBoolean());
        Assert.Equal(deployments, await CountDeploymentsAsync());
        Assert.Equal(pushes, factory.LabPushes().Count);
    }

    [Fact]
    public async Task Warn_NeedsConfirmation_Then409BecomesA201()
    {
        factory.Gate.Script = (_, _) => (GuardrailDecision.Warn, ["dc1/cassandra-2 is down"]);
        var deployments = await CountDeploymentsAsync();
        var fed = DeploymentLabFactory.Zip(("c.xml", $"warn {Guid.NewGuid()}"));

        var warned = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2", ("w.fed", fed)), HttpStatusCode.Conflict);
        Assert.Equal(["dc1/cassandra-2 is down"], warned.GetProperty("warnings").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(deployments, await CountDeploymentsAsync());

        var confirmed = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2",
            new Dictionary<string, string> { ["confirmWarnings"] = "true" }, ("w.fed", fed)), HttpStatusCode.Created);
        Assert.True(confirmed.GetProperty("warningsConfirmed").GetBoolean());
        Assert.Equal("Succeeded", (await factory.WaitForFinishAsync(Id(confirmed))).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Override_WithAWrittenReason_DeploysAndIsAuditedWithTheVerdict()
    {
        factory.Gate.Script = (_, _) => (GuardrailDecision.Block, ["The inter-DC link is down"]);
        var fed = DeploymentLabFactory.Zip(("c.xml", $"override {Guid.NewGuid()}"));

        await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2",
            new Dictionary<string, string> { ["overrideReason"] = "short" }, ("o.fed", fed)), HttpStatusCode.BadRequest);
        var created = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2",
            new Dictionary<string, string> { ["overrideReason"] = "Security fix INC-4711 must go out now" }, ("o.fed", fed)), HttpStatusCode.Created);

        Assert.Equal("Security fix INC-4711 must go out now", created.GetProperty("overrideReason").GetString());
        var done = await factory.WaitForFinishAsync(Id(created));
        Assert.Equal("Succeeded", done.GetProperty("state").GetString());
        Assert.Contains("Pushed although the guardrail said Block", Dc(done, "dc2").GetProperty("message").GetString());
        var audit = await factory.Services.GetRequiredService<AuditLog>().RecentAsync(50, CancellationToken.None);
        var entry = Assert.Single(audit, a => a.Action == "deployment.override" && a.Details!.Contains("INC-4711"));
        Assert.Contains("Guardrail at that moment: Block", entry.Details);
        Assert.Contains("The inter-DC link is down", entry.Details);
        Assert.Contains("Estate at that moment: dc1 ", entry.Details);
    }

    public static TheoryData<string, string?, string?, string[], string> BadUploads()
    {
        return new TheoryData<string, string?, string?, string[], string>
        {
            { "not a zip", "GatewayConfiguration", "group-2", ["text.fed"], "'text.fed' is not a zip archive" },
            { "zip bomb", "GatewayConfiguration", "group-2", ["bomb.fed"], "(a zip bomb?)" },
            { "path traversal", "GatewayConfiguration", "group-2", ["evil.fed"], "path outside the archive: '../../etc/cron.d/x'" },
            { "absolute path", "GatewayConfiguration", "group-2", ["abs.fed"], "path outside the archive: '/etc/passwd'" },
            { "over the size limit", "GatewayConfiguration", "group-2", ["big.fed"], "over the size limit of 200000 bytes" },
            { ".pol without .env", "GatewayConfiguration", "group-2", ["a.pol"], "'a.pol' is a .pol without its .env" },
            { "unknown group", "GatewayConfiguration", "group-9", ["a.fed"], "The group 'group-9' is unknown" },
            { "unknown kind", "Database", "group-2", ["a.fed"], "The kind 'Database' is unknown" },
            { "numeric kind", "1", "group-2", ["a.fed"], "The kind '1' is unknown" },
            { "no file", "GatewayConfiguration", "group-2", [], "No file was uploaded" },
            { "no kind", null, "group-2", ["a.fed"], "The kind is missing" },
        };
    }

    private static byte[] Content(string fileName) => fileName switch
    {
        "a.fed" or "a.pol" => DeploymentLabFactory.Zip(("c.xml", "x")),
        "text.fed" => Encoding.UTF8.GetBytes("just text, no zip"),
        "bomb.fed" => Deflated(("zeros.bin", new byte[60 << 20])),
        "evil.fed" => DeploymentLabFactory.Zip(("../../etc/cron.d/x", "* * * * * root sh")),
        "abs.fed" => DeploymentLabFactory.Zip(("/etc/passwd", "root::0:0")),
        "big.fed" => DeploymentLabFactory.Zip(("noise.bin", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000)))),
        _ => throw new ArgumentException(fileName),
    };

    private static byte[] Deflated((string Name, byte[] Content) entry)
    {
        using var buffer = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var stream = zip.CreateEntry(entry.Name, System.IO.Compression.CompressionLevel.SmallestSize).Open())
            stream.Write(entry.Content);
        return buffer.ToArray();
    }

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task BadUpload_Is400NamingTheProblem_NothingStoredNothingPushed(string _, string? kind, string? group, string[] files, string expected)
    {
        var (deployments, pushes, audits) = (await CountDeploymentsAsync(), factory.LabPushes().Count,
            (await factory.Services.GetRequiredService<AuditLog>().RecentAsync(1000, CancellationToken.None)).Count);
        var error = await PostAsync(DeploymentLabFactory.Form(kind, group, files.Select(f => (f, Content(f))).ToArray()), HttpStatusCode.BadRequest);

        Assert.Contains(expected, error.GetProperty("error").GetString());
        Assert.Equal(deployments, await CountDeploymentsAsync());
        Assert.Equal(pushes, factory.LabPushes().Count);
        Assert.Equal(audits, (await factory.Services.GetRequiredService<AuditLog>().RecentAsync(1000, CancellationToken.None)).Count);
        Assert.Empty(factory.Gate.Calls);
    }

    [Fact]
    public async Task BodyFarOverTheLimit_Is400_BeforeItIsRead()
    {
        var pushes = factory.LabPushes().Count;
        var deployments = await CountDeploymentsAsync();
        var huge = new byte[2 << 20];
        huge[0] = (byte)'P';
        huge[1] = (byte)'K';

        var error = await PostAsync(DeploymentLabFactory.Form("GatewayConfiguration", "group-2", ("huge.fed", huge)), HttpStatusCode.BadRequest);

        Assert.Contains("over the size limit of 200000 bytes", error.GetProperty("error").GetString());
        Assert.Equal(deployments, await CountDeploymentsAsync());
        Assert.Equal(pushes, factory.LabPushes().Count);
    }

    [Fact]
    public async Task NotMultipart_Is400()
    {
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/api/deployments", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("multipart/form-data", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownDeployment_Is404()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/api/deployments/987654");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<int> CountDeploymentsAsync()
    {
        using var client = factory.CreateClient();
        var list = await client.GetFromJsonAsync<JsonElement>("/api/deployments?count=500");
        return list.GetProperty("deployments").GetArrayLength();
    }
}
