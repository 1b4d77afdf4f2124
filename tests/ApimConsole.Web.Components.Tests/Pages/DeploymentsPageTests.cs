using ApimConsole.Web.Tests.Components;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using DeploymentsPage = ApimConsole.Web.Components.Pages.Deployments;
using ApimConsole.Web.Deployments;
using ApimConsole.Web.Tests.Deployments;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Extensions;
using MudBlazor.Services;

namespace ApimConsole.Web.Tests.Components;

/// <summary>The Deployments page over the real request service and store (SQLite in a temp folder) and a scripted guardrail.</summary>
public sealed class DeploymentsPageTests : ConsoleBunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("apimconsole-page-").FullName;
    private readonly ScriptedGate _gate = new();
    private readonly FakeEstateStatus _status = new(Estate());
    private readonly ApimConsole.Web.Tests.Durability.DiskFullSwitch _diskFull = new();

    public DeploymentsPageTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddLogging();
        Services.AddSingleton<IEstateStatus>(_status);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(_diskFull);
        // No datacenter to ask for deployed versions: the page must cope with none.
        Services.AddSingleton(Options.Create(new EstateOptions()));
        ApimConsole.Monitoring.EstateHttpClients.AddEstateHttpClients(Services);
        Services.AddSingleton<ApimConsole.Monitoring.AdminNodeManager.AdminNodeManagerConnections>();
        Services.AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "console.db" }, _root);
        Services.AddDeployments(new ConfigurationBuilder().Build());
        Services.AddSingleton<IDeploymentGate>(_gate);
    }

    public async Task InitializeAsync() =>
        await Services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(CancellationToken.None);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private DeploymentStore Store => Services.GetRequiredService<DeploymentStore>();

    [Fact]
    public async Task History_ShowsEachDatacenterAndInstance_WithWhatHappened()
    {
        var id = (await Store.AddAsync(new Deployment
        {
            RequestedAt = T0, RequestedBy = "anonymous", Kind = ChangeKind.GatewayConfiguration, GroupId = "group-3", GroupName = "DMZ",
            FileNames = "dmz.fed", Sha256 = new string('0', 64), State = DeploymentState.Running,
        }, CancellationToken.None)).Id;
        await Store.SetTargetAsync(id, "dc1", null, DeploymentTargetOutcome.Succeeded, "abc", "2 of 2 instances loaded it.", CancellationToken.None);
        await Store.SetTargetAsync(id, "dc1", "instance-3", DeploymentTargetOutcome.Loaded, "abc", null, CancellationToken.None);
        await Store.SetTargetAsync(id, "dc1", "instance-4", DeploymentTargetOutcome.RolledBack, "abc", "Failed to load; rolled back to old.", CancellationToken.None);
        await Store.SetTargetAsync(id, "dc2", null, DeploymentTargetOutcome.Blocked, null, "Not pushed: the guardrail says Block: link down", CancellationToken.None);

        var page = Render<DeploymentsPage>();

        page.WaitForAssertion(() => Assert.Equal("Running", page.Find($"[data-deployment='{id}']").GetAttribute("data-state")));
        Assert.Equal("Loaded", page.Find("[data-target='dc1/instance-3']").GetAttribute("data-outcome"));
        Assert.Contains("Rolled back (failed to load)", page.Find("[data-target='dc1/instance-4']").TextContent);
        Assert.Contains("link down", page.Find("[data-target='dc2']").TextContent);

        // Live: the executor writing the end state reaches the page without a reload.
        await Store.SetStateAsync(id, DeploymentState.Stopped, "Stopped: the guardrail turned. Got it: dc1", CancellationToken.None);
        page.WaitForAssertion(() => Assert.Equal("Stopped", page.Find($"[data-deployment='{id}']").GetAttribute("data-state")));
        Assert.Contains("Got it: dc1", page.Find($"[data-deployment='{id}']").TextContent);
    }

    [Fact]
    public async Task BadUpload_ShowsTheProblem_AndStoresNothing()
    {
        var page = Render<DeploymentsPage>();
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("not a zip", "a.fed"));
        page.WaitForAssertion(() => Assert.Contains("a.fed", page.Find("[data-testid=chosen]").TextContent));

        page.Find("button[data-testid=deploy]").Click();

        page.WaitForAssertion(() => Assert.Contains("'a.fed' is not a zip archive", page.Find("[data-testid=deploy-result]").TextContent));
        Assert.Empty(await Store.RecentAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task Blocked_SaysWhy_OffersTheBreakGlassReason_AndRefusesWithoutIt()
    {
        _gate.Script = (_, _) => (GuardrailDecision.Block, ["The inter-DC link is down"]);
        var page = Render<DeploymentsPage>();
        Assert.Contains("The inter-DC link is down", page.Find("[data-testid=guardrail]").TextContent);
        Assert.NotNull(page.Find("[data-testid=override-reason]"));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "a.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));
        page.Find("button[data-testid=deploy]").Click();

        page.WaitForAssertion(() => Assert.Contains("The guardrail blocks this deployment", page.Find("[data-testid=deploy-result]").TextContent));
        Assert.Contains("The inter-DC link is down", page.Find("[data-testid=deploy-result]").TextContent);
        Assert.Empty(await Store.RecentAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task ValidUpload_IsAccepted_AndAppearsInTheHistory()
    {
        var page = Render<DeploymentsPage>();
        Assert.NotNull(page.Find("[data-testid=no-deployments]"));
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "dmz.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));

        page.Find("button[data-testid=deploy]").Click();

        page.WaitForAssertion(() => Assert.Contains("accepted", page.Find("[data-testid=deploy-result]").TextContent));
        var stored = Assert.Single(await Store.RecentAsync(10, CancellationToken.None));
        Assert.Equal(("group-3", "dmz.fed", DeploymentState.Pending), (stored.GroupId, stored.FileNames, stored.State));
        page.WaitForAssertion(() => Assert.NotNull(page.Find($"[data-deployment='{stored.Id}']")));
        Assert.Equal(1, Services.GetRequiredService<DeploymentExecutor>().Enqueued);
    }

    [Fact]
    public async Task StoreFailing_ShowsTheStoreIsFailingSinceWhen_NothingStoredNothingQueued_AndTheNextTryAfterRecoveryIsAccepted()
    {
        var page = Render<DeploymentsPage>();
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "dmz.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));
        _diskFull.Failing = true;

        page.Find("button[data-testid=deploy]").Click();

        // Four attempts with StoreWriter's pauses (about 1.5 s), then the refusal is shown on the page, not thrown.
        page.WaitForAssertion(() => Assert.Contains("The console's store is failing (since ", page.Find("[data-testid=deploy-result]").TextContent),
            TimeSpan.FromSeconds(30));
        var shown = page.Find("[data-testid=deploy-result]");
        var since = Services.GetRequiredService<ConsoleStoreHealth>().Current.FailingSince;
        Assert.NotNull(since);
        Assert.Contains($"(since {since.Value:u})", shown.TextContent);
        Assert.Contains("the deployment was not started. Nothing was pushed.", shown.TextContent);
        Assert.Contains("database or disk is full", shown.TextContent);
        Assert.Contains("mud-alert-text-error", shown.ClassName);
        Assert.Equal(StoreWriter.Delays.Count + 1, _diskFull.Refused("INSERT INTO \"Deployments\""));
        Assert.Empty(await Store.RecentAsync(10, CancellationToken.None));
        Assert.Equal(0, Services.GetRequiredService<DeploymentExecutor>().Enqueued);

        // The page is still alive: once the store takes writes again, the same form deploys.
        _diskFull.Failing = false;
        page.Find("button[data-testid=deploy]").Click();
        page.WaitForAssertion(() => Assert.Contains("accepted", page.Find("[data-testid=deploy-result]").TextContent), TimeSpan.FromSeconds(30));
        Assert.Single(await Store.RecentAsync(10, CancellationToken.None));
        Assert.Equal(1, Services.GetRequiredService<DeploymentExecutor>().Enqueued);
    }

    [Fact]
    public void Support_SeesNoDeployForm_OnlyWhyNot_AndStillTheHistory()
    {
        SignInAs("sue", ApimConsole.Web.Security.ConsoleRoles.Support);
        var page = Render<DeploymentsPage>();

        Assert.Empty(page.FindAll("[data-testid=deploy-form]"));
        Assert.Empty(page.FindAll("button[data-testid=deploy]"));
        Assert.Empty(page.FindComponents<InputFile>());
        Assert.Contains("Only administrators can deploy", page.Find("[data-testid=deploy-readonly]").TextContent);
        Assert.NotNull(page.Find("[data-testid=history]"));
    }

    [Fact]
    public void Administrator_SeesTheDeployForm()
    {
        var page = Render<DeploymentsPage>();
        Assert.NotNull(page.Find("[data-testid=deploy-form] button[data-testid=deploy]"));
        Assert.Single(page.FindComponents<InputFile>());
        Assert.Empty(page.FindAll("[data-testid=deploy-readonly]"));
    }

    [Fact]
    public void GroupsLearntAfterThePageOpened_AreOffered_AndTheFirstIsChosen()
    {
        _status.Publish(new EstateSnapshot(T0, "lab", "dc1", [], new InterDatacenterLink(LinkState.Up, T0, null), null));
        var page = Render<DeploymentsPage>();
        var group = page.FindComponent<MudBlazor.MudSelect<string>>();
        Assert.Null(group.Instance.GetState(x => x.Value));

        _status.Publish(Estate());

        page.WaitForAssertion(() => Assert.Equal("group-3", group.Instance.GetState(x => x.Value)));
    }

    private static EstateSnapshot Estate()
    {
        DatacenterSnapshot Dc(string id) => new(id, id, DatacenterState.Up, T0, null, [],
            [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz,
                [new GatewayInstanceStatus(id, "instance-3", "DMZ 1", ComponentState.Up, T0, null, "group-3", "127.0.2.3", "Running")])],
            []);
        return new EstateSnapshot(T0, "lab", "dc1", [Dc("dc1"), Dc("dc2")], new InterDatacenterLink(LinkState.Up, T0, null), null);
    }
}
