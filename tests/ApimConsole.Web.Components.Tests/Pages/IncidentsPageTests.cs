using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Incidents;
using ApimConsole.Web.Components.Pages;
using ApimConsole.Web.Incidents;
using ApimConsole.Web.Tests.Components;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using IncidentsPage = ApimConsole.Web.Components.Pages.Incidents;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Incidents;

public sealed class IncidentsPageTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = TestEstate.T0;
    private readonly IncidentStore _store = new();
    private ServiceProvider _console = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _console = await _store.ConsoleAsync(new FakeEstateStatus(TestEstate.AllUp(T0)));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<TimeProvider>(_store.Time);
        Services.AddSingleton(_console.GetRequiredService<IncidentLog>());
        Services.AddSingleton(_console.GetRequiredService<RepairChecklist>());
        Services.AddSingleton(_console.GetRequiredService<IncidentPostMortem>());
        Services.AddSingleton(_console.GetRequiredService<ConsoleStoreHealth>());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        // MudBlazor's services are async-disposable only: dispose the container asynchronously.
        await DisposeAsync();
        await _store.DisposeAsync();
    }

    private async Task<Incident> SeedAsync(string key, DateTimeOffset started, DateTimeOffset? ended, string nodes = "", string severity = "Critical")
    {
        var incident = new Incident
        {
            Key = key, Kind = key.Split(':')[0], DatacenterId = "dc2", Title = $"Title of {key}", Severity = severity,
            StartedAt = started, EndedAt = ended, CassandraNodes = nodes,
        };
        await _store.QueryAsync(async db =>
        {
            db.Incidents.Add(incident);
            return await db.SaveChangesAsync();
        });
        return incident;
    }

    [Fact]
    public async Task OpenIncidentsComeFirst_PastOnesFollow_WithStartEndAndDuration()
    {
        await SeedAsync("DatacenterDown:dc2", T0.AddDays(-1), T0.AddDays(-1).AddHours(2).AddMinutes(5));
        await SeedAsync("GatewayInstanceDown:dc2/instance-2", T0.AddMinutes(-10), null, severity: "Warning");

        var page = Render<IncidentsPage>();

        await page.WaitForAssertionAsync(() => Assert.Equal(2, page.FindAll("tr[data-incident]").Count));
        var rows = page.FindAll("tr[data-incident]");
        Assert.Equal(("GatewayInstanceDown:dc2/instance-2", "open"), (rows[0].GetAttribute("data-incident"), rows[0].GetAttribute("data-state")));
        Assert.Equal(("DatacenterDown:dc2", "ended"), (rows[1].GetAttribute("data-incident"), rows[1].GetAttribute("data-state")));
        Assert.Equal("2 h 05 min", rows[1].QuerySelector("[data-testid=duration]")!.TextContent.Trim());
        Assert.Equal("10 min 00 s so far", rows[0].QuerySelector("[data-testid=duration]")!.TextContent.Trim());
        Assert.Equal("–", rows[0].QuerySelector("[data-testid=ended]")!.TextContent.Trim());
        Assert.Contains("Warning", rows[0].TextContent);
    }

    [Fact]
    public async Task OpenIncidentDuration_MovesWithTheClock()
    {
        await SeedAsync("GatewayInstanceDown:dc2/instance-2", T0.AddMinutes(-10), null);
        var page = Render<IncidentsPage>();
        await page.WaitForAssertionAsync(() => Assert.Equal("10 min 00 s so far", page.Find("[data-testid=duration]").TextContent.Trim()));

        _store.Time.Advance(TimeSpan.FromSeconds(65));

        await page.WaitForAssertionAsync(() => Assert.Equal("11 min 05 s so far", page.Find("[data-testid=duration]").TextContent.Trim()));
    }

    [Fact]
    public async Task OpenFilter_HidesPastIncidents_AndNewIncidentsAppearLive()
    {
        await SeedAsync("DatacenterDown:dc2", T0.AddDays(-1), T0.AddDays(-1).AddHours(1));
        var page = Render<IncidentsPage>();
        await page.WaitForAssertionAsync(() => Assert.Single(page.FindAll("tr[data-incident]")));

        page.Find("[data-testid=filter-open]").Click();
        await page.WaitForAssertionAsync(() => Assert.NotNull(page.Find("[data-testid=no-incidents]")));
        Assert.Contains("No incident is open", page.Find("[data-testid=no-incidents]").TextContent);

        await SeedAsync("InterDatacenterLinkDown", T0, null);
        _console.GetRequiredService<IncidentLog>().NotifyChanged();
        await page.WaitForAssertionAsync(() => Assert.Equal("InterDatacenterLinkDown", page.Find("tr[data-incident]").GetAttribute("data-incident")));
    }

    [Fact]
    public async Task Expanding_ShowsTheChangesInsideTheWindow_AndTheChecklist()
    {
        var incident = await SeedAsync("DatacenterDown:dc2", T0.AddHours(-5), T0.AddHours(-2), "dc2/cassandra-1,dc2/cassandra-2");
        await _store.QueryAsync(async db =>
        {
            db.ComponentStateChanges.AddRange(
                Change(T0.AddHours(-6), "dc2", "instance-1", "Down"),   // before: not shown
                Change(T0.AddHours(-5), "dc2", "datacenter", "Down"),
                Change(T0.AddHours(-2), "dc2", "datacenter", "Up"),
                Change(T0.AddHours(-3), "dc1", "instance-1", "Down"));  // other DC: not shown
            return await db.SaveChangesAsync();
        });

        var page = Render<IncidentsPage>();
        await page.WaitForAssertionAsync(() => Assert.Single(page.FindAll("tr[data-incident]")));
        page.Find("[data-testid=expand]").Click();

        await page.WaitForAssertionAsync(() => Assert.Equal(2, page.FindAll("[data-testid=incident-changes] tbody tr").Count));
        Assert.All(page.FindAll("[data-testid=incident-changes] tbody tr"), r => Assert.Equal("dc2", r.GetAttribute("data-subject")));
        await page.WaitForAssertionAsync(() => Assert.Equal(2, page.FindAll("[data-testid=repair-checklist] tr[data-node]").Count));
        Assert.Equal(incident.Id.ToString(), page.Find("[data-testid=repair-checklist]").GetAttribute("data-incident-id"));
    }

    [Fact]
    public async Task Checklist_MarkDone_RecordsTheSignedInAdministrator_AndShowsWhoAndWhen()
    {
        var incident = await SeedAsync("DatacenterDown:dc2", T0.AddHours(-5), T0.AddHours(-2), "dc2/cassandra-1,dc2/cassandra-2");
        var panel = Render<RepairChecklistPanel>(p => p.Add(x => x.IncidentId, incident.Id));
        await panel.WaitForAssertionAsync(() => Assert.Equal(2, panel.FindAll("tr[data-node]").Count));
        Assert.Contains("more than 2 h", panel.Find("[data-testid=checklist-rule]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=checklist-readonly]"));

        panel.Find("tr[data-node='dc2/cassandra-1'] [data-testid=mark-done]").Click();
        // No name to type: the mark is the signed-in user's.
        Assert.Contains("test-admin", panel.Find("[data-testid=mark-as]").TextContent);
        panel.Find("[data-testid=mark-form] input").Change("repaired in 14 min");
        panel.Find("[data-testid=save-mark]").Click();

        await panel.WaitForAssertionAsync(() => Assert.Equal("true", panel.Find("tr[data-node='dc2/cassandra-1']").GetAttribute("data-done")));
        Assert.Contains("test-admin", panel.Find("tr[data-node='dc2/cassandra-1'] [data-testid=done-by]").TextContent);
        Assert.Contains(T0.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"), panel.Find("tr[data-node='dc2/cassandra-1'] [data-testid=done-by]").TextContent);
        Assert.Equal("false", panel.Find("tr[data-node='dc2/cassandra-2']").GetAttribute("data-done"));
        var check = await _store.QueryAsync(db => db.RepairChecks.SingleAsync());
        Assert.Equal(("dc2/cassandra-1", "test-admin", T0, "repaired in 14 min"), (check.NodeKey, check.DoneBy, check.DoneAt, check.Note));
    }

    [Fact]
    public async Task Checklist_RepairNotRequired_OffersNoMarkDone()
    {
        // One hour down: within the 2 h a repair is not required.
        var incident = await SeedAsync("DatacenterDown:dc2", T0.AddHours(-3), T0.AddHours(-2), "dc2/cassandra-1,dc2/cassandra-2");
        var panel = Render<RepairChecklistPanel>(p => p.Add(x => x.IncidentId, incident.Id));
        await panel.WaitForAssertionAsync(() => Assert.Equal(2, panel.FindAll("tr[data-node]").Count));
        Assert.All(panel.FindAll("tr[data-node]"), r => Assert.Contains("(not required)", r.TextContent));
        Assert.Empty(panel.FindAll("[data-testid=mark-done]"));
    }

    [Fact]
    public async Task Checklist_ForSupport_IsReadOnly_NoMarkOrTakeBack()
    {
        var incident = await SeedAsync("DatacenterDown:dc2", T0.AddHours(-5), T0.AddHours(-2), "dc2/cassandra-1,dc2/cassandra-2");
        await _store.QueryAsync(async db =>
        {
            db.RepairChecks.Add(new RepairCheck { IncidentId = incident.Id, NodeKey = "dc2/cassandra-1", Action = "repair", DoneBy = "alice", DoneAt = T0 });
            return await db.SaveChangesAsync();
        });
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        var panel = Render<RepairChecklistPanel>(p => p.Add(x => x.IncidentId, incident.Id));

        await panel.WaitForAssertionAsync(() => Assert.Equal(2, panel.FindAll("tr[data-node]").Count));
        Assert.Equal("true", panel.Find("tr[data-node='dc2/cassandra-1']").GetAttribute("data-done"));
        Assert.Contains("alice", panel.Find("tr[data-node='dc2/cassandra-1'] [data-testid=done-by]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=mark-done]"));
        Assert.Empty(panel.FindAll("[data-testid=take-back]"));
        Assert.Contains("Only administrators can mark repairs", panel.Find("[data-testid=checklist-readonly]").TextContent);
    }

    private async Task<Incident> SeedOutageAsync()
    {
        var incident = await SeedAsync("InterDatacenterLinkDown", T0.AddMinutes(-20), T0.AddMinutes(-5));
        await _store.QueryAsync(async db =>
        {
            db.IncidentConsequences.AddRange(
                new IncidentConsequence { IncidentId = incident.Id, DatacenterId = "dc2", ComponentId = "anm", ComponentKind = "AdminNodeManager", State = "Unreachable", From = T0.AddMinutes(-20), Until = T0.AddMinutes(-5) },
                new IncidentConsequence { IncidentId = incident.Id, DatacenterId = "dc2", ComponentId = "instance-1", ComponentKind = "GatewayInstance", State = "Down", From = T0.AddMinutes(-19) });
            db.ComponentStateChanges.Add(Change(T0.AddMinutes(-20), "dc2", "datacenter", "Unreachable"));
            return await db.SaveChangesAsync();
        });
        return incident;
    }

    [Fact]
    public async Task Expanding_AnOutage_ShowsWhatItTookDown_ItsTimeline_AndTheExportLinks()
    {
        var incident = await SeedOutageAsync();
        var page = Render<IncidentsPage>();
        await page.WaitForAssertionAsync(() => Assert.Contains("1 component down, 1 cut off", page.Find("[data-testid=consequence-summary]").TextContent));
        page.Find("[data-testid=expand]").Click();

        await page.WaitForAssertionAsync(() => Assert.Equal(2, page.FindAll("[data-testid=consequences] tbody tr").Count));
        Assert.Equal("Unreachable", page.Find("[data-testid=consequences] tr[data-component='dc2/anm']").GetAttribute("data-state"));
        Assert.Contains("not known down", page.Find("[data-testid=consequences] tr[data-component='dc2/anm']").TextContent);
        Assert.Contains("still", page.Find("[data-testid=consequences] tr[data-component='dc2/instance-1']").TextContent);
        Assert.Contains("Unreachable", Assert.Single(page.FindAll("[data-testid=timeline] tr[data-source=state]")).TextContent);
        Assert.Equal($"/api/incidents/{incident.Id}/export?format=md", page.Find("[data-testid=export-md]").GetAttribute("href"));
        Assert.Equal($"/api/incidents/{incident.Id}/export?format=json", page.Find("[data-testid=export-json]").GetAttribute("href"));
    }

    [Fact]
    public async Task Support_AddsANote_UnderTheirOwnName_Audited_ButCannotAcknowledge()
    {
        var incident = await SeedOutageAsync();
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        var panel = Render<IncidentPostMortemPanel>(p => p.Add(x => x.IncidentId, incident.Id));
        await panel.WaitForAssertionAsync(() => Assert.NotNull(panel.Find("[data-testid=no-notes]")));
        Assert.Empty(panel.FindAll("[data-testid=acknowledge]"));
        Assert.Contains("administrators acknowledge", panel.Find("[data-testid=not-acknowledged]").TextContent);

        panel.Find("[data-testid=note-form] textarea").Change("carrier confirmed the fibre cut at 07:41");
        panel.Find("[data-testid=add-note]").Click();

        await panel.WaitForAssertionAsync(() => Assert.Contains("carrier confirmed", panel.Find("[data-testid=notes] li").TextContent));
        Assert.Contains("sue", panel.Find("[data-testid=notes] li").TextContent);
        var note = await _store.QueryAsync(db => db.IncidentNotes.SingleAsync());
        Assert.Equal((incident.Id, "sue", T0), (note.IncidentId, note.Author, note.At));
        var audit = await _store.QueryAsync(db => db.AuditEntries.SingleAsync(a => a.Action == "incident.note-added"));
        Assert.Equal(("sue", $"incident {incident.Id}"), (audit.Actor, audit.Target));
    }

    [Fact]
    public async Task AnEmptyNote_IsRefusedWithTheReason_AndNothingIsWritten()
    {
        var incident = await SeedOutageAsync();
        var panel = Render<IncidentPostMortemPanel>(p => p.Add(x => x.IncidentId, incident.Id));
        await panel.WaitForAssertionAsync(() => Assert.NotNull(panel.Find("[data-testid=add-note]")));
        panel.Find("[data-testid=note-form] textarea").Change("   ");
        panel.Find("[data-testid=add-note]").Click();

        await panel.WaitForAssertionAsync(() => Assert.Contains("The note is empty", panel.Find("[data-testid=post-mortem-error]").TextContent));
        Assert.Equal(0, await _store.QueryAsync(db => db.IncidentNotes.CountAsync()));
        Assert.Equal(0, await _store.QueryAsync(db => db.AuditEntries.CountAsync()));
    }

    [Fact]
    public async Task Administrator_Acknowledges_Once_UnderTheirName_Audited()
    {
        var incident = await SeedOutageAsync();
        var panel = Render<IncidentPostMortemPanel>(p => p.Add(x => x.IncidentId, incident.Id));
        await panel.WaitForAssertionAsync(() => Assert.NotNull(panel.Find("[data-testid=acknowledge]")));
        panel.Find("[data-testid=acknowledge]").Click();

        await panel.WaitForAssertionAsync(() => Assert.Contains("Acknowledged by test-admin", panel.Find("[data-testid=acknowledged]").TextContent));
        Assert.Empty(panel.FindAll("[data-testid=acknowledge]"));
        var stored = await _store.QueryAsync(db => db.Incidents.SingleAsync());
        Assert.Equal(("test-admin", (DateTimeOffset?)T0), (stored.AcknowledgedBy, stored.AcknowledgedAt));
        Assert.Equal("test-admin", (await _store.QueryAsync(db => db.AuditEntries.SingleAsync(a => a.Action == "incident.acknowledged"))).Actor);
    }

    private static ComponentStateChange Change(DateTimeOffset at, string dc, string id, string to) => new()
    {
        At = at, DatacenterId = dc, ComponentId = id, ComponentKind = id == "datacenter" ? "Datacenter" : "GatewayInstance", FromState = "Up", ToState = to,
    };
}
