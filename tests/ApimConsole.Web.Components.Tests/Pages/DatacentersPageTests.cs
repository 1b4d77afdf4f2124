using System.Security.Claims;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Security;
using ApimConsole.Web.Tests.Components;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using DatacentersPage = ApimConsole.Web.Components.Pages.Datacenters;

namespace ApimConsole.Web.Tests.Incidents;

/// <summary>
/// The Datacenters page over the real incident store (SQLite in a temp folder), a hand-written status engine and the
/// real deployed-versions reader pointed at ANMs that refuse connections.
/// </summary>
public sealed class DatacentersPageTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;
    private static readonly Guid Schema = Guid.Parse("11111111-2222-3333-4444-555555555555");
    private readonly IncidentStore _store = new();
    private readonly FakeEstateStatus _status = new(Estate(T0));
    private ServiceProvider _console = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _console = await _store.ConsoleAsync(_status);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<TimeProvider>(_store.Time);
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton<IIncidentTimeline>(_console.GetRequiredService<IncidentLog>());
        Services.AddSingleton(_console.GetRequiredService<ComponentHistory>());
        Services.AddSingleton(_console.GetRequiredService<DeploymentStore>());
        var estate = Options.Create(new EstateOptions
        {
            Name = "lab",
            ConsoleDatacenter = "dc1",
            Datacenters =
            [
                // Port 1 refuses connections: the deployed archives of dc1 are "not read" with the reason.
                new DatacenterOptions { Id = "dc1", Name = "Frankfurt", AdminNodeManager = new() { Urls = ["http://127.0.0.1:1"] } },
                new DatacenterOptions { Id = "dc2", Name = "Amsterdam", AdminNodeManager = new() { Urls = ["http://127.0.0.1:1"] } },
            ],
        });
        Services.AddSingleton(estate);
        // The ANM connections as the host builds them (an IHttpClientFactory for constructors that take one); the reader
        // on the real clock, so its deadline is a real one.
        Services.AddHttpClient();
        Services.AddSingleton<AdminNodeManagerConnections>();
        Services.AddSingleton(sp => new DeployedVersionsReader(sp.GetRequiredService<AdminNodeManagerConnections>(),
            Options.Create(new DeploymentOptions { ReadTimeout = TimeSpan.FromSeconds(5) }), TimeProvider.System, _status));
        // A live circuit: the page asks the ANMs only once it is interactive, not while prerendering.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
    }

    [Fact]
    public void ShowsTheAnm_AndBothGroups_WithEveryInstance()
    {
        var page = Render<DatacentersPage>();

        Assert.Equal("dc1", page.Find("[data-datacenter]").GetAttribute("data-datacenter"));
        Assert.Contains("http://127.0.0.1:1", page.Find("[data-component='dc1/anm'] [data-testid=anm-url]").TextContent);
        var groups = page.FindAll("[data-testid=group]");
        Assert.Equal(["Internal", "Dmz"], groups.Select(g => g.GetAttribute("data-zone")));
        Assert.Equal(["dc1/instance-1", "dc1/instance-2"], groups[0].QuerySelectorAll("tr[data-component]").Select(r => r.GetAttribute("data-component")));
        Assert.Equal(["dc1/instance-3", "dc1/instance-4"], groups[1].QuerySelectorAll("tr[data-component]").Select(r => r.GetAttribute("data-component")));
        Assert.Equal("running", page.Find("[data-component='dc1/instance-3'] [data-testid=management]").TextContent.Trim());
        // Both datacenters have a tab, and the address chooses.
        Assert.Equal(["dc1", "dc2"], page.FindAll("[data-testid=dc-tab]").Select(t => t.GetAttribute("data-datacenter-tab")));
    }

    [Fact]
    public void CassandraRows_ReadLikeNodetoolStatus_UpIsUN_DownIsDN()
    {
        _status.Publish(Estate(T0).Map("dc1", d => d with
        {
            CassandraNodes = d.CassandraNodes.Select(n => n.Id == "cassandra-2"
                ? n with { State = ComponentState.Down, Reason = "connection refused", SchemaVersion = null, InSchemaAgreement = null }
                : n).ToList(),
        }));

        var page = Render<DatacentersPage>();

        var rows = page.FindAll("[data-testid=cassandra] tr[data-component]");
        Assert.Equal(["UN", "DN", "UN"], rows.Select(r => r.QuerySelector("[data-testid=nodetool]")!.TextContent.Trim()));
        Assert.Contains("127.0.1.2:9042", rows[1].TextContent);
        Assert.Contains("rack1", rows[0].TextContent);
        Assert.Contains("4.0.11", rows[0].TextContent);
        Assert.Contains(Schema.ToString(), rows[0].TextContent);
        Assert.Contains("connection refused", page.Find("[data-testid=cassandra] [data-testid=reason]").TextContent);
        Assert.Equal("true", page.Find("[data-testid=schema-agreement]").GetAttribute("data-agree"));
    }

    [Fact]
    public async Task DownInstance_ShowsItsStoredStateHistory_AndANewChangeLive()
    {
        _status.Publish(Estate(T0).Map("dc1", d => d with
        {
            Groups = d.Groups.Select(g => g with
            {
                Instances = g.Instances.Select(i => i.Id == "instance-2"
                    ? i with { State = ComponentState.Down, Since = T0.AddMinutes(-3), Reason = "health check refused; the ANM says it is stopped", ManagementStatus = "Stopped" }
                    : i).ToList(),
            }).ToList(),
        }));
        await SeedChangeAsync("dc1", "instance-2", T0.AddHours(-2), "None", "Up", null);
        await SeedChangeAsync("dc1", "instance-2", T0.AddMinutes(-3), "Up", "Down", "health check refused; the ANM says it is stopped");
        await SeedChangeAsync("dc1", "instance-1", T0.AddMinutes(-1), "Up", "Down", "someone else's change");

        var page = Render<DatacentersPage>();
        var row = page.Find("tr[data-component='dc1/instance-2']");
        Assert.Equal("Down", row.GetAttribute("data-state"));
        Assert.Equal("stopped", row.QuerySelector("[data-testid=management]")!.TextContent.Trim());
        Assert.Contains("the ANM says it is stopped", row.QuerySelector("[data-testid=reason]")!.TextContent);

        page.Find("[data-testid=history-toggle][data-for='instance-2']").Click();

        page.WaitForAssertion(() => Assert.Equal(["Down", "Up"],
            page.FindAll("[data-history='instance-2'] [data-testid=history-entry]").Select(e => e.GetAttribute("data-to"))));
        Assert.Contains("Up → Down", page.Find("[data-history='instance-2'] [data-testid=history-entry]").TextContent);
        Assert.DoesNotContain("someone else's change", page.Find("[data-history='instance-2']").TextContent);

        // The recorder writes a new change and says so: the open history follows without a reload.
        await SeedChangeAsync("dc1", "instance-2", T0, "Down", "Up", null);
        _console.GetRequiredService<IncidentLog>().NotifyChanged();
        page.WaitForAssertion(() => Assert.Equal(["Up", "Down", "Up"],
            page.FindAll("[data-history='instance-2'] [data-testid=history-entry]").Select(e => e.GetAttribute("data-to"))));
    }

    [Fact]
    public async Task UnreachableDatacenter_ShowsUnknownWithTheReason_NeverDown_AndNodesAsLastSeen()
    {
        const string why = "not reachable from dc1 (DC down or link down)";
        _status.Publish(Estate(T0).Map("dc2", d => SetAll(d, ComponentState.Unknown, why) with
        {
            State = DatacenterState.Unreachable, Reason = "Amsterdam unreachable (DC down or link down): no witness can tell which",
        }));
        await SeedChangeAsync("dc2", "cassandra-1", T0.AddHours(-1), "None", "Up", null);
        await SeedChangeAsync("dc2", "cassandra-1", T0.AddMinutes(-1), "Up", "Unknown", why);
        Services.GetRequiredService<NavigationManager>().NavigateTo("/datacenters?dc=dc2");

        var page = Render<DatacentersPage>();

        var dc = page.Find("[data-datacenter]");
        Assert.Equal(("dc2", "Unreachable"), (dc.GetAttribute("data-datacenter"), dc.GetAttribute("data-state")));
        Assert.Contains("no witness can tell which", page.Find("[data-testid=dc-reason]").TextContent);
        var components = page.FindAll("tr[data-component]");
        Assert.Equal(1 + 4 + 3, components.Count);
        Assert.All(components, c => Assert.Equal("Unknown", c.GetAttribute("data-state")));
        Assert.DoesNotContain(page.FindAll("[data-testid=state]"), s => s.TextContent.Contains("Down"));
        Assert.Contains(why, page.Find("tr[data-component='dc2/instance-1'] [data-testid=reason]").TextContent);
        // The node the console last saw up is U?, the ones it never saw are ??.
        page.WaitForAssertion(() => Assert.Equal(["U?", "??", "??"],
            page.FindAll("[data-testid=cassandra] tr[data-component] [data-testid=nodetool]").Select(c => c.TextContent.Trim())));
        // The ANM is not asked while the engine cannot see it either; the page says why per datacenter.
        page.WaitForAssertion(() => Assert.Contains("not read:", page.Find("[data-testid=archives]").TextContent));
    }

    [Fact]
    public void SupportUserLimitedToDc1_SeesOnlyDc1_EvenWhenAskingForDc2()
    {
        SignInAs("sue", ConsoleRoles.Support);
        Authorization.SetClaims(new Claim(ConsoleClaims.Datacenter, "dc1"));
        Services.GetRequiredService<NavigationManager>().NavigateTo("/datacenters?dc=dc2");

        var page = Render<DatacentersPage>();

        Assert.Equal(["dc1"], page.FindAll("[data-testid=dc-tab]").Select(t => t.GetAttribute("data-datacenter-tab")));
        Assert.Equal("dc1", page.Find("[data-datacenter]").GetAttribute("data-datacenter"));
        Assert.Empty(page.FindAll("tr[data-component^='dc2/']"));
        Assert.Contains("dc1 only", page.Find("[data-testid=datacenters-limited]").TextContent);
        Assert.Contains("'dc2'", page.Find("[data-testid=dc-refused]").TextContent);
    }

    [Fact]
    public void CassandraNodeGoingDown_ReachesThePage_WithoutAReload()
    {
        var page = Render<DatacentersPage>();
        Assert.Equal("UN", page.Find("tr[data-component='dc1/cassandra-3'] [data-testid=nodetool]").TextContent.Trim());

        _status.Publish(Estate(T0.AddSeconds(5)).Map("dc1", d => d with
        {
            State = DatacenterState.Degraded,
            Reason = "dc1/cassandra-3 is down",
            CassandraNodes = d.CassandraNodes.Select(n => n.Id == "cassandra-3"
                ? n with { State = ComponentState.Down, Since = T0.AddSeconds(5), Reason = "no answer within 1000 ms", SchemaVersion = null, InSchemaAgreement = null }
                : n).ToList(),
        }));

        page.WaitForAssertion(() => Assert.Equal("DN", page.Find("tr[data-component='dc1/cassandra-3'] [data-testid=nodetool]").TextContent.Trim()));
        Assert.Equal("Degraded", page.Find("[data-datacenter]").GetAttribute("data-state"));
        Assert.Contains("no answer within 1000 ms", page.Find("[data-testid=cassandra]").TextContent);
    }

    [Fact]
    public void DeployedArchives_OfAnAnmThatRefuses_AreNotRead_WithTheReason_AndTheRefreshAsksAgain()
    {
        var page = Render<DatacentersPage>();

        page.WaitForAssertion(() => Assert.StartsWith("not read:", page.Find("tr[data-component='dc1/instance-1'] [data-testid=archive]").TextContent.Trim()));
        Assert.Contains("not read:", page.Find("[data-testid=archives]").TextContent);

        page.Find("[data-testid=refresh-archives]").Click();
        page.WaitForAssertion(() => Assert.StartsWith("not read:", page.Find("tr[data-component='dc1/instance-4'] [data-testid=archive]").TextContent.Trim()));
    }

    [Fact]
    public async Task Incidents_OfTheDatacenterAndTheLink_OpenFirst_LinkToTheIncidentsPage()
    {
        await SeedIncidentAsync("CassandraNodeDown:dc1/cassandra-2", "dc1", T0.AddHours(-3), T0.AddHours(-2));
        await SeedIncidentAsync("GatewayInstanceDown:dc1/instance-2", "dc1", T0.AddMinutes(-10), null);
        await SeedIncidentAsync("InterDatacenterLinkDown", null, T0.AddHours(-1), T0.AddMinutes(-50));
        await SeedIncidentAsync("DatacenterDown:dc2", "dc2", T0.AddMinutes(-5), null);

        var page = Render<DatacentersPage>();

        page.WaitForAssertion(() => Assert.Equal(
            ["GatewayInstanceDown:dc1/instance-2", "InterDatacenterLinkDown", "CassandraNodeDown:dc1/cassandra-2"],
            page.FindAll("[data-testid=dc-incidents] tr[data-incident]").Select(r => r.GetAttribute("data-incident"))));
        Assert.Equal("open", page.Find("tr[data-incident='GatewayInstanceDown:dc1/instance-2']").GetAttribute("data-state"));
        Assert.Equal("/incidents", page.Find("tr[data-incident='GatewayInstanceDown:dc1/instance-2'] a").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=dc-incidents-error]"));
    }

    private async Task SeedIncidentAsync(string key, string? dc, DateTimeOffset started, DateTimeOffset? ended) =>
        await _store.QueryAsync(async db =>
        {
            db.Incidents.Add(new Incident
            {
                Key = key, Kind = key.Split(':')[0], DatacenterId = dc, Title = $"Title of {key}", Severity = "Warning",
                StartedAt = started, EndedAt = ended, CassandraNodes = "",
            });
            return await db.SaveChangesAsync();
        });

    private async Task SeedChangeAsync(string dc, string component, DateTimeOffset at, string from, string to, string? reason) =>
        await _store.QueryAsync(async db =>
        {
            db.ComponentStateChanges.Add(new ComponentStateChange
            {
                At = at, DatacenterId = dc, ComponentId = component, ComponentKind = "Gateway", FromState = from, ToState = to, Reason = reason,
            });
            return await db.SaveChangesAsync();
        });

    /// <summary>Two datacenters, each with an ANM, an internal-zone and a DMZ group of two instances, and three Cassandra nodes, all up.</summary>
    private static EstateSnapshot Estate(DateTimeOffset asOf)
    {
        DatacenterSnapshot Dc(string id, string name) => new(id, name, DatacenterState.Up, T0.AddHours(-1), null,
            [new ComponentStatus(id, "anm", "Admin Node Manager", ComponentKind.AdminNodeManager, ComponentState.Up, T0.AddHours(-1), null)],
            [
                new GatewayGroupStatus("group-2", "Internal", GatewayZone.Internal,
                [
                    Instance(id, "instance-1", "Internal 1", "group-2", "127.0.2.1"),
                    Instance(id, "instance-2", "Internal 2", "group-2", "127.0.2.2"),
                ]),
                new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
                [
                    Instance(id, "instance-3", "DMZ 1", "group-3", "127.0.2.3"),
                    Instance(id, "instance-4", "DMZ 2", "group-3", "127.0.2.4"),
                ]),
            ],
            Enumerable.Range(1, 3).Select(i => new CassandraNodeStatus(id, $"cassandra-{i}", $"cassandra-{i}", ComponentState.Up, T0.AddHours(-1), null,
                $"127.0.1.{i}:9042", id, "rack1", "4.0.11", Schema, Guid.NewGuid(), true)).ToList());
        return new EstateSnapshot(asOf, "lab", "dc1", [Dc("dc1", "Frankfurt"), Dc("dc2", "Amsterdam")],
            new InterDatacenterLink(LinkState.Up, T0.AddHours(-1), null), null);
    }

    private static GatewayInstanceStatus Instance(string dc, string id, string name, string group, string host) =>
        new(dc, id, name, ComponentState.Up, T0.AddHours(-1), null, group, host, "Running");

    private static DatacenterSnapshot SetAll(DatacenterSnapshot d, ComponentState state, string reason) => d with
    {
        AdminNodeManagers = d.AdminNodeManagers.Select(a => a with { State = state, Reason = reason }).ToList(),
        Groups = d.Groups.Select(g => g with { Instances = g.Instances.Select(i => i with { State = state, Reason = reason, ManagementStatus = null }).ToList() }).ToList(),
        CassandraNodes = d.CassandraNodes.Select(n => n with { State = state, Reason = reason, SchemaVersion = null, InSchemaAgreement = null }).ToList(),
    };
}

internal static class DatacentersEstate
{
    public static EstateSnapshot Map(this EstateSnapshot s, string id, Func<DatacenterSnapshot, DatacenterSnapshot> map) =>
        s with { Datacenters = s.Datacenters.Select(d => d.Id == id ? map(d) : d).ToList() };
}
