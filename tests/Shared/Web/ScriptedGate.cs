using ApimConsole.Core.Guardrails;

namespace ApimConsole.Web.Tests.Deployments;

/// <summary>
/// A guardrail the test steers. The real one (GuardrailService) is not on this branch; the console resolves whatever
/// <see cref="IDeploymentGate"/> is registered, and this is registered only in these tests.
/// </summary>
public sealed class ScriptedGate : IDeploymentGate
{
    private readonly Lock _gate = new();
    private readonly List<IReadOnlyCollection<string>> _calls = [];

    /// <summary>Decides each call; null answers Allow.</summary>
    public Func<ChangeKind, IReadOnlyCollection<string>, (GuardrailDecision Decision, string[] Reasons)>? Script { get; set; }

    public IReadOnlyList<IReadOnlyCollection<string>> Calls
    {
        get { lock (_gate) return _calls.ToList(); }
    }

    public GuardrailVerdict Evaluate(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters)
    {
        lock (_gate)
            _calls.Add(targetDatacenters.ToList());
        var (decision, reasons) = Script?.Invoke(kind, targetDatacenters) ?? (GuardrailDecision.Allow, []);
        return new GuardrailVerdict(kind, decision, reasons, DateTimeOffset.UtcNow);
    }

    /// <summary>When set, every permit for these datacenters is revoked this long after it was handed out (a turn that outlasted its bound).</summary>
    public (string Datacenter, TimeSpan After)? RevokeAfter { get; set; }

    /// <summary>Asked the same way as <see cref="Evaluate"/> (and recorded in <see cref="Calls"/>); no turn waits for it.</summary>
    public DeploymentPermit Enter(ChangeKind kind, IReadOnlyCollection<string> targetDatacenters)
    {
        var verdict = Evaluate(kind, targetDatacenters);
        if (RevokeAfter is { } revoke && targetDatacenters.Contains(revoke.Datacenter))
        {
            var revoked = new CancellationTokenSource(revoke.After);
            return new DeploymentPermit(verdict, revoked.Token, revoked.Dispose);
        }
        return DeploymentPermit.Unguarded(verdict);
    }

    public void Reset()
    {
        Script = null;
        RevokeAfter = null;
        lock (_gate)
            _calls.Clear();
    }
}
