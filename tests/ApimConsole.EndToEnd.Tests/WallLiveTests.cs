using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>
/// The wall screen in a browser, against the embedded lab: live without a reload, nothing to click, and back on its
/// own with live data after the console is stopped and started again on the same port, with no one touching it.
/// </summary>
public sealed class WallLiveTests(ITestOutputHelper output) : BrowserTest(output)
{
    [Fact]
    public async Task Wall_ShowsTheEstateLive_AndRecoversByItself_AfterTheConsoleRestarts()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var address = Server.Start();
        // A wall screen opens its wallboard link once; the long-lived cookie it gets keeps it in, across the restart.
        var page = await OpenWallAsync(address);

        var dc1 = page.Locator("[data-datacenter=dc1]");
        var dc2 = page.Locator("[data-datacenter=dc2]");
        await Expect(dc1).ToHaveAttributeAsync("data-state", "Up");
        await Expect(dc2).ToHaveAttributeAsync("data-state", "Up");
        await Expect(page.GetByTestId("link")).ToHaveAttributeAsync("data-state", "Up");
        await Expect(page.GetByTestId("guardrail")).ToHaveAttributeAsync("data-decision", "Allow");
        await Expect(dc2.GetByTestId("dc-state")).ToHaveTextAsync("UP");

        // Read-only and made for a TV: no app bar, no controls, no cursor.
        Assert.Equal(0, await page.Locator("button, a[href], input, select, textarea, header.mud-appbar, nav").CountAsync());
        // The wall's stylesheet may still be on its way when the first snapshot is drawn: wait for it to apply (it fails
        // after Playwright's timeout if the cursor is never hidden).
        await page.WaitForFunctionAsync("() => getComputedStyle(document.querySelector('[data-datacenter=dc1]')).cursor === 'none'");

        // A fault through the lab's API shows on the wall without a reload, in words, not only in colour.
        using (var http = ConsoleServer.ApiClient(address))
            (await http.PostAsJsonAsync("/api/lab/faults", new { target = "dc2/instance-2", action = "down" })).EnsureSuccessStatusCode();
        await Expect(dc2).ToHaveAttributeAsync("data-state", "Degraded");
        await Expect(dc2.GetByTestId("dc-state")).ToHaveTextAsync("DEGRADED");
        await Expect(page.GetByTestId("scenario")).ToHaveAttributeAsync("data-scenario", "GatewayInstanceDown:dc2/instance-2");
        await Expect(page.GetByTestId("guardrail")).ToHaveAttributeAsync("data-decision", "Warn");
        Directory.CreateDirectory(ConsoleShellTests.ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "wall-instance-down.png") });

        // The console goes away. A marker that only survives if the page is never reloaded.
        await page.EvaluateAsync("() => window.__beforeRestart = true");
        await Server.DisposeAsync();
        Server = null;
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeVisibleAsync();

        // The console comes back on the same port with a fresh lab (no fault); it does not know the old circuit: the
        // wall reloads itself once the console answers, and shows the new, healthy estate.
        var asOfBefore = await page.GetByTestId("wall").GetAttributeAsync("data-asof");
        Server = new ConsoleServer(DataFolder, Output, address.Port, lab: true);
        Server.Start();

        await page.WaitForFunctionAsync("() => window.__beforeRestart === undefined", null, new() { Timeout = 45_000 });
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeHiddenAsync();
        await Expect(dc2).ToHaveAttributeAsync("data-state", "Up", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("scenario")).ToHaveAttributeAsync("data-scenario", "none");

        // Live, not a frozen page: the state's time keeps moving.
        var asOfAfter = await page.GetByTestId("wall").GetAttributeAsync("data-asof");
        Assert.NotEqual(asOfBefore, asOfAfter);
        await Expect(page.GetByTestId("wall")).Not.ToHaveAttributeAsync("data-asof", asOfAfter!);
        await Expect(page.GetByTestId("wall")).ToHaveAttributeAsync("data-stale", "false");
    }
}
