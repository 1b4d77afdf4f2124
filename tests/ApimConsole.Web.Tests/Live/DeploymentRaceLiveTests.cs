using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Benchmarks;
using ApimConsole.Lab;
using ApimConsole.Web.Guardrails;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// The race of issues 5 and 18: deployments submitted while the lab flaps the inter-DC link, with the lab's instances
/// taking a real time to load (<c>Lab:PushDelay</c>). Then the lab's own record of every load is checked against the
/// console's: no load was received by the lab while the console said Block; every load carried out under Block was
/// named on the turn as in flight; and for every instance it sent a load to, the console's record (Loaded or not)
/// agrees with the lab's, none left unknown. 30 s loads run in the benchmark (<c>--load-seconds</c>), not here.
/// </summary>
public abstract class DeploymentRaceLiveTests<TFactory>(TFactory console, ITestOutputHelper output)
    where TFactory : DeploymentRaceLiveTests<TFactory>.LoadTimeFactory
{
    /// <summary>The real console and lab, no generated traffic, loads of <see cref="LoadTime"/>; unknown loads are asked about every second.</summary>
    public abstract class LoadTimeFactory : LabConsoleFactory
    {
        public abstract TimeSpan LoadTime { get; }

        /// <summary>The longest a load may take to answer, and so how long a silent load stays unknown before the ANM's word makes it not loaded.</summary>
        public TimeSpan PushTimeout => TimeSpan.FromSeconds(Math.Max(10, LoadTime.TotalSeconds * 3));

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Lab:TrafficRatePerSecond", "0");
            builder.UseSetting("Lab:PushDelay", LoadTime.ToString("c", CultureInfo.InvariantCulture));
            builder.UseSetting("Deployments:PushTimeout", PushTimeout.ToString("c", CultureInfo.InvariantCulture));
            builder.UseSetting("Deployments:LearnInterval", "00:00:01");
        }
    }

    protected static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    protected TFactory Console => console;

    /// <summary>Heals the lab and waits until every component is up and the guardrail allows deploying.</summary>
    protected async Task SettleAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp() && e.GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("groups").GetArrayLength() == 2),
            Settle, "every component of both DCs up, both groups known");
        using var client = console.CreateClient();
        await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/guardrails"),
            g => !g.GetProperty("changes").EnumerateArray().Any(c => c.GetProperty("decision").GetString() == "Block"), Settle,
            "the guardrail to allow deployments on the all-up lab", every: TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task LinkFlappingWhileDeploying_NoLoadStartsUnderBlock_AndTheRecordsAgreeWithTheLab()
    {
        // Both records are compared on one clock: the lab's pushes and the guardrail's history both read the wall
        // clock of this process. Proved here rather than assumed.
        Assert.Same(TimeProvider.System, console.Services.GetRequiredService<LabEstate>().Time);
        Assert.Same(TimeProvider.System, console.Services.GetRequiredService<TimeProvider>());

        await SettleAsync();

        var result = await DeploymentRace.RunAsync(console, TimeSpan.FromSeconds(30), submitters: 4, seed: 5, slowPushes: false, log: output.WriteLine,
            learnWithin: console.PushTimeout + TimeSpan.FromSeconds(20));
        output.WriteLine(result.Describe());
        foreach (var v in result.PushesWhileBlocked)
            output.WriteLine($"VIOLATION {v}");
        foreach (var m in result.Mismatches)
            output.WriteLine($"MISMATCH {m}");

        // The run exercised both sides: the console turned Block at times, some deployments pushed, some were refused or stopped.
        Assert.True(result.LinkFlaps >= 3, result.Describe());
        Assert.True(result.BlockIntervals >= 1, $"The console never turned Block: the race tested nothing.\n{result.Describe()}");
        Assert.True(result.PushesLoaded >= 1, $"No deployment pushed anything.\n{result.Describe()}");
        Assert.True(result.RefusedAtRequest + result.StoppedByGuardrail >= 1, $"No deployment was refused or stopped.\n{result.Describe()}");
        // The history covers every push (it starts when the console started, before any push).
        Assert.True(result.HistoryStarts < result.FirstPush, result.Describe());

        Assert.Empty(result.PushesWhileBlocked);
        Assert.True(result.RecordsCompared >= 1, result.Describe());
        Assert.Empty(result.Mismatches);
        Assert.Equal(0, result.StillUnknown);
        Assert.Equal(result.RecordsCompared, result.RecordsAgreeing);
        Assert.Equal(0, console.Services.GetRequiredService<GuardrailService>().PermitsInFlight);
    }
}

