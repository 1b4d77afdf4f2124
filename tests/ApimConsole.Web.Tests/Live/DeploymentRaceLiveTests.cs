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
/// The race of issue 5: deployments submitted while the lab flaps the inter-DC link, then the lab's own record of
/// every push checked against the console's guardrail history. Zero pushes may land while the console said Block.
/// </summary>
public sealed class DeploymentRaceLiveTests(DeploymentRaceLiveTests.SlowLabConsoleFactory console, ITestOutputHelper output)
    : IClassFixture<DeploymentRaceLiveTests.SlowLabConsoleFactory>
{
    /// <summary>
    /// The real console and lab, with the lab's <c>slow</c> delay at 300 ms (under the guardrail's 2 s turn bound) and
    /// no generated traffic: the race makes every push take that long, so turns land on pushes in flight.
    /// </summary>
    public sealed class SlowLabConsoleFactory : LabConsoleFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Lab:SlowDelay", "00:00:00.300");
            builder.UseSetting("Lab:TrafficRatePerSecond", "0");
        }
    }

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task LinkFlappingWhileDeploying_NoPushLandsWhileTheConsoleSaysBlock()
    {
        // Both records are compared on one clock: the lab's pushes and the guardrail's history both read the wall
        // clock of this process. Proved here rather than assumed.
        Assert.Same(TimeProvider.System, console.Services.GetRequiredService<LabEstate>().Time);
        Assert.Same(TimeProvider.System, console.Services.GetRequiredService<TimeProvider>());

        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp() && e.GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("groups").GetArrayLength() == 2),
            Settle, "every component of both DCs up, both groups known");
        using (var client = console.CreateClient())
        {
            await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/guardrails"),
                g => !g.GetProperty("changes").EnumerateArray().Any(c => c.GetProperty("decision").GetString() == "Block"), Settle,
                "the guardrail to allow deployments on the all-up lab", every: TimeSpan.FromMilliseconds(100));
        }

        var result = await DeploymentRace.RunAsync(console, TimeSpan.FromSeconds(30), submitters: 4, seed: 5, slowPushes: true, log: output.WriteLine);
        output.WriteLine(result.Describe());
        foreach (var v in result.PushesWhileBlocked)
            output.WriteLine($"VIOLATION {v}");

        // The run exercised both sides: the console turned Block at times, some deployments pushed, some were refused or stopped.
        Assert.True(result.LinkFlaps >= 5, result.Describe());
        Assert.True(result.BlockIntervals >= 1, $"The console never turned Block: the race tested nothing.\n{result.Describe()}");
        Assert.True(result.PushesLoaded >= 1, $"No deployment pushed anything.\n{result.Describe()}");
        Assert.True(result.RefusedAtRequest + result.StoppedByGuardrail >= 1, $"No deployment was refused or stopped.\n{result.Describe()}");
        // The history covers every push (it starts when the console started, before any push).
        Assert.True(result.HistoryStarts < result.FirstPush, result.Describe());

        Assert.Empty(result.PushesWhileBlocked);
        Assert.Equal(0, console.Services.GetRequiredService<GuardrailService>().PermitsInFlight);
    }
}
