using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

public sealed class ConsoleShellTests : IAsyncLifetime
{
    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "apimconsole-e2e-" + Guid.NewGuid().ToString("N"));
    private ConsoleServer? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        // A circuit start, a reconnect and a reload take a few seconds on a busy CI machine.
        SetDefaultExpectTimeout(20_000);
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        ConsoleServer.DeleteDataFolder(_dataFolder);
    }

    private async Task<IPage> OpenAsync(Uri baseAddress)
    {
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 860 } });
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
    }

    [Fact]
    public async Task Console_BecomesInteractive_NavigatesBetweenSections_AndIsCaptured()
    {
        _server = new ConsoleServer(_dataFolder);
        var page = await OpenAsync(_server.Start());

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
        _server = new ConsoleServer(_dataFolder);
        var address = _server.Start();
        var page = await OpenAsync(address);
        await ToggleThemeToDarkAsync(page);
        // A marker that only survives if the page is never reloaded.
        await page.EvaluateAsync("() => window.__beforeRestart = true");

        await _server.DisposeAsync();
        _server = null;
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeVisibleAsync();
        await Expect(page.GetByText("Reconnecting…")).ToBeVisibleAsync();

        _server = new ConsoleServer(_dataFolder, address.Port);
        _server.Start();

        // The new server does not know the old circuit: the page reloads itself and starts a new one.
        await page.WaitForFunctionAsync("() => window.__beforeRestart === undefined", null, new() { Timeout = 30_000 });
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeHiddenAsync();
        // The reload was served by the new server with the remembered (cookie) theme, and is interactive again.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeEnabledAsync();
    }
}
