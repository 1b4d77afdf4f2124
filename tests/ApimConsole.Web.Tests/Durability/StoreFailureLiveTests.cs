using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ApimConsole.Lab;
using ApimConsole.Storage;
using ApimConsole.Web.Tests.Deployments;
using ApimConsole.Web.Hubs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Durability;

/// <summary>The console with its embedded lab, allowing deployments, on a store the test can make refuse writes.</summary>
public sealed class StoreFailureFactory : DeploymentLabFactory
{
    public DiskFullSwitch DiskFull { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.ConfigureTestServices(services => services.AddSingleton<IInterceptor>(DiskFull));
        // The store refuses writes on purpose: the console's errors about it are the test's subject, asserted below.
        TestHostLogging.Configure(builder, provokesFailures: true);
    }
}

/// <summary>
/// Issue #9: the console's own store failing. Live status keeps flowing; an action that cannot be audited or recorded
/// is refused with 503 and not performed; state changes and incidents are queued and stored once the store recovers;
/// the store's failure is shown (<c>/api/store</c>, the status banner).
/// </summary>
public sealed class StoreFailureLiveTests(StoreFailureFactory factory) : IClassFixture<StoreFailureFactory>
{
    private async Task<JsonElement> GetAsync(string path)
    {
        using var client = factory.CreateClient();
        return await client.GetFromJsonAsync<JsonElement>(path);
    }

    private async Task<JsonElement> WaitAsync(string path, Func<JsonElement, bool> condition, string what, int seconds = 30)
    {
        return await Eventually.Until(() => GetAsync(path), condition, TimeSpan.FromSeconds(seconds), $"{what} ({path})",
            every: TimeSpan.FromMilliseconds(100));
    }

    private static bool HasScenario(JsonElement scenarios, string key) =>
        scenarios.GetProperty("scenarios").EnumerateArray().Any(s => s.GetProperty("key").GetString() == key);

    [Fact]
    public async Task DiskFull_StatusKeepsFlowing_ActionsAreRefusedLoudly_HistoryIsQueuedAndStoredAfterRecovery()
    {
        await factory.WaitForGroupsAsync();
        var lab = factory.Services.GetRequiredService<LabEstate>();
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>();
        var pushesBefore = factory.LabPushes().Count;
        int auditBefore, deploymentsBefore;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            auditBefore = await db.AuditEntries.CountAsync();
            deploymentsBefore = await db.Deployments.CountAsync();
        }
        Assert.False((await GetAsync("/api/store")).GetProperty("failing").GetBoolean());

        factory.DiskFull.Failing = true;
        var outageStart = DateTimeOffset.UtcNow;

