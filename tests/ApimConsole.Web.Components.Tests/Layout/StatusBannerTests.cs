using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.Recovery;
using ApimConsole.Web.Components.Layout;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Tests.Guardrails;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;

namespace ApimConsole.Web.Tests.Components;

public sealed class StatusBannerTests : ConsoleBunitContext, IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly FakeEstateStatus _status = new(At(T0));
    private readonly FakeRecoveryStatus _recovery = new();

    public StatusBannerTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddGuardrailFakes(_status, _recovery, _clock);
    }

    // MudBlazor's services are async-disposable only: dispose the container the async way.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static string Decision(IRenderedComponent<StatusBanner> banner, string kind) =>
        banner.Find($"[data-testid=guardrail-kind][data-kind={kind}]").GetAttribute("data-decision")!;

    [Fact]
    public void AllUp_IsGreen_BothKindsAllowed_NothingToExpand()
    {
        var banner = Render<StatusBanner>();

        var root = banner.Find("[data-testid=guardrail-banner]");
        Assert.Equal("Allow", root.GetAttribute("data-decision"));
        Assert.NotNull(banner.Find(".mud-alert-filled-success"));
        Assert.Equal("Deployments allowed", banner.Find("[data-testid=guardrail-headline]").TextContent.Trim());
        Assert.Equal("Allow", Decision(banner, "GatewayConfiguration"));
        Assert.Equal("Allow", Decision(banner, "KpsTableStructure"));
        Assert.Contains("KPS table structure: allowed", banner.Find("[data-kind=KpsTableStructure]").TextContent);
        Assert.Empty(banner.FindAll("[data-testid=guardrail-toggle]"));
        Assert.Empty(banner.FindAll("[data-testid=guardrail-first-reason]"));
    }

    [Fact]
    public void GatewayInstanceDown_IsOrange_AskingForConfirmation_WithTheReason()
    {
        var banner = Render<StatusBanner>();

        _status.Publish(At(T0, downInDc2: "instance-2"));

        banner.WaitForAssertion(() => Assert.Equal("Warn", banner.Find("[data-testid=guardrail-banner]").GetAttribute("data-decision")));
        Assert.NotNull(banner.Find(".mud-alert-filled-warning"));
        Assert.Empty(banner.FindAll(".mud-alert-filled-success"));
        Assert.Equal("Deployments need confirmation", banner.Find("[data-testid=guardrail-headline]").TextContent.Trim());
        Assert.Equal("Warn", Decision(banner, "GatewayConfiguration"));
        Assert.Contains("Gateway instance dc2/instance-2 in DMZ down", banner.Find("[data-testid=guardrail-first-reason]").TextContent);
    }

    [Fact]
    public void LinkDown_IsRed_Blocked_AndExpandsToEveryReasonPerKind()
    {
        var banner = Render<StatusBanner>();

        _status.Publish(At(T0, linkDown: true));
        _recovery.Set(new IncompleteRecovery("DatacenterDown:dc2", "Amsterdam down", T0.AddMinutes(-30), ["nodetool repair not yet marked done on dc2/cassandra-1"]));

        banner.WaitForAssertion(() =>
        {
            Assert.Equal("Block", banner.Find("[data-testid=guardrail-banner]").GetAttribute("data-decision"));
            Assert.Contains("2 reasons", banner.Find("[data-testid=guardrail-toggle]").TextContent);
        });
        Assert.NotNull(banner.Find(".mud-alert-filled-error"));
        Assert.Equal("Deployments blocked", banner.Find("[data-testid=guardrail-headline]").TextContent.Trim());
        Assert.Equal("Block", Decision(banner, "GatewayConfiguration"));
        Assert.Equal("Block", Decision(banner, "KpsTableStructure"));
        Assert.StartsWith("Inter-DC link down", banner.Find("[data-testid=guardrail-first-reason]").TextContent.Trim());
        Assert.Empty(banner.FindAll("[data-testid=guardrail-reasons]"));

        banner.Find("[data-testid=guardrail-toggle] button, button[data-testid=guardrail-toggle]").Click();

        // The click's render can land after a live update's (the fake feeds publish on their own threads): wait for it.
        var reasons = banner.WaitForElement("[data-testid=guardrail-reasons]", TimeSpan.FromSeconds(5));
        var kpsReasons = reasons.QuerySelectorAll("[data-kind=KpsTableStructure] [data-testid=guardrail-reason]").Select(r => r.TextContent).ToList();
        Assert.Equal(2, kpsReasons.Count);
        Assert.StartsWith("Inter-DC link down", kpsReasons[0]);
        Assert.Contains("nodetool repair not yet marked done on dc2/cassandra-1", kpsReasons[1]);
        Assert.Equal(2, reasons.QuerySelectorAll("[data-kind=GatewayConfiguration] [data-testid=guardrail-reason]").Length);

        banner.Find("button[data-testid=guardrail-toggle]").Click();
        banner.WaitForAssertion(() => Assert.Empty(banner.FindAll("[data-testid=guardrail-reasons]")), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Staleness_TurnsTheBannerRed_WithoutANewSnapshot()
    {
        var banner = Render<StatusBanner>();

        for (var i = 0; i < 5; i++)
            _clock.Advance(ProbeInterval);

        banner.WaitForAssertion(() => Assert.Equal("Block", banner.Find("[data-testid=guardrail-banner]").GetAttribute("data-decision")));
        Assert.Contains("older than 3 s", banner.Find("[data-testid=guardrail-first-reason]").TextContent);
    }

    [Fact]
    public void FollowsTheEstate_RedThenGreenAgain()
    {
        var banner = Render<StatusBanner>();

        _status.Publish(At(T0, linkDown: true));
        banner.WaitForAssertion(() => Assert.Equal("Block", banner.Find("[data-testid=guardrail-banner]").GetAttribute("data-decision")));

        _status.Publish(At(T0));
        banner.WaitForAssertion(() => Assert.Equal("Allow", banner.Find("[data-testid=guardrail-banner]").GetAttribute("data-decision")));
        Assert.Empty(banner.FindAll("[data-testid=guardrail-first-reason]"));
    }

    [Fact]
    public async Task Dispose_StopsListening()
    {
        var banner = Render<StatusBanner>();
        var guardrail = Services.GetRequiredService<GuardrailService>();
        using var heard = guardrail.Subscribe();
        var renders = banner.RenderCount;

        banner.Instance.Dispose();
        _recovery.Set(new IncompleteRecovery("DatacenterDown:dc2", "dc2 down", T0, []));

        Assert.Equal("Block", (await heard.Updates.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Worst.ToString());
        Assert.Equal(renders, banner.RenderCount);
    }
}
