using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

public sealed class ConsoleShellTests(ITestOutputHelper output) : BrowserTest(output)
{
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private async Task<IPage> OpenAsync(Uri baseAddress)
    {
        var page = await NewSignedInPageAsync(baseAddress, 1400, 860);
        await page.GotoAsync(baseAddress.ToString());
        return page;
    }

    /// <summary>The theme toggle is enabled only once the circuit is up; its label flips only if the click reached the server.</summary>
    private static async Task ToggleThemeToDarkAsync(IPage page)
    {
        var toDark = page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" });
        await Expect(toDark).ToBeEnabledAsync();
        await toDark.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeVisibleAsync();
        // The choice is written to the cookie just after the label flips; a test that restarts the server next must not
        // outrun that write (it once did, and the reloaded page came back light).
        await page.WaitForFunctionAsync("() => document.cookie.includes('apimconsole-theme=dark')");
    }

    [Fact]
    public async Task Console_BecomesInteractive_NavigatesBetweenSections_AndIsCaptured()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var page = await OpenAsync(Server.Start());

        await Expect(page.GetByText("End-to-end estate")).ToBeVisibleAsync();
        await ToggleThemeToDarkAsync(page);
        // The choice is written to the cookie just after the label flips.
        await page.WaitForFunctionAsync("() => document.cookie.includes('apimconsole-theme=dark')");

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Console sections" });
        await nav.GetByRole(AriaRole.Link, new() { Name = "Traffic" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/traffic$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Traffic", Level = 1 })).ToBeVisibleAsync();

        await nav.GetByRole(AriaRole.Link, new() { Name = "Deployments" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/deployments$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Deployments", Level = 1 })).ToBeVisibleAsync();
        // Still the same circuit and still dark: navigation did not reload the page.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeEnabledAsync();

        var screenshot = Path.Combine(ScreenshotFolder, "deployments.png");
        Directory.CreateDirectory(ScreenshotFolder);
        File.Delete(screenshot);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        var bytes = await File.ReadAllBytesAsync(screenshot);
        Assert.True(bytes.Length > 10_000, $"screenshot {screenshot} is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    public async Task ServerRestart_ShowsReconnecting_ThenReloadsByItself()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var address = Server.Start();
        var page = await OpenAsync(address);
        await ToggleThemeToDarkAsync(page);
        // A marker that only survives if the page is never reloaded.
        await page.EvaluateAsync("() => window.__beforeRestart = true");

        await Server.DisposeAsync();
        Server = null;
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeVisibleAsync();
        await Expect(page.GetByText("Reconnecting…")).ToBeVisibleAsync();

        Server = new ConsoleServer(DataFolder, Output, address.Port);
        Server.Start();

        // The new server does not know the old circuit: the page reloads itself and starts a new one.
        await page.WaitForFunctionAsync("() => window.__beforeRestart === undefined", null, new() { Timeout = 30_000 });
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeHiddenAsync();
        // The reload was served by the new server with the remembered (cookie) theme, and is interactive again.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeEnabledAsync();
    }
}
