using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>The Datacenters page in a browser at 1280x800, against the embedded lab: a Cassandra node going down.</summary>
public sealed class DatacentersLiveTests(ITestOutputHelper output) : BrowserTest(output)
{
    [Fact]
    public async Task BothDatacentersPresent_ACassandraNodeDownShowsDN_AndThePageNeverScrollsSideways()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var baseAddress = Server.Start();
        using var http = ConsoleServer.ApiClient(baseAddress);
        await Eventually.Until(() => http.GetFromJsonAsync<JsonElement>("/api/estate"),
            estate => estate.GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("state").GetString() == "Up"),
            TimeSpan.FromSeconds(30), "both datacenters Up (/api/estate)", every: TimeSpan.FromMilliseconds(200));

        var page = await NewSignedInPageAsync(baseAddress, 1280, 800);
        await page.GotoAsync(new Uri(baseAddress, "/datacenters?dc=dc2").ToString());

        await Expect(page.Locator("[data-datacenter-tab=dc1]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-datacenter-tab=dc2]")).ToBeVisibleAsync();
        var dc2 = page.Locator("[data-datacenter=dc2]");
        await Expect(dc2).ToHaveAttributeAsync("data-state", "Up");
        await Expect(dc2.GetByTestId("group")).ToHaveCountAsync(2);
        var node = page.Locator("tr[data-component='dc2/cassandra-2']");
        await Expect(node.GetByTestId("nodetool")).ToHaveTextAsync("UN");
        // The deployed archives come from the lab's ANM, read once the page is live.
        await Expect(page.GetByTestId("archives")).ToContainTextAsync("as the ANM answered");
        await Expect(page.Locator("tr[data-component='dc2/instance-1'] [data-testid=archive]")).Not.ToHaveTextAsync(new Regex("^(not read|reading|–)"));

        (await http.PostAsJsonAsync("/api/lab/faults", new { target = "dc2/cassandra-2", action = "down" })).EnsureSuccessStatusCode();

        // Live, without a reload: DN, with the reason, and the stored change in the node's history.
        await Expect(node.GetByTestId("nodetool")).ToHaveTextAsync("DN");
        await Expect(node).ToHaveAttributeAsync("data-state", "Down");
        await node.GetByTestId("history-toggle").ClickAsync();
        await Expect(page.Locator("[data-history='cassandra-2'] [data-testid=history-entry]").First).ToHaveAttributeAsync("data-to", "Down");
        await Expect(page.Locator("[data-datacenter=dc2] [data-incident^='CassandraNodeDown:dc2/cassandra-2']")).ToBeVisibleAsync();

        Assert.False(await ScrollsSidewaysAsync(page), "the page scrolls sideways at 1280 px with a node down and its history open");
        Directory.CreateDirectory(ConsoleShellTests.ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "datacenters-cassandra-down.png"), FullPage = true });

        // The other datacenter through its tab: the address follows, the page still fits.
        await page.Locator("[data-datacenter-tab=dc1]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"dc=dc1"));
        await Expect(page.Locator("[data-datacenter=dc1]")).ToBeVisibleAsync();
        await Expect(page.Locator("tr[data-component='dc1/cassandra-2'] [data-testid=nodetool]")).ToHaveTextAsync("UN");
        Assert.False(await ScrollsSidewaysAsync(page), "the page scrolls sideways at 1280 px on dc1");
    }

    private static Task<bool> ScrollsSidewaysAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > document.documentElement.clientWidth");
}