/// <summary>Loads of 0.3 s: the guardrail's turn (bounded at 2 s) waits for a load in flight, so loads end before Block.</summary>
public sealed class DeploymentRaceShortLoadTests(DeploymentRaceShortLoadTests.Factory console, ITestOutputHelper output)
    : DeploymentRaceLiveTests<DeploymentRaceShortLoadTests.Factory>(console, output), IClassFixture<DeploymentRaceShortLoadTests.Factory>
{
    public sealed class Factory : LoadTimeFactory
    {
        public override TimeSpan LoadTime => TimeSpan.FromMilliseconds(300);
    }
}

/// <summary>Loads of 5 s (real loads often take longer than 2 s): a load is on the wire at most turns, and is named on them.</summary>
public sealed class DeploymentRaceFiveSecondLoadTests(DeploymentRaceFiveSecondLoadTests.Factory console, ITestOutputHelper output)
    : DeploymentRaceLiveTests<DeploymentRaceFiveSecondLoadTests.Factory>(console, output), IClassFixture<DeploymentRaceFiveSecondLoadTests.Factory>
{
    public sealed class Factory : LoadTimeFactory
    {
        public override TimeSpan LoadTime => TimeSpan.FromSeconds(5);
    }

    /// <summary>
    /// The post-mortem case of issue 18: loads of 5 s, a deployment accepted, dc2 goes down while dc1's first instance
    /// is loading, the guardrail publishes Block for dc1 and the lab loads that instance after it. The turn names the
    /// load, the record says it loaded (learned from dc1's ANM after the lab did it), and nothing else was sent.
    /// </summary>
    [Fact]
    public async Task Dc2GoesDownWhileDc1Loads_TheLoadIsNamedOnTheTurn_AndRecordedLoadedAsTheLabDidIt()
    {
        await SettleAsync();
        var lab = Console.Services.GetRequiredService<LabEstate>();
        var before = lab.Deployments.Snapshot().Count;
        using var client = Console.CreateClient();
        try
        {
            using var form = Web.Tests.Deployments.DeploymentLabFactory.Form("GatewayConfiguration", "group-3",
                ("inflight.fed", Web.Tests.Deployments.DeploymentLabFactory.Zip(("configs.xml", $"<entityStore inflight='{Guid.NewGuid()}'/>"))));
            using var created = await client.PostAsync("/api/deployments", form);
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            await Eventually.Until(() => Task.FromResult(lab.PushesInFlight), n => n > 0, Settle, "dc1's first load to be on the wire at the lab",
                every: TimeSpan.FromMilliseconds(20));
            (await client.PostAsJsonAsync("/api/lab/faults", new { target = "dc2", action = "down" })).EnsureSuccessStatusCode();

            var done = await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>($"/api/deployments/{id}"),
                d => d.GetProperty("state").GetString() is not ("Pending" or "Running"), TimeSpan.FromSeconds(60), $"deployment {id} to finish",
                every: TimeSpan.FromMilliseconds(100));

            // The lab: exactly one load, dc1's instance-3, carried out after Block was published for dc1.
            var load = Assert.Single(lab.Deployments.Snapshot().Skip(before));
            Assert.Equal(("dc1", "instance-3", "Loaded"), (load.DatacenterId, load.InstanceId, load.Outcome));
            var history = await client.GetFromJsonAsync<JsonElement>("/api/guardrails/history");
            var turn = history.GetProperty("transitions").EnumerateArray().Last(t =>
                t.GetProperty("kind").GetString() == "GatewayConfiguration" && t.GetProperty("datacenterId").GetString() == "dc1");
            Assert.Equal("Block", turn.GetProperty("decision").GetString());
            Assert.True(load.ReceivedAt < turn.GetProperty("at").GetDateTimeOffset() && turn.GetProperty("at").GetDateTimeOffset() < load.Time,
                $"the load ({load.ReceivedAt:O} to {load.Time:O}) spans the turn ({turn})");
            Assert.Equal([$"load of {load.ArchiveId} on dc1/instance-3 (deployment {id})"],
                turn.GetProperty("inFlight").EnumerateArray().Select(c => c.GetString()));

            // The record agrees, says when it learned it, and counts per datacenter.
            Assert.Equal("Stopped", done.GetProperty("state").GetString());
            Assert.EndsWith("Per datacenter: dc1: 1 of 2 loaded, 1 not reached; dc2: not reached.", done.GetProperty("summary").GetString());
            var dc1 = done.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc1");
            var instance3 = dc1.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("id").GetString() == "instance-3");
            Assert.Equal("Loaded", instance3.GetProperty("outcome").GetString());
            Assert.True(instance3.GetProperty("inFlightWhenBlocked").GetBoolean());
            Assert.True(instance3.GetProperty("learnedAt").GetDateTimeOffset() >= load.Time);
            Assert.Equal("NotPushed", dc1.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("id").GetString() == "instance-4").GetProperty("outcome").GetString());
        }
        finally
        {
            await Console.HealAsync();
        }
    }
}
