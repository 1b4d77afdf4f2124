using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>Issue #21, layout: tables usable at 1280 px, and the heading's focus ring for keyboard users only.</summary>
public sealed class LayoutBrowserTests(ITestOutputHelper output) : BrowserTest(output)
{
    /// <summary>
    /// Every table cell on the page that lies (partly) right of the viewport or of a box that clips it, without a
    /// scroll container in between that can bring it into view: "page: first cell text (why)".
    /// </summary>
    private const string UnreachableCells = """
        () => {
            const out = [];
            const vw = document.documentElement.clientWidth;
            for (const cell of document.querySelectorAll('table th, table td')) {
                const r = cell.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) continue;
                let scroller = null;
                let clipped = null;
                for (let a = cell.parentElement; a && a !== document.body; a = a.parentElement) {
                    const style = getComputedStyle(a);
                    const ar = a.getBoundingClientRect();
                    if (['auto', 'scroll'].includes(style.overflowX) && a.scrollWidth > a.clientWidth) { scroller = a; break; }
                    if (['hidden', 'clip'].includes(style.overflowX) && r.right > ar.right + 1) { clipped = a.className || a.tagName; break; }
                }
                if (clipped) out.push(`${cell.textContent.trim().slice(0, 30)} (cut by ${clipped})`);
                else if (!scroller && r.right > vw + 1) out.push(`${cell.textContent.trim().slice(0, 30)} (right edge ${Math.round(r.right)} > ${vw})`);
                else if (scroller && scroller.getBoundingClientRect().right > vw + 1) out.push(`${cell.textContent.trim().slice(0, 30)} (its scroll box runs past the viewport)`);
            }
            return out;
        }
        """;

    [Fact]
    public async Task At1280x800_EveryTableCellIsVisible_OrInsideAScrollContainer()
    {
        Server = new ConsoleServer(DataFolder, Output, lab: true);
        var baseAddress = Server.Start();
        var page = await NewSignedInPageAsync(baseAddress, 1280, 800);
        // The Cassandra tables need the lab's nodes; then every page with a main table.
        await page.GotoAsync(baseAddress.ToString());
        await Expect(page.Locator(".cassandra-status tr[data-component]").First).ToBeVisibleAsync();
        // The columns read first (status, address, since, schema) are in view without scrolling, in both datacenters.
        var hidden = await page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll('.cassandra-status')].flatMap(t => {
                const box = t.querySelector('.mud-table-container') ?? t;
                const right = Math.min(box.getBoundingClientRect().right, document.documentElement.clientWidth);
                return [...t.querySelectorAll('thead th')].slice(0, 4)
                    .filter(th => th.getBoundingClientRect().right > right + 1).map(th => th.textContent.trim());
            })
            """);
        Assert.Empty(hidden.EnumerateArray().Select(h => h.GetString()));
        var problems = new List<string>();
        foreach (var path in new[] { "/", "/datacenters", "/deployments", "/incidents", "/audit", "/admin/tokens", "/admin/users", "/data" })
        {
            await page.GotoAsync(new Uri(baseAddress, path).ToString());
            await Expect(page.Locator("h1").First).ToBeVisibleAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var cells = await page.EvaluateAsync<JsonElement>(UnreachableCells);
            problems.AddRange(cells.EnumerateArray().Select(c => $"{path}: {c.GetString()}"));
        }
        await page.GotoAsync(baseAddress.ToString());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleShellTests.ScreenshotFolder, "overview-1280.png"), FullPage = true });
        Assert.True(problems.Count == 0, "cells out of reach at 1280x800:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task HeadingFocusAfterNavigation_HasNoRingWithTheMouse_AndOneWithTheKeyboard()
    {
        Server = new ConsoleServer(DataFolder, Output);
        var baseAddress = Server.Start();
        var page = await NewSignedInPageAsync(baseAddress, 1400, 1000);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Console sections" });

        // A fresh load: the router focuses the heading, nobody used the keyboard, no ring.
        await page.GotoAsync(new Uri(baseAddress, "/runbooks").ToString());
        var runbooks = page.Locator("h1", new() { HasText = "Runbooks" });
        await Expect(runbooks).ToBeFocusedAsync();
        Assert.Equal("none", await runbooks.EvaluateAsync<string>("h => getComputedStyle(h).outlineStyle"));

        await nav.GetByRole(AriaRole.Link, new() { Name = "Datacenters" }).ClickAsync();
        var heading = page.Locator("h1", new() { HasText = "Datacenters" });
        await Expect(heading).ToBeFocusedAsync();
        Assert.Equal("none", await heading.EvaluateAsync<string>("h => getComputedStyle(h).outlineStyle"));

        // The keyboard: focus the Traffic link and press Enter.
        await nav.GetByRole(AriaRole.Link, new() { Name = "Traffic" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var traffic = page.Locator("h1", new() { HasText = "Traffic" });
        await Expect(traffic).ToBeFocusedAsync();
        Assert.NotEqual("none", await traffic.EvaluateAsync<string>("h => getComputedStyle(h).outlineStyle"));
    }
}
