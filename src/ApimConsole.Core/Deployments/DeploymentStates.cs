namespace ApimConsole.Core.Deployments;

/// <summary>Where a deployment stands as a whole.</summary>
public enum DeploymentState
{
    /// <summary>Accepted and stored; the executor has not started it.</summary>
    Pending,
    Running,
    /// <summary>Every instance of the group in every datacenter loaded the archive.</summary>
    Succeeded,
    /// <summary>Ran to its end, but some instances (or datacenters) did not load it: a drift the console shows.</summary>
    PartiallyApplied,
    /// <summary>Stopped before every datacenter had it (the guardrail turned, or the console stopped): see the targets.</summary>
    Stopped,
    /// <summary>No instance loaded it.</summary>
    Failed,
    /// <summary>
    /// The console stopped (or was killed) while it ran; after the restart each datacenter's ANM was asked what its
    /// instances run, and the targets say what it really reached. It is never pushed again.
    /// </summary>
    Interrupted,
}

/// <summary>What came of a deployment for one datacenter (instance id empty) or one instance.</summary>
public enum DeploymentTargetOutcome
{
    Pending,
    /// <summary>The guardrail refused this datacenter at the moment of pushing: nothing was sent to it.</summary>
    Blocked,
    /// <summary>Never reached: the deployment stopped before this target.</summary>
    NotPushed,
    /// <summary>The datacenter's ANM holds the archive; its instances are being loaded.</summary>
    Uploaded,
    /// <summary>The instance runs the archive.</summary>
    Loaded,
    /// <summary>The instance failed to load it and went back to its previous configuration.</summary>
    RolledBack,
    /// <summary>The call failed (ANM or instance unreachable, refused, malformed answer).</summary>
    Failed,
    /// <summary>Every instance of the datacenter loaded it.</summary>
    Succeeded,
    /// <summary>Some instances of the datacenter loaded it, others did not.</summary>
    PartiallyApplied,
    /// <summary>Found after a restart not to run the archive (the ANM says it runs another): it may have been pushed and not loaded.</summary>
    NotApplied,
    /// <summary>
    /// The load was sent and the console does not know yet whether the instance runs the archive (the call ended
    /// without an answer and the ANM could not be asked, or a load may still be completing): it keeps asking the ANM.
    /// </summary>
    Unknown,
}

public static class DeploymentStateRules
{
    public static bool IsFinished(this DeploymentState state) => state is not (DeploymentState.Pending or DeploymentState.Running);

    /// <summary>
    /// The end state from what each instance did: all loaded is success; none loaded is failure; otherwise partial.
    /// <paramref name="stopped"/> (the deployment did not reach every datacenter) wins over all three.
    /// </summary>
    public static DeploymentState Conclude(bool stopped, int loaded, int notLoaded) =>
        stopped ? DeploymentState.Stopped
        : loaded > 0 && notLoaded == 0 ? DeploymentState.Succeeded
        : loaded == 0 ? DeploymentState.Failed
        : DeploymentState.PartiallyApplied;
}
