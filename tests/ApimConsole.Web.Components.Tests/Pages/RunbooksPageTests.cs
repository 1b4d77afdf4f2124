using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Web.Components.Pages;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Restarts;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Components.RunbookEstate;

namespace ApimConsole.Web.Tests.Components;

public class RunbooksPageTests : ConsoleBunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private readonly FakeEstateStatus _status = new(Estate(Dc("dc1"), Dc("dc2")));
    private readonly FakeRestarter _restarter = new();

    public RunbooksPageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton<IGatewayRestarter>(_restarter);
        Services.AddSingleton(TimeProvider.System);
        // What the host registers when nothing records incidents.
        Services.AddSingleton<IRecoveryStatus, NoRecoveryTracking>();
        Services.AddSingleton<IIncidentTimeline, NoIncidentTimeline>();
        Services.AddSingleton<ConsoleStoreHealth>();
    }

    private static string Button(string instance) => $"[data-instance='{instance}'] button[data-testid=restart-button]";

    [Fact]
    public void NothingInForce_SaysSo_AndTheCatalogHasEveryKind()
    {
        var page = Render<Runbooks>();
        Assert.NotNull(page.Find("[data-testid=no-scenario]"));
        Assert.Empty(page.FindAll("[data-scenario]"));
        Assert.Equal(Enum.GetValues<FailoverScenarioKind>().Length, page.FindAll("[data-catalog]").Count);
        // No recovery status registered: the section is not shown at all.
        Assert.Empty(page.FindAll("[data-testid=incomplete-recoveries]"));
    }

    [Fact]
    public void InstanceDown_WhileACassandraNodeOfItsDcIsDown_ButtonDisabled_WithTheReasonAsText()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down).WithInstance("instance-1", ComponentState.Down, "Stopped")));
        var page = Render<Runbooks>();

        var card = page.Find("[data-scenario='GatewayInstanceDown:dc2/instance-1']");
        Assert.Contains("Restart gateway instance DMZ 1", card.TextContent);
        Assert.NotNull(page.Find("[data-scenario='CassandraNodeDown:dc2/cassandra-1']"));
        page.WaitForAssertion(() => Assert.True(page.Find(Button("dc2/instance-1")).HasAttribute("disabled")));
        var reason = page.Find("[data-instance='dc2/instance-1'] [data-testid=restart-reason]").TextContent;
        Assert.Contains("Cassandra first", reason);
        Assert.Contains("dc2/cassandra-1 is Down", reason);
        Assert.Equal("false", page.Find("[data-instance='dc2/instance-1']").GetAttribute("data-allowed"));
    }

    [Fact]
    public void StartAllowed_ButtonEnabled_ClickStarts_AndTheResultIsShown()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, "Stopped")));
        var snackbars = Render<MudSnackbarProvider>();
        var page = Render<Runbooks>();

        page.WaitForAssertion(() => Assert.False(page.Find(Button("dc2/instance-1")).HasAttribute("disabled")));
        Assert.Contains("Start DMZ 1 (dc2/instance-1)", page.Find(Button("dc2/instance-1")).TextContent);
        Assert.Empty(page.FindAll("[data-instance='dc2/instance-1'] [data-testid=restart-reason]"));

        page.Find(Button("dc2/instance-1")).Click();

        var call = Assert.Single(_restarter.Calls);
        Assert.Equal(("dc2", "instance-1", RestartAction.Start, "test-admin"), call);
        snackbars.WaitForAssertion(() => Assert.Contains("started by the fake", snackbars.Markup));
    }

    [Fact]
    public void Support_SeesNoRestartButtons_ButWhatTheOrderAllows_AsText()
    {
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithCassandra(1, ComponentState.Down)
            .WithInstance("instance-1", ComponentState.Down, "Stopped")));
        var page = Render<Runbooks>();

        Assert.NotNull(page.Find("[data-scenario='GatewayInstanceDown:dc2/instance-1']"));
        Assert.Empty(page.FindAll("[data-testid=restart-button]"));
        Assert.Empty(page.FindComponents<ApimConsole.Web.Components.Controls.RestartControl>());
        Assert.Contains("Only administrators can start or restart", page.Find("[data-testid=restart-readonly]").TextContent);
        var line = page.Find("li[data-instance='dc2/instance-1']");
        Assert.Equal("false", line.GetAttribute("data-allowed"));
        Assert.Contains("dc2/cassandra-1 is Down", line.TextContent);
    }

    [Fact]
    public void Administrator_SeesTheRestartButtons_AndNoReadOnlyNote()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, "Stopped")));
        var page = Render<Runbooks>();
        page.WaitForAssertion(() => Assert.False(page.Find(Button("dc2/instance-1")).HasAttribute("disabled")));
        Assert.Empty(page.FindAll("[data-testid=restart-readonly]"));
    }

    [Fact]
    public void RestartOfARunningInstance_AsksFirst_AndCancelDoesNothing()
    {
        // Down by its health check while the ANM says the process runs: a restart, not a start.
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithInstance("instance-2", ComponentState.Down, "Running")));
        var dialogs = Render<MudDialogProvider>();
        var page = Render<Runbooks>();
        page.WaitForAssertion(() => Assert.False(page.Find(Button("dc2/instance-2")).HasAttribute("disabled")));
        Assert.Contains("Restart DMZ 2", page.Find(Button("dc2/instance-2")).TextContent);

        page.Find(Button("dc2/instance-2")).Click();
        dialogs.WaitForAssertion(() => Assert.Contains("stop it and start it again", dialogs.Markup));
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        Assert.Empty(_restarter.Calls);

        page.Find(Button("dc2/instance-2")).Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Restart").Click());
        page.WaitForAssertion(() => Assert.Equal(("dc2", "instance-2", RestartAction.Restart, "test-admin"), Assert.Single(_restarter.Calls)));
    }

    [Fact]
    public void DatacenterDown_CassandraFirst_EveryInstanceOfItDisabled()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").Down()));
        var page = Render<Runbooks>();
        var card = page.Find("[data-scenario='DatacenterDown:dc2']");
        Assert.Contains("Restart every Cassandra node of Amsterdam first", card.QuerySelector("ol li")!.TextContent);
        var controls = card.QuerySelectorAll("[data-instance]");
        Assert.Equal(["dc2/instance-1", "dc2/instance-2"], controls.Select(c => c.GetAttribute("data-instance")));
        Assert.All(controls, c => Assert.NotNull(c.QuerySelector("button[disabled]")));
        // The one reason that holds back both is said once, not under each button.
        var reason = Assert.Single(card.QuerySelectorAll("[data-testid=restart-reason-shared]"));
        Assert.Contains("Amsterdam is down", reason.TextContent);
        Assert.Empty(card.QuerySelectorAll("[data-testid=restart-reason]"));
    }

    [Fact]
    public void DatacenterDown_ReadOnly_SaysTheSharedReasonOnce()
    {
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").Down()));
        var page = Render<Runbooks>();
        var card = page.Find("[data-scenario='DatacenterDown:dc2']");
        Assert.Contains("Amsterdam is down", Assert.Single(card.QuerySelectorAll("[data-testid=restart-reason-shared]")).TextContent);
        var lines = card.QuerySelectorAll("li[data-instance]");
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.DoesNotContain("Amsterdam is down", l.TextContent));
        Assert.All(lines, l => Assert.Contains("not now (above)", l.TextContent));
    }

    [Fact]
    public void ButtonTurnsEnabled_Live_WhenCassandraIsWholeAgain()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithCassandra(2, ComponentState.Down).WithInstance("instance-1", ComponentState.Down, "Stopped")));
        var page = Render<Runbooks>();
        page.WaitForAssertion(() => Assert.Contains("dc2/cassandra-2 is Down", page.Find("[data-instance='dc2/instance-1']").TextContent));

        _status.Publish(Estate(Dc("dc1"), Dc("dc2").WithInstance("instance-1", ComponentState.Down, "Stopped")));
        page.WaitForAssertion(() =>
        {
            Assert.False(page.Find(Button("dc2/instance-1")).HasAttribute("disabled"));
            Assert.Empty(page.FindAll("[data-scenario='CassandraNodeDown:dc2/cassandra-2']"));
        });
    }

    [Fact]
    public void IncompleteRecoveries_AreListed_AndFollowChanges()
    {
        var recovery = new FakeRecoveryStatus();
        Services.AddSingleton<IRecoveryStatus>(recovery);
        var page = Render<Runbooks>();
        Assert.Contains("recovered from completely", page.Find("[data-testid=incomplete-recoveries]").TextContent);

        recovery.Set(new IncompleteRecovery("DatacenterDown:dc2", "Amsterdam down", T0, ["nodetool repair not yet marked done on dc2/cassandra-2"]));
        page.WaitForAssertion(() => Assert.Contains("nodetool repair not yet marked done on dc2/cassandra-2",
            page.Find("[data-incident='DatacenterDown:dc2']").TextContent));
        page.Instance.Dispose();
        Assert.Equal(0, recovery.Listeners);
    }

    [Fact]
    public void Dispose_Unsubscribes()
    {
        var page = Render<Runbooks>();
        Assert.Equal(1, _status.Subscribers);
        page.Instance.Dispose();
        Assert.Equal(0, _status.Subscribers);
    }

    private sealed class FakeRecoveryStatus : IRecoveryStatus
    {
        private readonly LiveFeed<IReadOnlyList<IncompleteRecovery>> _feed = new([]);

        public IReadOnlyList<IncompleteRecovery> Current => _feed.Current;

        public int Listeners => _feed.Subscribers;

        public FeedSubscription<IReadOnlyList<IncompleteRecovery>> Subscribe(int capacity = 16) => _feed.Subscribe(capacity);

        public void Set(params IncompleteRecovery[] recoveries) => _feed.Publish(recoveries);
    }
}
