using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Components;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using AuditPage = ApimConsole.Web.Components.Pages.Audit;

namespace ApimConsole.Web.Tests.Audit;

/// <summary>Issue #18: the Audit page shows the entries its address asks for, newest first, read-only for every role.</summary>
public sealed class AuditPageTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-auditpage-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(T0);
    private ServiceProvider _store = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _store = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        await _store.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(_store.GetRequiredService<AuditLog>());
        Services.AddSingleton(Options.Create(new EstateOptions
        {
            Datacenters = [new DatacenterOptions { Id = "dc1", Name = "Frankfurt" }, new DatacenterOptions { Id = "dc2", Name = "Amsterdam" }],
        }));

        var audit = _store.GetRequiredService<AuditLog>();
        foreach (var (actor, action, target) in new[]
        {
            (AuditActor.User("alice"), "deployment.override", "group-2 (Internal)"),
            (AuditActor.User("bob"), "repair.marked-done", "dc2/cassandra-1"),
            (AuditActor.Token("pipeline"), "runbook.restart", "dc1/instance-2"),
            (AuditActor.System, "deployment.finished", "deployment 7"),
            (AuditActor.User("alice"), "user.created", "carol"),
        })
        {
            await audit.RecordAsync(actor, action, target, "details of " + action, CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private static List<string?> Actions(IRenderedComponent<AuditPage> page) =>
        page.FindAll("tr[data-entry-id]").Select(r => r.GetAttribute("data-action")).ToList();

    [Fact]
    public async Task NoFilter_ShowsEveryEntry_NewestFirst_WithTheActorsKind_AndTheOverrideMarked()
    {
        var page = Render<AuditPage>();

        await page.WaitForAssertionAsync(() => Assert.Equal(5, page.FindAll("tr[data-entry-id]").Count));
        Assert.Equal(["user.created", "deployment.finished", "runbook.restart", "repair.marked-done", "deployment.override"], Actions(page));
        Assert.Equal(["User", "System", "Token", "User", "User"], page.FindAll("tr[data-entry-id]").Select(r => r.GetAttribute("data-kind")));
        Assert.Equal("5 entries", page.Find("[data-testid=audit-count]").TextContent.Trim());
        var overrideRow = page.Find("tr[data-action='deployment.override']");
        Assert.Contains("audit-override", overrideRow.ClassList);
        Assert.Contains("break-glass", overrideRow.QuerySelector("[data-testid=break-glass]")!.TextContent);
        Assert.Single(page.FindAll("[data-testid=break-glass]"));
    }

    [Theory]
    [InlineData("actor", "alice", new[] { "user.created", "deployment.override" })]
    [InlineData("kind", "Token", new[] { "runbook.restart" })]
    [InlineData("action", "deployment.", new[] { "deployment.finished", "deployment.override" })]
    [InlineData("target", "cassandra", new[] { "repair.marked-done" })]
    [InlineData("datacenter", "dc1", new[] { "runbook.restart" })]
    [InlineData("q", "details of user", new[] { "user.created" })]
    public async Task AFilterInTheAddress_ShowsOnlyTheMatchingRows(string key, string value, string[] expected)
    {
        var page = RenderAt($"/audit?{key}={Uri.EscapeDataString(value)}");

        await page.WaitForAssertionAsync(() => Assert.Equal(expected, Actions(page)));
        Assert.Contains($"{key}={Uri.EscapeDataString(value)}", page.Find("[data-testid=export-csv]").GetAttribute("href"));
    }

    [Fact]
    public async Task FiltersCombine_AndATimeRangeNarrows()
    {
        var page = RenderAt($"/audit?actor=alice&from={Uri.EscapeDataString(T0.AddMinutes(1).ToString("O"))}&to=2026-12-06T03:10Z");

        await page.WaitForAssertionAsync(() => Assert.Equal(["user.created"], Actions(page)));
        Assert.Equal("1 entry match", page.Find("[data-testid=audit-count]").TextContent.Trim());
    }

    [Fact]
    public void ABadValueInTheAddress_IsShown_NotIgnored()
    {
        var page = RenderAt("/audit?kind=Robot");

        Assert.Contains("kind 'Robot' is not an actor kind", page.Find("[data-testid=audit-problem]").TextContent);
        Assert.Empty(page.FindAll("tr[data-entry-id]"));
    }

    [Fact]
    public void FromAndTo_HaveNoPlaceholderThatReadsAsAValue_TheFormIsSaidUnderTheBox()
    {
        var page = Render<AuditPage>();

        foreach (var box in new[] { "filter-from", "filter-to" })
        {
            var input = page.Find($"[data-testid={box}] input, input[data-testid={box}]");
            Assert.True(string.IsNullOrEmpty(input.GetAttribute("placeholder")), $"{box} shows a time although none is set");
            Assert.True(string.IsNullOrEmpty(input.GetAttribute("value")));
        }
        Assert.Contains("e.g. 2026-12-06T03:00Z", page.Find("[data-testid=audit-filters]").TextContent);
        Assert.Contains("empty: up to now", page.Find("[data-testid=audit-filters]").TextContent);

        // A time from the address is a value in the box.
        var filtered = RenderAt("/audit?from=2026-12-06T03:02Z");
        Assert.Equal("2026-12-06T03:02Z", filtered.Find("[data-testid=filter-from] input, input[data-testid=filter-from]").GetAttribute("value"));
    }

    [Fact]
    public async Task BreakGlassButton_PutsTheOverrideFilterInTheAddress()
    {
        var page = Render<AuditPage>();
        await page.WaitForAssertionAsync(() => Assert.Equal(5, page.FindAll("tr[data-entry-id]").Count));

        await page.Find("[data-testid=show-overrides] button, button[data-testid=show-overrides]").ClickAsync(new());

        Assert.EndsWith("/audit?action=deployment.override", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task Support_ReadsTheTrail_AndSeesNoWriteControls()
    {
        SignInAs("sam", ConsoleRoles.Support);
        var page = Render<AuditPage>();

        await page.WaitForAssertionAsync(() => Assert.Equal(5, page.FindAll("tr[data-entry-id]").Count));
        // Only the filter bar's buttons and "Show newer": nothing that changes anything.
        var buttons = page.FindAll("button").Select(b => b.GetAttribute("data-testid") ?? b.Closest("[data-testid]")?.GetAttribute("data-testid") ?? b.TextContent.Trim()).ToHashSet();
        string[] allowed = ["apply", "clear", "show-overrides", "refresh", "filter-kind", "filter-datacenter"];
        Assert.All(buttons, b => Assert.Contains(b, allowed));
        Assert.Empty(page.FindAll("form[method=post], input[type=file]"));
    }

    /// <summary>Opens the page at an address, as a shared link would.</summary>
    private IRenderedComponent<AuditPage> RenderAt(string address)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        return Render<AuditPage>();
    }
}
