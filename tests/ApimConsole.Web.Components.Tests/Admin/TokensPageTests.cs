using ApimConsole.Core.Configuration;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Pages.Admin;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Components;
using Bunit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Admin;

/// <summary>Issue #21: the Tokens page copies a new secret, takes an optional expiry, and shows an expired token as such.</summary>
public sealed class TokensPageTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apimconsole-tokenspage-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(T0);
    private ServiceProvider _store = null!;
    private ApiTokenService _tokens = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _store = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root)
            .BuildServiceProvider();
        await _store.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);
        _tokens = new ApiTokenService(_store.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ConsoleDbContext>>(),
            _store.GetRequiredService<AuditLog>(), _time, Options.Create(new AuthOptions()));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(_tokens);
        Services.AddSingleton(_store.GetRequiredService<ConsoleStoreHealth>());
        Services.AddSingleton<TimeProvider>(_time);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void NewSecret_HasACopyButton_ThatPutsTheSecretOnTheClipboard()
    {
        var page = Render<TokensPage>();
        page.Find("input[data-testid=token-name], [data-testid=token-name] input").Input("pipeline");
        page.Find("button[data-testid=create-token]").Click();
        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent.Trim();
        Assert.NotEmpty(secret);
        var copy = JSInterop.SetupVoid("navigator.clipboard.writeText", secret);
        copy.SetVoidResult();

        page.Find("button[data-testid=copy-secret]").Click();

        Assert.Equal(secret, Assert.Single(copy.Invocations).Arguments.Single());
        page.WaitForAssertion(() => Assert.Contains("Copied", page.Find("button[data-testid=copy-secret]").TextContent));
    }

    [Fact]
    public void Copy_RefusedByTheBrowser_SaysToCopyByHand()
    {
        var page = Render<TokensPage>();
        page.Find("input[data-testid=token-name], [data-testid=token-name] input").Input("pipeline");
        page.Find("button[data-testid=create-token]").Click();
        page.WaitForElement("[data-testid=token-secret]");
        JSInterop.SetupVoid("navigator.clipboard.writeText", _ => true).SetException(new Microsoft.JSInterop.JSException("NotAllowedError: Write permission denied."));

        page.Find("button[data-testid=copy-secret]").Click();

        page.WaitForAssertion(() => Assert.Contains("select the secret and copy it", page.Find("[data-testid=copy-error]").TextContent));
        Assert.DoesNotContain("Copied", page.Find("button[data-testid=copy-secret]").TextContent);
    }

    [Fact]
    public async Task ValidUntil_ExpiresAtTheEndOfThatDay_ThenTheTokenIsRefused_AndShownExpired()
    {
        var page = Render<TokensPage>();
        page.Find("input[data-testid=token-name], [data-testid=token-name] input").Input("short-lived");
        page.Find("input[data-testid=token-valid-until], [data-testid=token-valid-until] input").Input("2026-12-07");
        page.Find("button[data-testid=create-token]").Click();
        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent.Trim();

        var row = page.Find("tr[data-token=short-lived]");
        Assert.Equal("active", row.GetAttribute("data-state"));
        Assert.Equal("active, expires 2026-12-08 00:00:00Z", row.QuerySelector("[data-testid=token-state]")!.TextContent.Trim());
        Assert.NotNull(await _tokens.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None));

        _time.SetUtcNow(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero));
        // Refused as an unknown secret would be: nothing says it once worked.
        Assert.Null(await _tokens.FindAsync(secret, ApiTokenKind.Api, CancellationToken.None));
        var reloaded = Render<TokensPage>();
        var expired = reloaded.Find("tr[data-token=short-lived]");
        Assert.Equal("expired", expired.GetAttribute("data-state"));
        Assert.Equal("expired 2026-12-08 00:00:00Z", expired.QuerySelector("[data-testid=token-state]")!.TextContent.Trim());
    }

    [Theory]
    [InlineData("2026-12-05", "is not in the future")]
    [InlineData("next week", "is not a date (yyyy-MM-dd)")]
    public void ValidUntil_InThePastOrNotADate_IsRefused_AndNothingIsCreated(string validUntil, string message)
    {
        var page = Render<TokensPage>();
        page.Find("input[data-testid=token-name], [data-testid=token-name] input").Input("bad");
        page.Find("input[data-testid=token-valid-until], [data-testid=token-valid-until] input").Input(validUntil);
        page.Find("button[data-testid=create-token]").Click();
        page.WaitForAssertion(() => Assert.Contains(message, page.Markup));
        Assert.Empty(page.FindAll("[data-testid=token-secret]"));
        Assert.Empty(page.FindAll("tr[data-token=bad]"));
    }
}
