using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>Sign-in, roles, the CSP and wall screens in a real browser.</summary>
public sealed class SecurityBrowserTests(ITestOutputHelper output) : BrowserTest(output)
{
    [Fact]
    public async Task SignIn_WithTheInitialPassword_PagesWorkUnderTheCsp_WithoutConsoleErrors()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var baseAddress = Server.Start();
        var context = await Chromium!.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                errors.Add(message.Text);
        };

        // Not signed in: any page sends to the sign-in form.
        await page.GotoAsync(new Uri(baseAddress, "/traffic").ToString());
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", "not-the-password");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong user name or password");

        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", ConsoleServer.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        // Back where it was sent from, live (the circuit runs under the CSP).
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/traffic$"));
        await Expect(page.GetByTestId("signed-in-user")).ToContainTextAsync("admin");
        // The circuit is live (the theme switch is enabled only then) before the nav link is clicked.
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("Switch to (dark|light) theme") })).ToBeEnabledAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Tokens" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Tokens" })).ToBeVisibleAsync();
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));
    }

    [Fact]
    public async Task AViewer_SeesOnlyOverviewAndWall_AndCannotOpenDeployments()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var baseAddress = Server.Start();
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var viewer = new IdentityUser("vera");
            Assert.True((await users.CreateAsync(viewer, "Viewer-Password-1")).Succeeded);
            await users.AddToRoleAsync(viewer, ConsoleRoles.Viewer);
        }
        var page = await NewSignedInPageAsync(baseAddress, user: "vera", password: "Viewer-Password-1");
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Console sections" });
        await Expect(nav.GetByRole(AriaRole.Link)).ToHaveCountAsync(2);
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Wall" })).ToBeVisibleAsync();

        await page.GotoAsync(new Uri(baseAddress, "/deployments").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Deploy to every datacenter")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task WallScreen_OpensWithItsLink_AndLosesAccessWithinSecondsOfRevocation()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var baseAddress = Server.Start();
        var (_, secret) = await Server.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync("ops-room", ConsoleRoles.Viewer, ApiTokenKind.Wallboard, "admin", CancellationToken.None);
        // The administrator revokes it on the Tokens page.
        var admin = await NewSignedInPageAsync(baseAddress);
        await admin.GotoAsync(new Uri(baseAddress, "/admin/tokens").ToString());

        // The wall screen: its own browser, never signed in, opens the link once.
        var screen = await (await Chromium!.NewContextAsync()).NewPageAsync();
        await screen.GotoAsync(new Uri(baseAddress, "/wall?token=" + Uri.EscapeDataString(secret)).ToString());
        await Expect(screen).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/wall$"));
        // The wall has no app bar (no user shown): it is in when the estate's panels render live.
        await Expect(screen.Locator("[data-datacenter=dc1]")).ToBeVisibleAsync();

        await admin.Locator("tr[data-token='ops-room']").GetByTestId("revoke").ClickAsync();
        await Expect(admin.Locator("tr[data-token='ops-room']")).ToContainTextAsync("revoked");

        // The live circuit notices within the check interval, reloads, and the cookie no longer opens anything.
        await Expect(screen).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"), new() { Timeout = 10_000 });
    }
}
