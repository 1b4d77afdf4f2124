using ApimConsole.Core.Deployments;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>The traffic page in Chromium against the embedded lab: chart labels a person can read, and deployments marked.</summary>
public sealed class TrafficBrowserTests(ITestOutputHelper output) : BrowserTest(output)
{
    /// <summary>The smallest chart text, in CSS pixels (MudChart's SVG labels came out at about 6 px in a third of 1366).</summary>
    private const double SmallestReadable = 11;

    [Fact]
    public async Task ChartLabels_AreReadable_AtEveryWidth_AndADeploymentIsMarked()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var address = Server.Start();
        // A recorded deployment to dc1 two minutes ago, and a break-glass one to dc2 a minute ago.
        var store = Server.Services.GetRequiredService<DeploymentStore>();
        var now = DateTimeOffset.UtcNow;
        foreach (var (minutesAgo, dc, overrideReason) in new[] { (2, "dc1", (string?)null), (1, "dc2", "security fix while dc1 is down") })
        {
            var deployment = await store.AddAsync(new Deployment
            {
                RequestedAt = now.AddMinutes(-minutesAgo), RequestedBy = "admin", Kind = ChangeKind.GatewayConfiguration, GroupId = "group-3", GroupName = "DMZ",
                FileNames = "dmz.fed", Sha256 = new string('0', 64), State = DeploymentState.Succeeded, OverrideReason = overrideReason,
            }, CancellationToken.None);
            await store.SetTargetAsync(deployment.Id, dc, null, DeploymentTargetOutcome.Succeeded, "abc", "loaded", CancellationToken.None);
        }

        var page = await NewSignedInPageAsync(address, 1366, 768);
        await page.GotoAsync(new Uri(address, "/traffic").ToString());
        var dc1 = page.Locator("[data-view=dc1]");
        await Expect(dc1.GetByTestId("chart-rate")).ToBeVisibleAsync();
        await Expect(dc1.GetByTestId("chart-rate").GetByTestId("chart-marker")).ToHaveAttributeAsync("data-kind", "deployment", new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-view=dc2]").GetByTestId("chart-rate").GetByTestId("chart-marker")).ToHaveAttributeAsync("data-kind", "override");
        await Expect(page.Locator("[data-view=combined]").GetByTestId("chart-rate").GetByTestId("chart-marker")).ToHaveCountAsync(2);

        Directory.CreateDirectory(ConsoleShellTests.ScreenshotFolder);
        var problems = new List<string>();
        foreach (var (width, height) in new[] { (1366, 768), (1920, 1080) })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            var found = await page.EvaluateAsync<string[]>("""
                (smallest) => [...document.querySelectorAll('.traffic-chart [data-testid=y-tick], .traffic-chart [data-testid=x-label], .traffic-chart [data-testid=chart-marker], .traffic-chart-title')]
                  .map(e => [e, parseFloat(getComputedStyle(e).fontSize), e.getBoundingClientRect()])
                  .filter(([e, size, r]) => size < smallest || r.height < smallest)
                  .map(([e, size, r]) => `${e.textContent.trim()}: ${size} px, ${r.height.toFixed(1)} px high`)
                """, SmallestReadable);
            problems.AddRange(found.Select(p => $"{width}x{height}: {p}"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, $"traffic-{width}.png"), FullPage = true });
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