        // A deployment: its record cannot be written, so it is refused with 503 and nothing reaches the lab.
        using (var client = factory.CreateClient())
        {
            var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));
            using var response = await client.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dmz.fed", fed)));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
            Assert.Contains("The console's store cannot record this action", body);
            Assert.Contains("database or disk is full", body);
        }
        // Retried, bounded: four attempts at the deployment row, then the refusal.
        Assert.Equal(StoreWriter.Delays.Count + 1, factory.DiskFull.Refused("INSERT INTO \"Deployments\""));

        // A restart: its audit entry cannot be written, so the instance is not touched.
        using (var client = factory.CreateClient())
        {
            using var response = await client.PostAsJsonAsync("/api/runbooks/restart", new { datacenterId = "dc1", instanceId = "instance-1", action = "restart" });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
            Assert.Contains("The console's store cannot record this action (audit", body);
        }
        Assert.DoesNotContain(lab.Faults.Log(), e => e.Source == "anm" && e.Time >= outageStart);

        // The failure is shown, since when.
        var store = await GetAsync("/api/store");
        Assert.True(store.GetProperty("failing").GetBoolean());
        Assert.Contains("database or disk is full", store.GetProperty("problem").GetString());
        Assert.True(store.GetProperty("failingSince").GetDateTimeOffset() >= outageStart);

        // Live status keeps flowing: a fault still shows, and goes, while the store refuses every write; on the
        // API and at a hub client.
        var server = factory.Server;
        var hubSnapshots = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, EstateHub.Path), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(TestAuth.BootstrapToken);
            })
            .Build();
        hub.On<JsonElement>(EstateHub.SnapshotMethod, s => hubSnapshots.Writer.TryWrite(s));
        await hub.StartAsync();
        var estateAsOf = (await GetAsync("/api/estate")).GetProperty("asOf").GetDateTimeOffset();
        (await factory.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();
        using (var hubDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (true)
            {
                var snapshot = await hubSnapshots.Reader.ReadAsync(hubDeadline.Token);
                var instance = snapshot.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc2")
                    .GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("instances").EnumerateArray())
                    .Single(i => i.GetProperty("id").GetString() == "instance-2");
                if (instance.GetProperty("state").GetString() == "Down")
                    break;
            }
        }
        await WaitAsync("/api/scenarios", s => HasScenario(s, "GatewayInstanceDown:dc2/instance-2"), "the instance-down scenario while the store fails");
        (await factory.FaultAsync("dc2/instance-2", "up")).EnsureSuccessStatusCode();
        await WaitAsync("/api/scenarios", s => !HasScenario(s, "GatewayInstanceDown:dc2/instance-2"), "the scenario to end while the store fails");
        Assert.True((await GetAsync("/api/estate")).GetProperty("asOf").GetDateTimeOffset() > estateAsOf);
        Assert.True((await GetAsync("/api/store")).GetProperty("failing").GetBoolean());
        var outageEnd = DateTimeOffset.UtcNow;

        // Nothing of it was written yet.
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(auditBefore, await db.AuditEntries.CountAsync());
            Assert.Equal(deploymentsBefore, await db.Deployments.CountAsync());
            Assert.False(await db.Incidents.AnyAsync(i => i.Key == "GatewayInstanceDown:dc2/instance-2"));
        }

        factory.DiskFull.Failing = false;

        // The queued history is stored: the Down and the Up of the flap during the outage, and its incident, opened and closed.
        await Eventually.Until(async () =>
            {
                await using var db = await contexts.CreateDbContextAsync();
                var changes = await db.ComponentStateChanges.AsNoTracking()
                    .Where(c => c.DatacenterId == "dc2" && c.ComponentId == "instance-2").ToListAsync();
                var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Key == "GatewayInstanceDown:dc2/instance-2");
                return (Changes: changes, Incident: incident);
            },
            stored =>
            {
                var during = stored.Changes.Where(c => c.At >= outageStart && c.At <= outageEnd).ToList();
                return during.Any(c => c.ToState == "Down") && during.Any(c => c.ToState == "Up" && c.FromState == "Down")
                    && stored.Incident?.EndedAt is not null;
            },
            TimeSpan.FromSeconds(60), "the outage's history to be stored after recovery",
            every: TimeSpan.FromMilliseconds(200),
            describe: stored => $"changes {string.Join(", ", stored.Changes.Select(c => $"{c.At:HH:mm:ss.fff} {c.FromState}->{c.ToState}"))}; "
                + $"incident {(stored.Incident is null ? "none" : $"{stored.Incident.StartedAt}-{stored.Incident.EndedAt}")}");
        await WaitAsync("/api/store", s => !s.GetProperty("failing").GetBoolean(), "the store to be shown healthy again");

        // Nothing refused was done behind the scenes: no deployment row, no push, no audit of the refused actions.
        Assert.Equal(pushesBefore, factory.LabPushes().Count);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Equal(deploymentsBefore, await db.Deployments.CountAsync());
            Assert.Equal(auditBefore, await db.AuditEntries.CountAsync());
        }

        // And with the store back, the same deployment goes through.
        using (var client = factory.CreateClient())
        {
            var fed = DeploymentLabFactory.Zip(("configs.xml", $"<entityStore version='{Guid.NewGuid()}'/>"));
            using var response = await client.PostAsync("/api/deployments", DeploymentLabFactory.Form("GatewayConfiguration", "group-3", ("dmz.fed", fed)));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }
}
