using ApimConsole.Core.Estate;
using ApimConsole.Web.Components.Estate;
using Bunit;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components.Witness;

/// <summary>The link panel's word on the load balancer witness, with several members (Estate:LoadBalancer:StatusUrls).</summary>
public sealed class LinkPanelTests : ConsoleBunitContext, IAsyncLifetime
{
    // MudBlazor's services are async-disposable only: dispose the container asynchronously.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly InterDatacenterLink Up = new(LinkState.Up, Now.AddHours(-1), null);
    private static readonly LoadBalancerPool[] Pools = [new("dc1", true, 2, 2), new("dc2", true, 2, 2)];

    public LinkPanelTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private IRenderedComponent<LinkPanel> Panel(LoadBalancerView view) =>
        Render<LinkPanel>(p => p.Add(c => c.Link, Up).Add(c => c.LoadBalancer, view).Add(c => c.Now, Now));

    [Fact]
    public void AMemberLeftOut_IsNamedWithWhy_UnderAWitnessThatIsUp()
    {
        var panel = Panel(new LoadBalancerView(ComponentState.Up, Now.AddMinutes(-5), null, Pools, Now,
            ["https://gslb.ams.example:8404/stats: connection refused"]));

        Assert.Equal("Global load balancer: Up", panel.Find("[data-testid=witness-state]").TextContent);
        Assert.Equal("Read without one of its members: https://gslb.ams.example:8404/stats: connection refused",
            panel.Find("[data-testid=witness-unread]").TextContent);
    }

    [Fact]
    public void EveryMemberRead_OrTheWitnessDown_SaysNothingOfMembersLeftOut()
    {
        Assert.Empty(Panel(new LoadBalancerView(ComponentState.Up, Now, null, Pools, Now)).FindAll("[data-testid=witness-unread]"));
        var down = Panel(new LoadBalancerView(ComponentState.Down, Now, "no member of the load balancer answered: …", [], Now, ["a: b"]));
        Assert.Empty(down.FindAll("[data-testid=witness-unread]"));
        Assert.Contains("no member of the load balancer answered", down.Markup);
    }
}
