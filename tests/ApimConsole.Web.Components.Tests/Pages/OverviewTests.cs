using ApimConsole.Web.Tests.Incidents;
using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Components.Pages;
using Bunit;
using ApimConsole.Storage;
using ApimConsole.Web.Restarts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components;

public class OverviewTests : ConsoleBunitContext, IAsyncLifetime
{
    // MudBlazor's services are async-disposable only: dispose the container asynchronously.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private readonly FakeEstateStatus _status = new(Estate(ComponentState.Up, LinkState.Up, DatacenterState.Up));

    public OverviewTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IGatewayRestarter>(_restarter);
        Services.AddSingleton<ConsoleStoreHealth>();
    }

    private readonly FakeRestarter _restarter = new();

    [Fact]
    public void DownInstance_CanBeStartedFromTheOverview_ByAnAdministrator_ThroughTheRestarter()
    {
        _status.Publish(Estate(ComponentState.Down, LinkState.Up, DatacenterState.Degraded));
        var page = Render<Overview>();
        var button = "[data-datacenter-restarts=dc2] [data-instance='dc2/instance-2'] button[data-testid=restart-button]";
        page.WaitForAssertion(() => Assert.False(page.Find(button).HasAttribute("disabled")));
        Assert.Contains("Start DMZ 2 (dc2/instance-2)", page.Find(button).TextContent);
        // Only the Down instance is offered; dc1 has none.
        Assert.Single(page.FindAll("[data-testid=restart-button]"));

        page.Find(button).Click();
        Assert.Equal(("dc2", "instance-2", ApimConsole.Core.Scenarios.RestartAction.Start, "test-admin"), Assert.Single(_restarter.Calls));
    }

    [Fact]
    public void DownInstance_ForAViewer_NoRestartOnTheOverview()
    {
        SignInAs("vic", ApimConsole.Web.Security.ConsoleRoles.Viewer);
        _status.Publish(Estate(ComponentState.Down, LinkState.Up, DatacenterState.Degraded));
        var page = Render<Overview>();
        Assert.Equal("Down", page.Find("[data-component='dc2/instance-2']").GetAttribute("data-state"));
        Assert.Empty(page.FindAll("[data-testid=restart-panel]"));
        Assert.Empty(page.FindAll("[data-testid=restart-button]"));
    }

    [Fact]
    public void Liveness_TheLastRoundMovesWhileNothingChanges_AndAStalledFeedIsSaid()
    {
        var time = new FakeTimeProvider(T0.AddSeconds(1));
        Services.AddSingleton<TimeProvider>(time);
        var page = Render<Overview>();
        string Local(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("true", page.Find("[data-testid=live-indicator]").GetAttribute("data-live"));
        Assert.Contains($"live · checked {Local(T0)}", page.Find("[data-testid=live-indicator]").TextContent);

        // A round that says nothing new: subscribers hear nothing, the page's tick still shows the round.
        _status.SetCurrentOnly(Estate(ComponentState.Up, LinkState.Up, DatacenterState.Up) with { AsOf = T0.AddSeconds(4) });
        time.Advance(TimeSpan.FromSeconds(5));
        page.WaitForAssertion(() => Assert.Contains($"live · checked {Local(T0.AddSeconds(4))}", page.Find("[data-testid=live-indicator]").TextContent));
        Assert.Contains($"State as of {Local(T0)}", page.Find("[data-testid=as-of]").TextContent);

        // No round for 20 s: the page says it is not live, and since when.
        time.Advance(TimeSpan.FromSeconds(20));
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=live-indicator]").GetAttribute("data-live")));
        Assert.Contains($"not live: no status round since {Local(T0.AddSeconds(4))} (22 s ago)", page.Find("[data-testid=live-indicator]").TextContent);
    }

    [Fact]
    public void ShowsBothDatacenters_TheLink_AndEveryComponent()
    {
        var page = Render<Overview>();
        Assert.Equal(2, page.FindAll(".datacenter-panel").Count);
        Assert.Equal("Up", page.Find("[data-testid=link]").GetAttribute("data-state"));
        Assert.NotNull(page.Find("[data-component='dc2/instance-2']"));
        Assert.NotNull(page.Find("[data-component='dc1/cassandra-3']"));
        Assert.Contains("UN", page.Find("[data-component='dc1/cassandra-3']").TextContent);
    }

    [Fact]
    public void UpdatesLive_WhenTheEngineDoes_AndShowsTheReason()
    {
        var page = Render<Overview>();
        _status.Publish(Estate(ComponentState.Down, LinkState.Up, DatacenterState.Degraded));
        page.WaitForAssertion(() =>
        {
            var row = page.Find("[data-component='dc2/instance-2']");
            Assert.Equal("Down", row.GetAttribute("data-state"));
            Assert.Contains("connection refused", row.TextContent);
        });
        Assert.Equal("Degraded", page.Find("[data-datacenter=dc2]").GetAttribute("data-state"));
    }

    [Fact]
    public void Scenarios_AreListed_WorstFirst_OrNoneIsSaid()
    {
        var page = Render<Overview>();
        Assert.NotNull(page.Find("[data-testid=no-scenario]"));
        _status.Publish(Estate(ComponentState.Down, LinkState.Up, DatacenterState.Degraded));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-scenario='GatewayInstanceDown:dc2/instance-2']")));
        Assert.Empty(page.FindAll("[data-testid=no-scenario]"));
    }

    [Fact]
    public void LinkDown_IsSaidWithItsReason()
    {
        var page = Render<Overview>();
        _status.Publish(Estate(ComponentState.Up, LinkState.Down, DatacenterState.Unreachable));
        page.WaitForAssertion(() => Assert.Equal("Down", page.Find("[data-testid=link]").GetAttribute("data-state")));
        Assert.Contains("inter-DC link is down", page.Find("[data-testid=link-reason]").TextContent);
    }

    [Fact]
    public void LinkDown_TheOtherDatacenterAsItsConsoleSeesIt_IsMarkedSo()
    {
        var page = Render<Overview>();
        Assert.Empty(page.FindAll("[data-testid=dc-seen-by]"));
        var seen = Estate(ComponentState.Up, LinkState.Down, DatacenterState.Unreachable)
            .MapDatacenter("dc2", d => d with { SeenBy = new ApimConsole.Core.Peer.PeerSighting("dc2", T0.AddSeconds(33)) });
        _status.Publish(seen);
        page.WaitForAssertion(() => Assert.Equal("as seen by the console in dc2, 14:00:33",
            page.Find("[data-datacenter=dc2] [data-testid=dc-seen-by]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-datacenter=dc1] [data-testid=dc-seen-by]"));
        // Its components are shown as the peer reported them: Up, not Unknown.
        Assert.Equal("Up", page.Find("[data-component='dc2/instance-2']").GetAttribute("data-state"));
    }

    [Fact]
    public void ThePeerWitness_IsShown_AndWhyItIsNone()
    {
        var page = Render<Overview>();
        Assert.Empty(page.FindAll("[data-testid=peer-witness]"));
        var peer = new ApimConsole.Core.Peer.PeerWitness("dc2", "https://console-dc2.example", true, null, null, T0, T0);
        _status.Publish(Estate(ComponentState.Up, LinkState.Up, DatacenterState.Up) with { Peer = peer });
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=peer-witness]").GetAttribute("data-available")));
        Assert.Contains("Console in dc2: answering", page.Find("[data-testid=peer-witness]").TextContent);
        _status.Publish(Estate(ComponentState.Up, LinkState.Up, DatacenterState.Up) with
        {
            Peer = peer with { Available = false, Reason = "the peer refused the token (401): check Peer:Token" },
        });
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=peer-witness]").GetAttribute("data-available")));
        Assert.Contains("No peer witness", page.Find("[data-testid=peer-witness]").TextContent);
        Assert.Contains("check Peer:Token", page.Find("[data-testid=peer-reason]").TextContent);
    }

    [Fact]
    public void Dispose_Unsubscribes()
    {
        var page = Render<Overview>();
        Assert.Equal(1, _status.Subscribers);
        page.Instance.Dispose();
        Assert.Equal(0, _status.Subscribers);
    }

    private static EstateSnapshot Estate(ComponentState instance2, LinkState link, DatacenterState dc2State)
    {
        DatacenterSnapshot Dc(string id, ComponentState second, DatacenterState state) => new(
            id, id == "dc1" ? "Frankfurt" : "Amsterdam", state, T0, state == DatacenterState.Up ? null : "something is wrong",
            [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, ComponentState.Up, T0, null)],
            [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
            [
                new GatewayInstanceStatus(id, "instance-1", "DMZ 1", ComponentState.Up, T0, null, "group-3", "127.0.2.3", "Running"),
                new GatewayInstanceStatus(id, "instance-2", "DMZ 2", second, T0, second == ComponentState.Down ? "connection refused" : null, "group-3", "127.0.2.4", null),
            ])],
            Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", ComponentState.Up, T0, null,
                $"127.0.1.{i}:9042", id, "rack1", "4.1.3", Guid.Empty, Guid.NewGuid(), true)).ToList());

        return new EstateSnapshot(T0, "lab", "dc1",
            [Dc("dc1", ComponentState.Up, DatacenterState.Up), Dc("dc2", instance2, dc2State)],
            new InterDatacenterLink(link, T0, link == LinkState.Down ? "Unreachable from dc1, but the load balancer sees it serving: the inter-DC link is down." : null),
            null);
    }
}
