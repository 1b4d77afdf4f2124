using System.Collections.Concurrent;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Scenarios;
using ApimConsole.Monitoring.AdminNodeManager;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Storage;

namespace ApimConsole.Web.Restarts;

public enum RestartOutcome
{
    /// <summary>The ANM accepted the stop (for a restart) and the start.</summary>
    Done,
    /// <summary>The restart order forbids it now; nothing was sent to the ANM.</summary>
    Refused,
    /// <summary>The estate has no such instance.</summary>
    UnknownInstance,
    /// <summary>The ANM answered with an error or not within the deadline.</summary>
    AnmFailed,
}

/// <summary>What became of a start or restart; <see cref="Message"/> is a sentence for the operator.</summary>
public sealed record RestartResult(RestartOutcome Outcome, string DatacenterId, string InstanceId, RestartAction Action, string Message);

/// <summary>Starts or restarts gateway instances through their datacenter's Admin Node Manager, in the runbooks' order.</summary>
public interface IGatewayRestarter
{
    /// <param name="actor">Who asked: the signed-in user's name, or "token:&lt;name&gt;".</param>
    Task<RestartResult> RestartAsync(string datacenterId, string instanceId, RestartAction action, string actor, CancellationToken cancellationToken);
}

/// <summary>
/// Checks <see cref="RestartPolicy"/> against the live estate immediately before each call to the ANM (a decision
/// shown on a page a minute ago is not trusted), audits the request before acting and the outcome after, and gives
/// every ANM call <see cref="AnmTimeout"/>. One action per instance at a time.
/// </summary>
public sealed class GatewayRestarter(
    IEstateStatus status,
    AdminNodeManagerConnections anms,
    AuditLog audit,
    TimeProvider time,
    ILogger<GatewayRestarter> logger) : IGatewayRestarter
{
    public const string AuditAction = "runbook.restart";

    /// <summary>How long the ANM may take to stop, and then to start, an instance.</summary>
    public static readonly TimeSpan AnmTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, byte> _underWay = new(StringComparer.OrdinalIgnoreCase);

    public async Task<RestartResult> RestartAsync(string datacenterId, string instanceId, RestartAction action, string actor, CancellationToken cancellationToken)
    {
        var decision = RestartPolicy.Permit(status.Current, datacenterId, instanceId, action);
        if (decision is null)
            return new(RestartOutcome.UnknownInstance, datacenterId, instanceId, action, $"The estate has no gateway instance {datacenterId}/{instanceId}.");
        if (!decision.Allowed)
            return Refused(decision, decision.Blocked!);

        var key = decision.Key;
        if (!_underWay.TryAdd(key, 0))
            return Refused(decision, $"A start or restart of {key} is already under way.");
        try
        {
            var verb = action == RestartAction.Restart ? "restart (stop, then start)" : "start";
            // Audited before anything is sent: an action the store cannot record is not taken.
            await audit.RecordAsync(actor, AuditAction, key, $"{verb} requested", cancellationToken);

            // Again, right before acting: the estate may have turned while the request was being recorded.
            var snapshot = status.Current;
            var recheck = RestartPolicy.Permit(snapshot, datacenterId, instanceId, action);
            if (recheck is null)
                return await RecordAsync(actor, Refused(decision, $"{key} left the estate."), cancellationToken);
            if (!recheck.Allowed)
                return await RecordAsync(actor, Refused(recheck, recheck.Blocked!), cancellationToken);
            decision = recheck;
            var anm = Answering(snapshot, decision.DatacenterId);
            if (anm is null)
                return await RecordAsync(actor, Refused(decision, $"No Admin Node Manager of {decision.DatacenterId} answers."), cancellationToken);

            if (action == RestartAction.Restart)
            {
                await CallAsync(ct => anm.StopAsync(decision.GroupId, decision.InstanceId, ct), cancellationToken);
                // Between stop and start the order is asked once more: a start it forbids is not sent.
                var again = RestartPolicy.Permit(status.Current, datacenterId, instanceId, RestartAction.Restart);
                if (again is not { Allowed: true })
                    return await RecordAsync(actor, Refused(decision,
                        $"{key} was stopped but not started again: {again?.Blocked ?? "it left the estate."}"), cancellationToken);
            }
            await CallAsync(ct => anm.StartAsync(decision.GroupId, decision.InstanceId, ct), cancellationToken);
            var done = action == RestartAction.Restart ? "stopped and started again" : "started";
            return await RecordAsync(actor, new(RestartOutcome.Done, decision.DatacenterId, decision.InstanceId, action,
                $"{decision.InstanceName} ({key}) {done} through {anm.BaseUrl}; the overview shows it Up once its health check answers."), cancellationToken);
        }
        catch (AnmCallFailedException ex)
        {
            logger.LogWarning("Runbook {Action} of {Instance} failed: {Reason}", action, key, ex.Message);
            return await RecordAsync(actor, new(RestartOutcome.AnmFailed, decision.DatacenterId, decision.InstanceId, action,
                $"The Admin Node Manager did not {(action == RestartAction.Restart ? "restart" : "start")} {key}: {ex.Message}"), cancellationToken);
        }
        finally
        {
            _underWay.TryRemove(key, out _);
        }
    }

    private AdminNodeManagerClient? Answering(EstateSnapshot snapshot, string datacenterId)
    {
        var dc = snapshot.Find(datacenterId);
        return anms.WithComponentIds(datacenterId)
            .FirstOrDefault(a => dc?.AdminNodeManagers.Any(m => m.Id == a.ComponentId && m.State == ComponentState.Up) == true)
            .Client;
    }

    /// <summary>One ANM call under its own deadline; every failure becomes <see cref="AnmCallFailedException"/>.</summary>
    private async Task CallAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(AnmTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await call(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AnmCallFailedException($"no answer within {AnmTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or AnmProtocolException)
        {
            throw new AnmCallFailedException(ex.Message);
        }
    }

    private async Task<RestartResult> RecordAsync(string actor, RestartResult result, CancellationToken cancellationToken)
    {
        // The outcome is recorded even when the caller has gone away: the ANM may have acted.
        try
        {
            await audit.RecordAsync(actor, AuditAction, $"{result.DatacenterId}/{result.InstanceId}", $"{result.Outcome}: {result.Message}", CancellationToken.None);
        }
        catch (ConsoleStoreUnavailableException ex)
        {
            // The request was audited and the ANM may have acted: say what happened, and that its record is missing
            // (StoreWriter has logged the refusal at Error), rather than "not restarted".
            return result with { Message = $"{result.Message} Its outcome could not be written to the audit trail: {StoreWriter.Describe(ex)}" };
        }
        return result;
    }

    private static RestartResult Refused(RestartDecision decision, string reason) =>
        new(RestartOutcome.Refused, decision.DatacenterId, decision.InstanceId, decision.Action, reason);

    private sealed class AnmCallFailedException(string message) : Exception(message);
}
