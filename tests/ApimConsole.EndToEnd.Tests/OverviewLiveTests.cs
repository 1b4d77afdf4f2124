using System.Text.RegularExpressions;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>The overview in a browser, against the embedded lab: faults appear without a reload.</summary>
public sealed class OverviewLiveTests(ITestOutputHelper output) : BrowserTest(output)
{
    [Fact]
    public async Task Overview_ShowsFaultsLive_FromTheApiAndFromTheLabPanel()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var baseAddress = Server.Start();
        var page = await NewSignedInPageAsync(baseAddress, 1600, 1000);
        await page.GotoAsync(baseAddress.ToString());

        var instance = page.Locator("[data-component='dc2/instance-2']").First;
        await Expect(instance).ToHaveAttributeAsync("data-state", "Up");
        await Expect(page.Locator("[data-component='dc1/cassandra-3']")).ToHaveAttributeAsync("data-state", "Up");
        await Expect(page.GetByTestId("link")).ToHaveAttributeAsync("data-state", "Up");

        // A fault through the lab's HTTP API: the row turns Down without a reload, with its reason.
        using var http = ConsoleServer.ApiClient(baseAddress);
        (await http.PostAsJsonAsync("/api/lab/faults", new { target = "dc2/instance-2", action = "down" })).EnsureSuccessStatusCode();
        await Expect(instance).ToHaveAttributeAsync("data-state", "Down");
        await Expect(instance).ToContainTextAsync("Down");
        await Expect(page.Locator("[data-datacenter=dc2]")).ToHaveAttributeAsync("data-state", "Degraded");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "overview-instance-down.png"), FullPage = true });

        // The lab panel's button cuts the link; the overview then says so.
        await page.GotoAsync(new Uri(baseAddress, "/lab").ToString());
        // The theme toggle is enabled only once the circuit is live, so the click reaches the server.
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("Switch to (dark|light) theme") })).ToBeEnabledAsync();
        await page.GetByTestId("cut-link").ClickAsync();
        await page.GotoAsync(baseAddress.ToString());
        await Expect(page.GetByTestId("link")).ToHaveAttributeAsync("data-state", "Down");
        await Expect(page.Locator("[data-datacenter=dc2]")).ToHaveAttributeAsync("data-state", "Unreachable");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "overview-link-down.png"), FullPage = true });
    }
}
