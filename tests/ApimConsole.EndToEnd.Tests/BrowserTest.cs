using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>A browser test's life: Chromium and a temp data folder for its console, all cleaned up afterwards.</summary>
public abstract class BrowserTest : IAsyncLifetime
{
    protected string DataFolder { get; } = Path.Combine(Path.GetTempPath(), "apimconsole-e2e-" + Guid.NewGuid().ToString("N"));
    protected ConsoleServer? Server { get; set; }
    protected IPlaywright? Playwright { get; private set; }
    protected IBrowser? Chromium { get; private set; }

    public async Task InitializeAsync()
    {
        // A circuit start, a reconnect and a reload take a few seconds on a busy CI machine.
        SetDefaultExpectTimeout(20_000);
        (Playwright, Chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
            await Chromium.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        ConsoleServer.DeleteDataFolder(DataFolder);
    }
}
