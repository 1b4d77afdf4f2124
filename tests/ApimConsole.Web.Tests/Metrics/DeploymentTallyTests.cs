using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary><c>apimconsole_deployments</c> follows the console's store: recounted after its writes, read from memory by the scrape.</summary>
public sealed class DeploymentTallyTests
{
    [Fact]
    public async Task StoredDeployments_AreCountedByState_AndRecountedAfterEachWrite()
    {
        await using var host = new ConsoleTestHost();
        using var client = host.CreateClient();
        async Task<double?> CountAsync(string state)
        {
            var samples = Exposition.Parse(await client.GetStringAsync("/metrics"));
            var found = samples.Find("apimconsole_deployments", $"state={state}");
            return found.Count == 1 ? found[0].Value : null;
        }
        await Eventually.Until(async () => await CountAsync("succeeded") == 0, TimeSpan.FromSeconds(20), "the first count: no deployment");

        var store = host.Services.GetRequiredService<DeploymentStore>();
        var now = DateTimeOffset.UtcNow;
        var deployment = await store.AddAsync(new Deployment
        {
            RequestedAt = now, RequestedBy = "alice", Kind = ChangeKind.GatewayConfiguration, GroupId = "group-3", GroupName = "DMZ",
            FileNames = "dmz.fed", Bytes = 10, Sha256 = new string('b', 64), State = DeploymentState.Succeeded, StartedAt = now, FinishedAt = now,
        }, CancellationToken.None);
        await Eventually.Until(async () => await CountAsync("succeeded") == 1, TimeSpan.FromSeconds(20), "one succeeded deployment counted");

        await store.SetStateAsync(deployment.Id, DeploymentState.PartiallyApplied, "dc2 did not load it", CancellationToken.None);
        await Eventually.Until(async () => await CountAsync("partially_applied") == 1 && await CountAsync("succeeded") == 0, TimeSpan.FromSeconds(20),
            "the deployment counted in its new state only");
    }
}
