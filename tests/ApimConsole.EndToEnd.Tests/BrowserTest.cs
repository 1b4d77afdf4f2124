using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>
/// A browser test's life: Chromium and a temp data folder for its console, all cleaned up afterwards. Its console
/// logs into the test's own output (<see cref="Output"/>), shown with the test when it fails.
/// </summary>
public abstract class BrowserTest(ITestOutputHelper output) : IAsyncLifetime
{
    protected ITestOutputHelper Output { get; } = output;

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

    /// <summary>
    /// A page in a new browser context in which "admin" signed in through the sign-in form (once per context, as a
    /// person would); the page is left on <paramref name="baseAddress"/>'s overview.
    /// </summary>
    protected async Task<IPage> NewSignedInPageAsync(Uri baseAddress, int width = 1400, int height = 1000,
        string user = "admin", string password = ConsoleServer.AdminPassword)
    {
        var context = await Chromium!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        await SignInAsync(page, baseAddress, user, password);
        return page;
    }

    /// <summary>
    /// A wall screen: a page (of <paramref name="width"/>×<paramref name="height"/>) that opened its wallboard link once
    /// and landed on /wall, as a TV in the operations room does.
    /// </summary>
    protected async Task<IPage> OpenWallAsync(Uri baseAddress, int width = 1920, int height = 1080)
    {
        var (_, secret) = await Server!.Services.GetRequiredService<ApimConsole.Web.Security.ApiTokenService>()
            .CreateAsync("ops-room", ApimConsole.Web.Security.ConsoleRoles.Viewer, ApimConsole.Storage.Records.ApiTokenKind.Wallboard, "admin", CancellationToken.None);
        var page = await Chromium!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        await page.GotoAsync(new Uri(baseAddress, "/wall?token=" + Uri.EscapeDataString(secret)).ToString());
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/wall$"));
        return page;
    }

    /// <summary>Signs in through /account/signin and waits for the console's shell.</summary>
    protected static async Task SignInAsync(IPage page, Uri baseAddress, string user, string password)
    {
        await page.GotoAsync(new Uri(baseAddress, "/account/signin").ToString());
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.GetByTestId("signed-in-user")).ToContainTextAsync(user);
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
            await Chromium.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        await ConsoleServer.DeleteDataFolderAsync(DataFolder);
    }
}
