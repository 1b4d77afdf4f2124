using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.DataStorage;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Web.Components.Pages;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using static ApimConsole.Web.Tests.Components.RunbookEstate;

namespace ApimConsole.Web.Tests.Components;

public class DataStoragePageTests : ConsoleBunitContext, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private readonly FakeEstateStatus _status = new(Estate(Dc("dc1"), Dc("dc2")));

    public DataStoragePageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton(TimeProvider.System);
    }

    [Fact]
    public void EveryKindOfData_WhereItLives_AllNormal()
    {
        var page = Render<DataStorage>();
        var rows = page.FindAll("tr[data-data]");
        Assert.Equal(Enum.GetValues<DataKind>().Select(k => k.ToString()), rows.Select(r => r.GetAttribute("data-data")));
        Assert.All(rows, r => Assert.Equal("Normal", r.GetAttribute("data-impact")));
        Assert.Contains("Ehcache between instances", page.Find("tr[data-data=EhcacheStores]").TextContent);
    }

    [Fact]
    public void LinkDown_Live_SaysWhatItMeansForEachKind()
    {
        var page = Render<DataStorage>();
        _status.Publish(Estate(Dc("dc1"), Dc("dc2") with { State = DatacenterState.Unreachable }, LinkState.Down));

        page.WaitForAssertion(() => Assert.Equal("Blocked", page.Find("tr[data-data=GatewayConfiguration]").GetAttribute("data-impact")));
        var api = page.Find("tr[data-data=ApiManagerData]");
        Assert.Equal("Affected", api.GetAttribute("data-impact"));
        Assert.Contains("Not synchronized between Frankfurt and Amsterdam since", api.TextContent);
        Assert.Contains("resyncs automatically when the link returns", api.TextContent);
        Assert.Contains("can only be read from a console in Amsterdam", page.Find("tr[data-data=LogsAndTrafficMonitoring]").TextContent);
        Assert.Equal("Normal", page.Find("tr[data-data=Metrics]").GetAttribute("data-impact"));
    }

    [Fact]
    public void DatacenterDown_QuotasOnFewerInstances_SessionsLost()
    {
        _status.Publish(Estate(Dc("dc1"), Dc("dc2").Down()));
        var page = Render<DataStorage>();
        Assert.Contains("now held by 2 gateway instances in Frankfurt instead of 4", page.Find("tr[data-data=QuotaCounters]").TextContent);
        Assert.Contains("Ehcache sessions in Amsterdam lost", page.Find("tr[data-data=EhcacheStores]").TextContent);
    }
}
