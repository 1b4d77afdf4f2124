using Microsoft.AspNetCore.Components.Authorization;
using System.Security.Claims;
using ApimConsole.Core.Deployments;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Storage;
using ApimConsole.Storage.Records;
using ApimConsole.Web.Components.Controls;
using ApimConsole.Web.Deployments;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace ApimConsole.Web.Components.Pages;

/// <summary>
/// Upload an archive for a group and deploy it (the same checks and guardrail as <c>POST /api/deployments</c>), the
/// history with what each datacenter and instance did, and the archive each instance runs with the drift between them.
/// </summary>
public partial class Deployments : EstateComponentBase
{
    public const int HistoryLength = 20;

    [Inject] public required DeploymentRequests Requests { get; init; }

    /// <summary>The signed-in user: deploying is for Administrators (DeploymentRequests refuses anyone else).</summary>
    [CascadingParameter] public Task<AuthenticationState>? AuthenticationState { get; set; }
    [Inject] public required DeploymentStore Store { get; init; }
    [Inject] public required DeployedVersionsReader VersionsReader { get; init; }
    [Inject] public required DeploymentGateAccess Gate { get; init; }
    [Inject] public required IOptions<DeploymentOptions> Options { get; init; }
    [Inject] public required ConsoleStoreHealth StoreHealth { get; init; }

    private ChangeKind _kind = ChangeKind.GatewayConfiguration;
    private string? _group;
    private IReadOnlyList<IBrowserFile> _files = [];
    private bool _confirmWarnings;
    private string? _overrideReason;
    private bool _overriding;
    private bool _confirmingOverride;
    private IReadOnlyList<OverrideTarget> _overridePlan = [];
    private bool _submitting;
    private string? _message;
    private Severity _messageSeverity;
    private IReadOnlyList<string> _messageReasons = [];
    private IReadOnlyList<Deployment> _history = [];
    private DeployedVersions? _versions;
    private bool _loadingVersions;
    private readonly CancellationTokenSource _gone = new();

    private IReadOnlyList<GatewayGroupStatus> Groups => DeploymentRequests.KnownGroups(Snapshot);

    /// <summary>What the guardrail says now for the chosen kind; re-read on every render, which live estate changes cause.</summary>
    private GuardrailVerdict CurrentVerdict => Gate.Evaluate(_kind, Snapshot.Datacenters.Select(d => d.Id).ToList());

    protected override async Task OnInitializedAsync()
    {
        _group = Groups.FirstOrDefault()?.Id;
        // A burst of writes (one per instance pushed) becomes one reload: the render throttle coalesces them.
        Watch(Store.Writes, _ => ReloadHistoryAsync());
        await ReloadHistoryAsync();
        _ = InvokeAsync(LoadVersionsAsync);
    }

    /// <summary>The groups become known when the ANMs first answer, which may be after the page opened.</summary>
    protected override void OnAfterRender(bool firstRender)
    {
        if (_group is null && Groups.Count > 0)
        {
            _group = Groups[0].Id;
            StateHasChanged();
        }
    }

    private async Task ReloadHistoryAsync()
    {
        if (_gone.IsCancellationRequested)
            return;
        var wasRunning = _history.Any(d => !d.State.IsFinished());
        try
        {
            _history = await Store.RecentAsync(HistoryLength, _gone.Token);
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
            return;
        }
        StateHasChanged();
        // A deployment just ended: what the instances run has changed.
        if (wasRunning && _history.All(d => d.State.IsFinished()))
            await LoadVersionsAsync();
    }

    private async Task LoadVersionsAsync()
    {
        if (_loadingVersions || _gone.IsCancellationRequested)
            return;
        _loadingVersions = true;
        StateHasChanged();
        try
        {
            _versions = await VersionsReader.ReadAsync(_gone.Token);
        }
        catch (OperationCanceledException) when (_gone.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            _loadingVersions = false;
        }
        StateHasChanged();
    }

    private void OnFilesChosen(InputFileChangeEventArgs e)
    {
        _message = null;
        if (e.FileCount > 2)
        {
            _files = [];
            Show(Severity.Error, $"{e.FileCount} files were chosen: choose one .fed, or a .pol with its .env.");
            return;
        }
        _files = e.GetMultipleFiles(2);
    }

    /// <summary>The break-glass step, opened on purpose: the plain Deploy button never carries an override.</summary>
    private void StartOverride()
    {
        _overriding = true;
        _message = null;
    }

