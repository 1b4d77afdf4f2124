using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>The runbooks page in a browser, against the embedded lab: a datacenter outage and its restart order.</summary>
public sealed class RunbooksLiveTests(ITestOutputHelper output) : BrowserTest(output)
{
    [Fact]
    public async Task DatacenterDown_ShowsCassandraFirst_DisabledRestartsWithTheReason_AndWhatItMeansForTheData()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var baseAddress = Server.Start();
        using var http = ConsoleServer.ApiClient(baseAddress);
        await WaitForAsync(http, estate => estate.GetProperty("datacenters").EnumerateArray()
            .All(d => d.GetProperty("state").GetString() == "Up"), "both datacenters Up");

        var page = await NewSignedInPageAsync(baseAddress, 1400, 1000);
        await page.GotoAsync(new Uri(baseAddress, "/runbooks").ToString());
        await Expect(page.GetByTestId("no-scenario")).ToBeVisibleAsync();

        (await http.PostAsJsonAsync("/api/lab/faults", new { target = "dc2", action = "down" })).EnsureSuccessStatusCode();

        // Live, without a reload: the datacenter runbook, Cassandra first.
        var scenario = page.Locator("[data-scenario='DatacenterDown:dc2']");
        await Expect(scenario).ToBeVisibleAsync();
        await Expect(scenario.Locator("ol li").First).ToContainTextAsync("Restart every Cassandra node of");
        await Expect(scenario.Locator("ol li").Nth(2)).ToContainTextAsync("Only then restart the gateway instances");

        // The slash is escaped: Playwright passes the pattern on as a JavaScript /regex/.
        var restart = scenario.GetByRole(AriaRole.Button, new() { NameRegex = new Regex(@"(Start|Restart) .*\(dc2\/instance-1\)") });
        await Expect(restart).ToBeDisabledAsync();
        // The same reason holds back every instance of dc2: said once above the buttons.
        var reason = scenario.Locator("[data-testid=restart-reason-shared]").First;
        await Expect(reason).ToBeVisibleAsync();
        await Expect(reason).ToContainTextAsync("is down. Cassandra first");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "runbooks-dc-down.png"), FullPage = true });

        // The data-storage map says what the outage means for each kind of data.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console sections" }).GetByRole(AriaRole.Link, new() { Name = "Data storage" }).ClickAsync();
        await Expect(page.Locator("tr[data-data=EhcacheStores]")).ToContainTextAsync("Ehcache sessions in Amsterdam lost");
        await Expect(page.Locator("tr[data-data=GatewayConfiguration]")).ToHaveAttributeAsync("data-impact", "Blocked");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "data-storage-dc-down.png"), FullPage = true });

        (await http.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();
        await Expect(page.Locator("tr[data-data=GatewayConfiguration]")).ToHaveAttributeAsync("data-impact", "Normal");
        await page.GotoAsync(new Uri(baseAddress, "/runbooks").ToString());
        await Expect(page.GetByTestId("no-scenario")).ToBeVisibleAsync();
    }

    private static Task WaitForAsync(HttpClient http, Func<JsonElement, bool> condition, string what) =>
        Eventually.Until(() => http.GetFromJsonAsync<JsonElement>("/api/estate"), condition, TimeSpan.FromSeconds(30),
            $"{what} (/api/estate)", every: TimeSpan.FromMilliseconds(200));
}
