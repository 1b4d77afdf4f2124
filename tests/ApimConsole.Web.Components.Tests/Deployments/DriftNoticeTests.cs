using ApimConsole.Core.Live;
using ApimConsole.Web.Components.Deployments;
using ApimConsole.Web.Components.Layout;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Tests.Guardrails;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;

namespace ApimConsole.Web.Tests.Components;

/// <summary>
/// Drift stays visible until it is gone: the notice (on the Overview, under the banner and on the wall) says which group
/// runs which archives where and since when, says unknown for a datacenter whose ANM could not be read, and goes away
/// live once the archives are equal again.
/// </summary>
public sealed class DriftNoticeTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset Seen = new(2026, 11, 23, 14, 2, 11, TimeSpan.Zero);
    private readonly LiveFeed<DriftState> _drift = new(DriftState.NotReadYet);

    public DriftNoticeTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddGuardrailFakes(new FakeEstateStatus(At(T0)), new FakeRecoveryStatus(), new FakeTimeProvider(T0));
        Services.AddSingleton<ILiveFeed<DriftState>>(_drift);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static DriftState Drifted(params (string Dc, string Why)[] unread) => new(Seen.AddMinutes(5),
        [new DriftedGroup("group-3", "DMZ", "Instances run different archives: dc1: 2 × 1a2b3c4d5e6f; dc2: 2 × 9f8e7d6c5b4a.", Seen)],
        unread.ToDictionary(u => u.Dc, u => u.Why));

    [Fact]
    public void Drift_SaysWhichArchivesWhere_AndSinceWhen_UntilItIsGone()
    {
        _drift.Publish(Drifted());
        var notice = Render<DriftNotice>(p => p.Add(n => n.Place, "page"));

        var group = notice.Find("[data-drift-group=group-3]");
        Assert.Contains("Drift: DMZ (group-3) runs different archives since 14:02:11 UTC (first seen by this console).", group.TextContent);
        Assert.Contains("dc1: 2 × 1a2b3c4d5e6f; dc2: 2 × 9f8e7d6c5b4a", group.TextContent);
        Assert.Equal("true", notice.Find("[data-testid=drift-notice]").GetAttribute("data-drift"));

        // A deployment (or the estate) made them equal: the next reading has no drift, and the notice goes, live.
        _drift.Publish(new DriftState(Seen.AddMinutes(9), [], new Dictionary<string, string>()));
        notice.WaitForAssertion(() => Assert.Empty(notice.FindAll("[data-testid=drift-notice]")));
    }

    [Fact]
    public void AnAnmThatCannotBeRead_IsUnknown_NeverAssumedEqual()
    {
        _drift.Publish(new DriftState(Seen, [], new Dictionary<string, string> { ["dc2"] = "not asked: the ANM is Down (connection refused)" }));
        var notice = Render<DriftNotice>();

        Assert.Equal("false", notice.Find("[data-testid=drift-notice]").GetAttribute("data-drift"));
        Assert.Equal("Deployed archives in dc2: unknown (not asked: the ANM is Down (connection refused)), so drift there cannot be ruled out.",
            notice.Find("[data-drift-unread=dc2]").TextContent.Trim());
    }

    [Fact]
    public void NothingReadYet_OrAllEqual_ShowsNothing()
    {
        var notice = Render<DriftNotice>();
        Assert.Empty(notice.FindAll("[data-testid=drift-notice]"));
        _drift.Publish(new DriftState(Seen, [], new Dictionary<string, string>()));
        Assert.Empty(notice.FindAll("[data-testid=drift-notice]"));
    }

    [Fact]
    public void TheBanner_CarriesTheDrift_UnderTheGuardrail()
    {
        _drift.Publish(Drifted());
        var banner = Render<StatusBanner>();
        Assert.Contains("Drift: DMZ (group-3) runs different archives since 14:02:11 UTC", banner.Find("[data-testid=drift-notice]").TextContent);
    }

    [Fact]
    public void TheWall_NamesTheDrift_AndLeavesAnUnreadDatacenterToItsCard()
    {
        _drift.Publish(Drifted(("dc2", "no answer within 10 s")));
        var notice = Render<DriftNotice>(p => p.Add(n => n.Place, "wall"));
        Assert.Equal("Drift in DMZ since 14:02:11 UTC", notice.Find("[data-drift-group=group-3]").TextContent.Trim());
        Assert.Empty(notice.FindAll("[data-drift-unread]"));
    }

    [Fact]
    public void TheWall_ShowsNothing_WhenTheOnlyNewsIsADatacenterItCannotRead()
    {
        _drift.Publish(new DriftState(Seen, [], new Dictionary<string, string> { ["dc2"] = "no answer within 10 s" }));
        var notice = Render<DriftNotice>(p => p.Add(n => n.Place, "wall"));
        Assert.Empty(notice.FindAll("[data-testid=drift-notice]"));
        var page = Render<DriftNotice>(p => p.Add(n => n.Place, "page"));
        Assert.Equal("dc2", page.Find("[data-drift-unread]").GetAttribute("data-drift-unread"));
    }
}