    /// <summary>The confirmation: what the override will load where, from the estate as it is now.</summary>
    private void ReviewOverride()
    {
        _overridePlan = OverridePlan.For(Snapshot, _group);
        _confirmingOverride = true;
    }

    private void CancelOverride()
    {
        _overriding = false;
        _confirmingOverride = false;
        _overrideReason = null;
    }

    private async Task SubmitAsync(bool overriding)
    {
        _submitting = true;
        _message = null;
        _messageReasons = [];
        var buffers = new List<(string, Stream)>();
        try
        {
            var limit = Options.Value.Limits.MaxUploadBytes;
            foreach (var file in _files)
            {
                if (file.Size > limit)
                {
                    Show(Severity.Error, $"The upload is over the size limit of {limit} bytes.");
                    return;
                }
                // Copied in full before any check: the browser stream is async-only, the checks read synchronously.
                var buffer = new MemoryStream();
                await using (var stream = file.OpenReadStream(limit, _gone.Token))
                    await stream.CopyToAsync(buffer, _gone.Token);
                buffer.Position = 0;
                buffers.Add((file.Name, buffer));
            }

            var user = AuthenticationState is null ? new ClaimsPrincipal(new ClaimsIdentity()) : (await AuthenticationState).User;
            var result = await Requests.SubmitAsync(
                new DeploymentSubmission(_kind.ToString(), _group, buffers, overriding ? _overrideReason : null, _confirmWarnings, user), _gone.Token);
            switch (result)
            {
                case SubmissionResult.Accepted a:
                    Show(Severity.Success, $"Deployment #{a.Deployment.Id} accepted; it runs now, datacenter by datacenter (below).");
                    _files = [];
                    CancelOverride();
                    _confirmWarnings = false;
                    await ReloadHistoryAsync();
                    break;
                case SubmissionResult.Invalid i:
                    Show(Severity.Error, i.Problem);
                    break;
                case SubmissionResult.Blocked b:
                    // The reasons are in the guardrail's alert above the button: not printed a second time.
                    Show(Severity.Error, b.Message);
                    break;
                case SubmissionResult.NeedsConfirmation n:
                    Show(Severity.Warning, "The guardrail warns about this deployment: confirm the warnings to deploy anyway.", n.Verdict.Reasons);
                    break;
                case SubmissionResult.OverrideRefused r:
                    Show(Severity.Error, r.Problem);
                    break;
                case SubmissionResult.NotAllowed r:
                    Show(Severity.Error, r.Problem);
                    break;
                case SubmissionResult.PeerBusy p:
                    Show(Severity.Warning, p.Message);
                    break;
            }
        }
        catch (IOException ex)
        {
            Show(Severity.Error, $"The file could not be read: {ex.Message}");
        }
        catch (ConsoleStoreUnavailableException ex)
        {
            // The request could not be audited or stored: it was never handed to the executor.
            Show(Severity.Error, StoreRefusal.Message(ex, StoreHealth, "the deployment was not started. Nothing was pushed."));
        }
        finally
        {
            foreach (var (_, stream) in buffers)
                await stream.DisposeAsync();
            _submitting = false;
        }
    }

    private void Show(Severity severity, string message, IReadOnlyList<string>? reasons = null)
    {
        _messageSeverity = severity;
        _message = message;
        _messageReasons = reasons ?? [];
    }

    private static Color StateColor(DeploymentState state) => state switch
    {
        DeploymentState.Succeeded => Color.Success,
        DeploymentState.Failed => Color.Error,
        DeploymentState.Stopped or DeploymentState.PartiallyApplied or DeploymentState.Interrupted => Color.Warning,
        _ => Color.Info,
    };

    private static string OutcomeText(DeploymentTargetOutcome outcome) => outcome switch
    {
        DeploymentTargetOutcome.RolledBack => "Rolled back (failed to load)",
        DeploymentTargetOutcome.NotPushed => "Not pushed",
        DeploymentTargetOutcome.PartiallyApplied => "Partially applied",
        DeploymentTargetOutcome.NotApplied => "Not loaded",
        DeploymentTargetOutcome.Unknown => "Unknown (still learning)",
        _ => outcome.ToString(),
    };

    private static string FormatBytes(long bytes) => bytes >= 1 << 20 ? $"{bytes / (1 << 20)} MB" : $"{bytes / 1024} KB";

    public override void Dispose()
    {
        _gone.Cancel();
        base.Dispose();
    }
}
