using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Components.Pages;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components;

/// <summary>The overview of a 100-instances-per-datacenter estate: grouped and counted, only trouble listed, filterable.</summary>
public class OverviewScaleTests : BunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private readonly FakeEstateStatus _status = new(Estate(50, 30, down: ["dc1/instance-7", "dc1/instance-8", "dc2/cassandra-12"]));

    public OverviewScaleTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton<ApimConsole.Web.Alerts.IUnacknowledgedAlerts, NoUnacknowledgedAlerts>();
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<ApimConsole.Web.Restarts.IGatewayRestarter>(new FakeRestarter());
        Services.AddSingleton<ApimConsole.Storage.ConsoleStoreHealth>();
    }

    [Fact]
    public void LargeEstate_ListsOnlyComponentsNotUp_WithCountsPerStatePerSection()
    {
        var page = Render<Overview>();

        Assert.Equal(262, _status.Current.AllComponents().Count());
        var rows = page.FindAll("[data-component]").Select(r => r.GetAttribute("data-component")).ToList();
        Assert.Equal(["dc1/instance-7", "dc1/instance-8", "dc2/cassandra-12"], rows.Order());

        var dc1Internal = page.Find("[data-datacenter=dc1] [data-section=group-2]");
        Assert.Contains("48 up, 2 down", dc1Internal.TextContent);
        Assert.Contains("2 of 50 listed", dc1Internal.TextContent);
        Assert.Contains("50 up", page.Find("[data-datacenter=dc1] [data-section=group-3]").TextContent);
        Assert.Contains("none listed", page.Find("[data-datacenter=dc1] [data-section=group-3]").TextContent);
        Assert.Contains("29 up, 1 down", page.Find("[data-datacenter=dc2] [data-section=cassandra]").TextContent);
        Assert.Contains("1 up", page.Find("[data-datacenter=dc2] [data-section=anm]").TextContent);
    }

    [Fact]
    public void ShowAll_ListsEveryComponent()
    {
        var page = Render<Overview>();
        page.FindComponent<MudBlazor.MudSwitch<bool>>().Find("input").Change(true);

        page.WaitForAssertion(() => Assert.Equal(262, page.FindAll("[data-component]").Count));
    }

    [Fact]
    public void Filter_ByName_ListsMatches_UpOrNot_AndByState_ListsThatState()
    {
        var page = Render<Overview>();
        var input = page.Find("[data-testid=filter-text] input, input[data-testid=filter-text]");

        input.Input("Frankfurt DMZ 4");
        page.WaitForAssertion(() => Assert.Equal(
            ["dc1/instance-54", "dc1/instance-90", "dc1/instance-91", "dc1/instance-92", "dc1/instance-93", "dc1/instance-94", "dc1/instance-95", "dc1/instance-96", "dc1/instance-97", "dc1/instance-98", "dc1/instance-99"],
            page.FindAll("[data-component]").Select(r => r.GetAttribute("data-component")!).Order(StringComparer.Ordinal).ToList()));

        page.Find("[data-testid=filter-text] input, input[data-testid=filter-text]").Input("down");
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-component]").Count));
        Assert.All(page.FindAll("[data-component]"), r => Assert.Equal("Down", r.GetAttribute("data-state")));
    }

    [Fact]
    public void ANewFailure_IsListedWithoutAskingForIt()
    {
        var page = Render<Overview>();
        _status.Publish(Estate(50, 30, down: ["dc2/instance-77"]));

        page.WaitForAssertion(() => Assert.Equal(["dc2/instance-77"], page.FindAll("[data-component]").Select(r => r.GetAttribute("data-component")).ToList()));
        Assert.Contains("49 up, 1 down", page.Find("[data-datacenter=dc2] [data-section=group-3]").TextContent);
    }

    [Fact]
    public void SmallEstate_KeepsEveryComponentListed_AndHasNoFilter()
    {
        _status.SetCurrentOnly(Estate(6, 12, down: ["dc1/instance-2"]));
        var page = Render<Overview>();

        Assert.Equal(2 * (1 + 12 + 12), page.FindAll("[data-component]").Count);
        Assert.Empty(page.FindAll("[data-testid=overview-filter]"));
        Assert.Empty(page.FindAll("[data-testid=section-summary]"));
    }

    /// <summary>Two datacenters, each an ANM, an internal and a DMZ group of <paramref name="perGroup"/>, and a ring.</summary>
    internal static EstateSnapshot Estate(int perGroup, int cassandra, IReadOnlyCollection<string> down)
    {
        ComponentState StateOf(string key) => down.Contains(key) ? ComponentState.Down : ComponentState.Up;
        string? ReasonOf(string key) => down.Contains(key) ? "connection refused" : null;

        DatacenterSnapshot Dc(string id, string name)
        {
            var groups = new[] { ("group-2", "Internal Zone", GatewayZone.Internal), ("group-3", "DMZ", GatewayZone.Dmz) }
                .Select((g, gi) => new GatewayGroupStatus(g.Item1, g.Item2, g.Item3,
                    Enumerable.Range(1, perGroup).Select(k =>
                    {
                        var n = gi * perGroup + k;
                        var key = $"{id}/instance-{n}";
                        return new GatewayInstanceStatus(id, $"instance-{n}", $"{name} {g.Item2} {k}", StateOf(key), T0, ReasonOf(key), g.Item1, $"127.0.2.{n}", "Running");
                    }).ToList()))
                .ToList();
            var nodes = Enumerable.Range(1, cassandra).Select(k =>
            {
                var key = $"{id}/cassandra-{k}";
                return new CassandraNodeStatus(id, $"cassandra-{k}", $"cassandra-{k}", StateOf(key), T0, ReasonOf(key), $"127.0.1.{k}:9042", id, "RAC1", "4.0.13", Guid.Empty, Guid.NewGuid(), true);
            }).ToList();
            return new DatacenterSnapshot(id, name, down.Any(d => d.StartsWith(id + "/", StringComparison.Ordinal)) ? DatacenterState.Degraded : DatacenterState.Up, T0, null,
                [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, StateOf($"{id}/anm"), T0, null)],
                groups, nodes);
        }

        return new EstateSnapshot(T0, "lab", "dc1", [Dc("dc1", "Frankfurt"), Dc("dc2", "Amsterdam")],
            new InterDatacenterLink(LinkState.Up, T0, null), null);
    }
}
