using System.Net.Http.Json;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Alerts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>The Alerts page in a browser: an outage's alert, a channel whose secret never reaches the page, a test sent
/// from the page to a receiver that is not there (its failed attempt in the delivery log); captured for the README.</summary>
public sealed class AlertsBrowserTests(ITestOutputHelper output) : BrowserTest(output)
{
    private const string Secret = "signing-secret-that-must-never-be-shown";

    [Fact]
    public async Task AlertsPage_ListsTheOutage_KeepsTheSecretWriteOnly_AndLogsATestSentToADeadReceiver()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var address = Server.Start();
        var settings = Server.Services.GetRequiredService<AlertSettings>();
        // Port 9 (discard) on loopback: nothing listens, so the attempt fails and is retried.
        var channel = await settings.SaveChannelAsync(null, new ChannelInput("On-call webhook", AlertChannelType.Webhook, "http://127.0.0.1:9/hooks/apim", Secret),
            "admin", CancellationToken.None);
        await settings.SaveRuleAsync(null, "kind=scenario severity>=warning", channel.Id, 30, "admin", CancellationToken.None);
        using var http = ConsoleServer.ApiClient(address);
        (await http.PostAsJsonAsync("/api/lab/faults", new { target = "dc2/instance-2", action = "down" })).EnsureSuccessStatusCode();

        var page = await NewSignedInPageAsync(address, 1400, 1500);
        await page.GotoAsync(new Uri(address, "alerts").ToString());
        await Expect(page.GetByTestId("alert-list")).ToContainTextAsync("instance-2", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("channel-list")).ToContainTextAsync("On-call webhook");

        // The theme toggle is enabled only once the circuit is up: a click before that would reach nobody.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" })).ToBeEnabledAsync();
        await page.GetByTestId("send-test").First.ClickAsync();
        await Expect(page.GetByTestId("alerts-notice")).ToBeVisibleAsync();
        // The outage's message and the test, each to the channel, each failed once and waiting for its retry.
        await Expect(page.GetByTestId("delivery-log")).ToContainTextAsync("test:", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("delivery-log")).ToContainTextAsync("scenario:");
        await Expect(page.Locator("[data-testid=delivery-log] tr[data-state=Pending]").First).ToContainTextAsync("On-call webhook");

        Assert.DoesNotContain(Secret, await page.ContentAsync(), StringComparison.Ordinal);
        // The guardrail's start-up Block (nothing probed yet) is the console knowing nothing, not an alert.
        Assert.DoesNotContain("not probed yet", await page.GetByTestId("alert-list").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
        Directory.CreateDirectory(ConsoleShellTests.ScreenshotFolder);
        var screenshot = Path.Combine(ConsoleShellTests.ScreenshotFolder, "alerts.png");
        File.Delete(screenshot);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        Assert.True(new FileInfo(screenshot).Length > 10_000, $"screenshot {screenshot} is too small");
    }
}
