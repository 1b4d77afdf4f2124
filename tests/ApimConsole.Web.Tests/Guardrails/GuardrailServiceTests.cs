using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Live;
using ApimConsole.Core.Recovery;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Tests.Components;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;

namespace ApimConsole.Web.Tests.Guardrails;

public sealed class GuardrailServiceTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly FakeEstateStatus _status = new(At(T0));
    private readonly FakeRecoveryStatus _recovery = new();
    private readonly GuardrailService _guardrail;
    private readonly FeedSubscription<GuardrailState> _heard;
    private int _changes;

    public GuardrailServiceTests()
    {
        _guardrail = Service(_status, _recovery, _clock);
        _heard = _guardrail.Subscribe(capacity: 100);
    }

    public void Dispose() => _guardrail.Dispose();

    /// <summary>How many new states subscribers have been handed so far.</summary>
    private int Changes()
    {
        while (_heard.Updates.TryRead(out _))
            _changes++;
        return _changes;
    }

    /// <summary>The snapshot pump runs on its own task: wait for its effect, never sleep a fixed time.</summary>
    private Task<GuardrailState> WaitForAsync(Func<GuardrailState, bool> condition, string what) =>
        Eventually.Until(() => _guardrail.Current, condition, Wait, what,
            describe: state => string.Join("; ", state.Changes.Select(c => $"{c.Kind} {c.Decision}")));

    /// <summary>Moves the clock one probe interval at a time, as the status engine would tick, publishing nothing.</summary>
    private void AdvanceWithoutSnapshots(TimeSpan total)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += ProbeInterval)
            _clock.Advance(ProbeInterval);
    }

    [Fact]
    public void StartsAllowed_ForAFreshAllUpEstate()
    {
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.Equal([ChangeKind.GatewayConfiguration, ChangeKind.KpsTableStructure], _guardrail.Current.Changes.Select(c => c.Kind));
        Assert.Equal(T0, _guardrail.Current.EstateAsOf);
    }

    [Fact]
    public void StaleAfter_IsFourProbeIntervals_AtLeastThreeSeconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), _guardrail.StaleAfter);
    }

    [Fact]
    public void Evaluate_DecidesFromTheStateAtTheMomentOfTheCall()
    {
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Evaluate(ChangeKind.GatewayConfiguration, ["dc1", "dc2"]).Decision);

        // The engine's current snapshot changes; no pump, timer or event has run yet: the gate must see it at once.
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        var linkDown = At(_clock.GetUtcNow(), linkDown: true);
        _status.Publish(linkDown);

        var verdict = _guardrail.Evaluate(ChangeKind.KpsTableStructure, ["dc1"]);
        Assert.Equal(GuardrailDecision.Block, verdict.Decision);
        Assert.Contains(verdict.Reasons, r => r.StartsWith("Inter-DC link down", StringComparison.Ordinal));
        Assert.Equal(_clock.GetUtcNow(), verdict.AsOf);
    }

    [Fact]
    public void Evaluate_RejectsAnUnknownDatacenter()
    {
        var error = Assert.Throws<ArgumentException>(() => _guardrail.Evaluate(ChangeKind.GatewayConfiguration, ["dc3"]));
        Assert.Contains("'dc3'", error.Message);
    }

    [Fact]
    public async Task NewSnapshot_IsReEvaluated_AndChangedIsRaised()
    {
        _status.Publish(At(T0, downInDc2: "instance-2"));

        var state = await WaitForAsync(s => s.Worst == GuardrailDecision.Warn, "a gateway instance down to warn");
        Assert.Contains("dc2/instance-2", Assert.Single(state.For(ChangeKind.GatewayConfiguration).Reasons));
        Assert.True(Changes() >= 1);

        _status.Publish(At(T0));
        await WaitForAsync(s => s.Worst == GuardrailDecision.Allow, "back to allowed once the instance is up");
    }

    [Fact]
    public void StaleState_TurnsBlock_WithoutANewSnapshot()
    {
        // Fresh for StaleAfter (3 s): still allowed.
        AdvanceWithoutSnapshots(TimeSpan.FromSeconds(3));
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.Equal(0, Changes());

        // One more interval with no snapshot: the timer alone turns it.
        _clock.Advance(ProbeInterval);

        Assert.Equal(GuardrailDecision.Block, _guardrail.Current.For(ChangeKind.GatewayConfiguration).Decision);
        Assert.Equal(GuardrailDecision.Block, _guardrail.Current.For(ChangeKind.KpsTableStructure).Decision);
        Assert.Contains("last assessed 14:00:00 UTC", Assert.Single(_guardrail.Current.For(ChangeKind.GatewayConfiguration).Reasons));
        Assert.Equal(1, Changes());
    }

    [Fact]
    public void FreshSnapshots_KeepItAllowed_AndRaiseNothing()
    {
        // The engine moves AsOf on every assessment even when nothing changed (and publishes nothing to subscribers).
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(ProbeInterval);
            _status.SetCurrentOnly(At(_clock.GetUtcNow()));
        }

        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.Equal(0, Changes());
    }

    [Fact]
    public void StaleThenFreshAgain_TurnsBackToAllow()
    {
        AdvanceWithoutSnapshots(TimeSpan.FromSeconds(5));
        Assert.Equal(GuardrailDecision.Block, _guardrail.Current.Worst);

        _status.SetCurrentOnly(At(_clock.GetUtcNow()));
        _clock.Advance(ProbeInterval);

        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.Equal(2, Changes());
    }

    [Fact]
    public async Task RecoveryChange_IsReEvaluated_AtOnce()
    {
        _recovery.Set(new IncompleteRecovery("InterDatacenterLinkDown", "Inter-DC link down", T0.AddMinutes(-1), ["nodetool repair not yet marked done"]));

        // The gate sees it at the moment of the call.
        Assert.Equal(GuardrailDecision.Block, _guardrail.Evaluate(ChangeKind.KpsTableStructure, []).Decision);
        // The published state follows the recoveries' feed, without waiting for the timer.
        var gateway = (await WaitForAsync(s => s.Worst == GuardrailDecision.Block, "the recovery to block")).For(ChangeKind.GatewayConfiguration);
        Assert.Equal(GuardrailDecision.Block, gateway.Decision);
        Assert.Contains("Recovery from \"Inter-DC link down\"", Assert.Single(gateway.Reasons));
        Assert.Equal(1, Changes());

        _recovery.Set();
        await WaitForAsync(s => s.Worst == GuardrailDecision.Allow, "the recovery's end to allow");
        Assert.Equal(2, Changes());
    }

    [Fact]
    public async Task AStalledSubscriber_DoesNotStopTheOthers()
    {
        // Never read: it keeps the newest state and counts what it lost; nobody waits for it.
        using var stalled = _guardrail.Subscribe(capacity: 1);

        _recovery.Set(new IncompleteRecovery("DatacenterDown:dc2", "dc2 down", T0, []));
        await WaitForAsync(s => s.Worst == GuardrailDecision.Block, "the recovery to block");
        _recovery.Set();
        await WaitForAsync(s => s.Worst == GuardrailDecision.Allow, "the recovery's end to allow");

        Assert.Equal(2, Changes());
        Assert.Equal(1, stalled.Dropped);
    }

    [Fact]
    public void Dispose_LetsGoOfTheEstate_TheRecoveries_AndTheClock()
    {
        _guardrail.Dispose();

        Assert.Equal(0, _status.Subscribers);
        Assert.Equal(0, _recovery.Subscribers);
        AdvanceWithoutSnapshots(TimeSpan.FromSeconds(10));
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.Equal(0, Changes());
    }
}
