using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.Configuration;
using ApimConsole.Web.Components.Layout;
using ApimConsole.Web.Lab;
using ApimConsole.Web.Tests.Guardrails;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components;

public sealed class MainLayoutTests : ConsoleBunitContext, IAsyncLifetime
{
    private readonly BunitJSModuleInterop _themeModule;

    public MainLayoutTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        _themeModule = JSInterop.SetupModule("./js/theme.js");
        Services.AddMudServices();
        Services.AddSingleton(Options.Create(new EstateOptions { Name = "Frankfurt + Amsterdam" }));
        Services.AddGuardrailFakes(new FakeEstateStatus(GuardrailEstate.At(GuardrailEstate.T0)), new FakeRecoveryStatus(), new FakeTimeProvider(GuardrailEstate.T0));
        Services.AddSingleton<ILabControl, NoLab>();
    }

    // MudBlazor's services are async-disposable only: dispose the container the async way.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private IRenderedComponent<MainLayout> RenderLayout(bool? rememberedDarkMode = null) =>
        Render<MainLayout>(p =>
        {
            // App cascades the cookie's choice only when the browser has made one.
            if (rememberedDarkMode is { } dark)
                p.AddCascadingValue(nameof(ThemePreference), dark);
            p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<p id=\"page-body\">page</p>")));
        });

    [Fact]
    public void AppBar_ShowsTheEstateName_AndThePageBody()
    {
        var layout = RenderLayout();

        Assert.Equal("Frankfurt + Amsterdam", layout.Find(".console-estate-name").TextContent.Trim());
        Assert.NotNull(layout.Find("#page-body"));
    }

    [Fact]
    public void EveryPage_ShowsTheGuardrailBanner_AboveTheBody()
    {
        var layout = RenderLayout();

        var banner = layout.Find("[data-testid=guardrail-banner]");
        Assert.Equal("Allow", banner.GetAttribute("data-decision"));
        Assert.True(banner.CompareDocumentPosition(layout.Find("#page-body")).HasFlag(AngleSharp.Dom.DocumentPositions.Following));
    }

    [Fact]
    public void Navigation_LinksEverySection_InOrder()
    {
        var layout = RenderLayout();

        var links = layout.FindAll("nav a").Select(a => (a.TextContent.Trim(), a.GetAttribute("href"))).ToList();
        Assert.Equal(
            [("Overview", ""), ("Incidents", "incidents"), ("Datacenters", "datacenters"), ("Traffic", "traffic"), ("Logs", "logs"),
             ("Deployments", "deployments"), ("Runbooks", "runbooks"), ("Data storage", "data"), ("Audit", "audit"), ("Alerts", "alerts"), ("Wall", "wall"),
             ("Users", "admin/users"), ("Tokens", "admin/tokens")],
            links);
    }

    [Fact]
    public void Navigation_ForAViewer_ShowsOnlyOverviewAndWall()
    {
        SignInAs("wall-person", ApimConsole.Web.Security.ConsoleRoles.Viewer);
        var layout = RenderLayout();

        var links = layout.FindAll("nav a").Select(a => (a.TextContent.Trim(), a.GetAttribute("href"))).ToList();
        Assert.Equal([("Overview", ""), ("Wall", "wall")], links);
        Assert.Contains("wall-person", layout.Find("[data-testid=signed-in-user]").TextContent);
    }

    [Fact]
    public void Navigation_ForSupport_HasTheReadSections_ButNoAdministratorOnes()
    {
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        var layout = RenderLayout();

        var hrefs = layout.FindAll("nav a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["", "incidents", "datacenters", "traffic", "logs", "deployments", "runbooks", "data", "audit", "alerts", "wall"], hrefs);
        Assert.DoesNotContain("lab", hrefs);
    }

    [Fact]
    public void ThemeToggle_SwitchesToDark_AndRemembersTheChoice()
    {
        var layout = RenderLayout(rememberedDarkMode: false);

        layout.Find("button[aria-label='Switch to dark theme']").Click();

        layout.WaitForAssertion(() => Assert.Equal("dark", layout.Find("button[aria-label='Switch to light theme']").GetAttribute("data-theme")));
        var remembered = Assert.Single(_themeModule.Invocations, i => i.Identifier == "remember");
        Assert.Equal("dark", remembered.Arguments[0]);
    }

    [Fact]
    public void RememberedDarkChoice_StartsDark()
    {
        var layout = RenderLayout(rememberedDarkMode: true);

        Assert.Equal("dark", layout.Find("button[aria-label='Switch to light theme']").GetAttribute("data-theme"));
    }
}
