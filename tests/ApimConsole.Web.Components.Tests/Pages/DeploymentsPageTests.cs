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
    public void Blocked_DisablesTheDeployButton_AndPrintsTheReasonOnce()
    {
        _gate.Script = (_, _) => (GuardrailDecision.Block, ["The inter-DC link is down"]);
        var page = Render<DeploymentsPage>();

        var deploy = page.Find("button[data-testid=deploy]");
        Assert.True(deploy.HasAttribute("disabled"));
        Assert.DoesNotContain("mud-button-filled-primary", deploy.ClassName);
        Assert.Equal("deploy-blocked", deploy.GetAttribute("aria-describedby"));
        Assert.Equal("Deploying is blocked right now: The inter-DC link is down", Normalize(page.Find("[data-testid=guardrail]").TextContent));
        // Printed once on the whole form, even after a file is chosen and the form renders again.
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "a.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));
        Assert.Equal(1, CountOf(page.Find("[data-testid=deploy-form]").TextContent, "The inter-DC link is down"));
        // The break-glass reason is not on the form until the override step is opened on purpose.
        Assert.Empty(page.FindAll("[data-testid=override-reason]"));
    }

    [Fact]
    public void Allowed_TheDeployButtonIsEnabledAndPrimary_WithNoOverrideStep()
    {
        var page = Render<DeploymentsPage>();
        var deploy = page.Find("button[data-testid=deploy]");
        Assert.False(deploy.HasAttribute("disabled"));
        Assert.Contains("mud-button-filled-primary", deploy.ClassName);
        Assert.Empty(page.FindAll("[data-testid=override]"));
    }

    [Fact]
    public async Task Override_IsItsOwnStep_ConfirmedAfterSayingWhereItLoadsAndWhereNot_ThenDeploys()
    {
        _gate.Script = (_, _) => (GuardrailDecision.Block, ["dc2 unreachable"]);
        // dc2 cut off; in dc1 one instance of the group up, one down.
        _status.Publish(Estate(dc2: DatacenterState.Unreachable, dc1SecondInstance: ComponentState.Down));
        var page = Render<DeploymentsPage>();
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "dmz.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));

        // Each click's render may queue behind another (the page is live): wait for what it shows, never assume it.
        page.WaitForElement("button[data-testid=override-start]").Click();
        Assert.True(page.WaitForElement("button[data-testid=override-review]").HasAttribute("disabled")); // no reason written yet
        page.WaitForElement("textarea[data-testid=override-reason]").Input("Security fix must go out while dc2 is cut off");
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=override-review]").HasAttribute("disabled")));
        page.Find("button[data-testid=override-review]").Click();

        var confirm = page.WaitForElement("[data-testid=override-confirm]");
        Assert.Equal("alertdialog", confirm.GetAttribute("role"));
        Assert.Contains("dmz.fed will be deployed to group group-3 although the guardrail blocks it", confirm.TextContent);
        Assert.Equal("dc1: will be loaded on DMZ 1 (instance-3); not loaded on DMZ 2 (instance-4, Down).",
            Normalize(page.Find("[data-override-dc=dc1]").TextContent));
        Assert.Equal("dc2: will not be reached (dc2 cannot be reached from this console); not loaded: DMZ 1 (instance-3), DMZ 2 (instance-4).",
            Normalize(page.Find("[data-override-dc=dc2]").TextContent));
        // Nothing is stored before the confirmation.
        Assert.Empty(await Store.RecentAsync(10, CancellationToken.None));

        page.WaitForElement("button[data-testid=override-confirm-deploy]").Click();

        page.WaitForAssertion(() => Assert.Contains("accepted", page.Find("[data-testid=deploy-result]").TextContent));
        var stored = Assert.Single(await Store.RecentAsync(10, CancellationToken.None));
        Assert.Equal("Security fix must go out while dc2 is cut off", stored.OverrideReason);
        Assert.Empty(page.FindAll("[data-testid=override-confirm]"));
    }

    [Fact]
    public async Task Override_Cancelled_StoresNothing_AndClosesTheStep()
    {
        _gate.Script = (_, _) => (GuardrailDecision.Block, ["dc2 unreachable"]);
        var page = Render<DeploymentsPage>();
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(DeploymentArchives.Zip(("c.xml", "x")), "dmz.fed"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=chosen]")));
        // Each click's render may queue behind another (the page is live): wait for what it shows, never assume it.
        page.WaitForElement("button[data-testid=override-start]").Click();
        page.WaitForElement("textarea[data-testid=override-reason]").Input("not really");
        page.WaitForElement("button[data-testid=override-review]").Click();

        page.WaitForElement("button[data-testid=override-confirm-cancel]").Click();

        page.WaitForAssertion(() =>
        {
            Assert.Empty(page.FindAll("[data-testid=override-confirm]"));
            Assert.Empty(page.FindAll("[data-testid=override-reason]"));
        });
        Assert.Empty(await Store.RecentAsync(10, CancellationToken.None));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static string Normalize(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();

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

    private static EstateSnapshot Estate(DatacenterState dc2 = DatacenterState.Up, ComponentState? dc1SecondInstance = null)
    {
        DatacenterSnapshot Dc(string id, DatacenterState state, ComponentState? second)
        {
            var instances = new List<GatewayInstanceStatus> { new(id, "instance-3", "DMZ 1", ComponentState.Up, T0, null, "group-3", "127.0.2.3", "Running") };
            if (second is { } s)
                instances.Add(new(id, "instance-4", "DMZ 2", s, T0, null, "group-3", "127.0.2.4", "Running"));
            return new(id, id, state, T0, null, [], [new GatewayGroupStatus("group-3", "DMZ", GatewayZone.Dmz, instances)], []);
        }
        var second = dc1SecondInstance is null ? (ComponentState?)null : ComponentState.Up;
        return new EstateSnapshot(T0, "lab", "dc1", [Dc("dc1", DatacenterState.Up, dc1SecondInstance), Dc("dc2", dc2, second)],
            new InterDatacenterLink(dc2 == DatacenterState.Up ? LinkState.Up : LinkState.Unknown, T0, null), null);
    }
}
