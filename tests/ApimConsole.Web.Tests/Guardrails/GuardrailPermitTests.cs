using ApimConsole.Core.Guardrails;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Tests.Components;
using Microsoft.Extensions.Time.Testing;
using static ApimConsole.Web.Tests.Guardrails.GuardrailEstate;

namespace ApimConsole.Web.Tests.Guardrails;

/// <summary>
/// The permits that make "no push while the console says Block" hold: a turn to Block waits for the permits in
/// flight, hands out none while it waits or after, and names a call still on the wire at its bound (on the fake clock).
/// </summary>
public sealed class GuardrailPermitTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private const ChangeKind Gateway = ChangeKind.GatewayConfiguration;

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly FakeEstateStatus _status = new(At(T0));
    private readonly FakeRecoveryStatus _recovery = new();
    private readonly GuardrailService _guardrail;

    public GuardrailPermitTests() => _guardrail = Service(_status, _recovery, _clock);

    public void Dispose() => _guardrail.Dispose();

    /// <summary>The pump and the end of a turn run on their own tasks: wait for their effect, never sleep a fixed time.</summary>
    private Task WaitUntilAsync(Func<bool> condition, string what) =>
        Eventually.Until(() => _guardrail.History, _ => condition(), Wait, what,
            describe: history => "history " + string.Join("; ", history));

    private bool PublishedBlock(string? datacenter) =>
        _guardrail.History.LastOrDefault(t => t.Kind == Gateway && t.DatacenterId == datacenter)?.Decision == GuardrailDecision.Block;

    [Fact]
    public void History_StartsWithTheStateAtStartUp_ToEveryDatacenterAndPerDatacenter()
    {
        Assert.Equal(
            [(Gateway, (string?)null), (ChangeKind.KpsTableStructure, null), (Gateway, "dc1"), (ChangeKind.KpsTableStructure, "dc1"), (Gateway, "dc2"), (ChangeKind.KpsTableStructure, "dc2")],
            _guardrail.History.Select(t => (t.Kind, t.DatacenterId)));
        Assert.All(_guardrail.History, t => Assert.Equal((T0, GuardrailDecision.Allow), (t.At, t.Decision)));
    }

    [Fact]
    public void Permit_IsCountedInFlightUntilDisposed_AndABlockedOneIsNotCounted()
    {
        var permit = _guardrail.Enter(Gateway, ["dc2"]);
        Assert.Equal(GuardrailDecision.Allow, permit.Verdict.Decision);
        Assert.Equal(1, _guardrail.PermitsInFlight);
        permit.Dispose();
        permit.Dispose();
        Assert.Equal(0, _guardrail.PermitsInFlight);

        _status.SetCurrentOnly(At(T0, linkDown: true));
        using var refused = _guardrail.Enter(Gateway, ["dc2"]);
        Assert.Equal(GuardrailDecision.Block, refused.Verdict.Decision);
        Assert.Equal(0, _guardrail.PermitsInFlight);
    }

    [Fact]
    public async Task TurnToBlock_WaitsForThePermitInFlight_ThenPublishes()
    {
        var permit = _guardrail.Enter(Gateway, ["dc2"]);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        _status.Publish(At(_clock.GetUtcNow(), linkDown: true));
        await WaitUntilAsync(() => _guardrail.TurnInProgress, "the turn to start");

        // While the push is in flight the console has not turned: neither the banner nor the per-DC state says Block.
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Current.Worst);
        Assert.False(PublishedBlock("dc2"));
        Assert.False(PublishedBlock(null));

        _clock.Advance(TimeSpan.FromMilliseconds(300));
        var released = _clock.GetUtcNow();
        permit.Dispose();

        await WaitUntilAsync(() => !_guardrail.TurnInProgress && _guardrail.Current.Worst == GuardrailDecision.Block, "the turn to be published");
        Assert.False(permit.Revoked.IsCancellationRequested);
        Assert.Equal(0, _guardrail.PermitsRevoked);
        Assert.Equal(1, _guardrail.TurnsWaited);
        // Published at the moment the permit was released, not when the snapshot arrived.
        var turned = _guardrail.History.Last(t => t.Kind == Gateway && t.DatacenterId == "dc2");
        Assert.Equal((released, GuardrailDecision.Block), (turned.At, turned.Decision));
        Assert.True(PublishedBlock(null));
    }

    [Fact]
    public async Task NoPermit_IsHandedOutDuringTheTurn_EvenIfTheStateLooksAllowedAgain()
    {
        var permit = _guardrail.Enter(Gateway, ["dc2"]);
        _status.Publish(At(T0, linkDown: true));
        await WaitUntilAsync(() => _guardrail.TurnInProgress, "the turn to start");

        // The link is back as far as the engine's current snapshot goes, but the turn has not finished.
        _status.SetCurrentOnly(At(T0));
        Assert.Equal(GuardrailDecision.Allow, _guardrail.Evaluate(Gateway, ["dc2"]).Decision);
        using (var during = _guardrail.Enter(Gateway, ["dc2"]))
        {
            Assert.Equal(GuardrailDecision.Block, during.Verdict.Decision);
            Assert.Contains("turning dc2", Assert.Single(during.Verdict.Reasons));
        }
        Assert.Equal(1, _guardrail.PermitsInFlight);

        // The turn ends by deciding again from the state as it is then: allowed, so nothing was ever published as Block.
        permit.Dispose();
        await WaitUntilAsync(() => !_guardrail.TurnInProgress, "the turn to end");
        Assert.False(PublishedBlock("dc2"));
        using var after = _guardrail.Enter(Gateway, ["dc2"]);
        Assert.Equal(GuardrailDecision.Allow, after.Verdict.Decision);
    }

    [Fact]
    public async Task AfterTheTurn_APermitIsNeverMorePermissiveThanThePublishedState()
    {
        var permit = _guardrail.Enter(Gateway, ["dc2"]);
        _status.Publish(At(T0, linkDown: true));
        await WaitUntilAsync(() => _guardrail.TurnInProgress, "the turn to start");
        permit.Dispose();
        await WaitUntilAsync(() => PublishedBlock("dc2"), "the Block to be published");

        // The engine's snapshot says all up again, but nothing has re-evaluated yet: the console still says Block.
        _status.SetCurrentOnly(At(T0));
        using var refused = _guardrail.Enter(Gateway, ["dc2"]);
        Assert.Equal(GuardrailDecision.Block, refused.Verdict.Decision);
        Assert.Contains(refused.Verdict.Reasons, r => r.StartsWith("Inter-DC link down", StringComparison.Ordinal));
        Assert.Equal(0, _guardrail.PermitsInFlight);

        // Once it re-evaluates (the timer), the turn back to Allow needs no wait and permits flow again.
        _clock.Advance(ProbeInterval);
        Assert.False(PublishedBlock("dc2"));
        using var allowed = _guardrail.Enter(Gateway, ["dc2"]);
        Assert.Equal(GuardrailDecision.Allow, allowed.Verdict.Decision);
    }

    [Fact]
    public async Task ACallStillOnTheWireAtTheBound_IsNamedOnTheTurnToBlock_AndTheTurnHappensAnyway()
    {
        var stuck = _guardrail.Enter(Gateway, ["dc2"], "load of a1 on dc2/instance-3 (deployment 7)");
        var other = _guardrail.Enter(ChangeKind.KpsTableStructure, ["dc1"], "load of b2 on dc1/instance-1 (deployment 8)");
        _status.Publish(At(T0, linkDown: true));
        await WaitUntilAsync(() => _guardrail.TurnInProgress, "the turn to start");

        _clock.Advance(GuardrailService.TurnBound - TimeSpan.FromMilliseconds(1));
        Assert.True(_guardrail.TurnInProgress);
        Assert.False(stuck.Revoked.IsCancellationRequested);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => !_guardrail.TurnInProgress, "the turn to end at its bound");
        Assert.True(stuck.Revoked.IsCancellationRequested);
        Assert.True(other.Revoked.IsCancellationRequested);
        Assert.Equal(2, _guardrail.PermitsRevoked);
        // Still on the wire: in flight until their calls end.
        Assert.Equal(2, _guardrail.PermitsInFlight);
        Assert.True(PublishedBlock("dc2"));
        Assert.True(PublishedBlock("dc1"));
        Assert.Equal(T0 + GuardrailService.TurnBound, _guardrail.History.Last().At);
        // Each call is named on its own kind and datacenter's turn to Block, and on its kind's turn to every datacenter.
        var turns = _guardrail.History.Where(t => t.At == T0 + GuardrailService.TurnBound && t.Decision == GuardrailDecision.Block).ToList();
        Assert.Equal(["load of a1 on dc2/instance-3 (deployment 7)"], turns.Single(t => t.Kind == Gateway && t.DatacenterId == "dc2").InFlight);
        Assert.Null(turns.Single(t => t.Kind == Gateway && t.DatacenterId == "dc1").InFlight);
        Assert.Equal(["load of b2 on dc1/instance-1 (deployment 8)"], turns.Single(t => t.Kind == ChangeKind.KpsTableStructure && t.DatacenterId == "dc1").InFlight);
        Assert.Equal(["load of a1 on dc2/instance-3 (deployment 7)"], turns.Single(t => t.Kind == Gateway && t.DatacenterId is null).InFlight);
        stuck.Dispose();
        other.Dispose();
        Assert.Equal(0, _guardrail.PermitsInFlight);
    }

    [Fact]
    public async Task ACallNamedOnATurn_IsNamedAgainOnEveryLaterTurnToBlockWhileOnTheWire_WithoutWaitingAgain()
    {
        // A 30 s load outlives several flaps of the link: each Block it is still on the wire for must name it.
        const string call = "load of a1 on dc2/instance-3 (deployment 7)";
        var load = _guardrail.Enter(Gateway, ["dc2"], call);
        _status.Publish(At(T0, linkDown: true));
        await WaitUntilAsync(() => _guardrail.TurnInProgress, "the first turn to start");
        _clock.Advance(GuardrailService.TurnBound);
        await WaitUntilAsync(() => PublishedBlock("dc2"), "the first Block");
        Assert.True(load.Revoked.IsCancellationRequested);
        var waited = _guardrail.TurnsWaited;

        // The link heals: Allow is published at once (a better state needs no wait).
        _clock.Advance(TimeSpan.FromSeconds(1));
        _status.Publish(At(_clock.GetUtcNow()));
        await WaitUntilAsync(() => !PublishedBlock("dc2"), "Allow again");

        // It is cut again while the load is still on the wire: Block at once, naming the load again.
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = _clock.GetUtcNow();
        _status.Publish(At(second, linkDown: true));
        await WaitUntilAsync(() => PublishedBlock("dc2"), "the second Block");
        Assert.False(_guardrail.TurnInProgress);
        Assert.Equal(waited, _guardrail.TurnsWaited);
        var turn = _guardrail.History.Last(t => t.Kind == Gateway && t.DatacenterId == "dc2");
        Assert.Equal((second, GuardrailDecision.Block), (turn.At, turn.Decision));
        Assert.Equal([call], turn.InFlight);
        Assert.Equal(1, _guardrail.PermitsRevoked);
        Assert.Equal(1, _guardrail.PermitsInFlight);

        // Once the call has ended, a third cut names nothing.
        load.Dispose();
        _clock.Advance(TimeSpan.FromSeconds(1));
        _status.Publish(At(_clock.GetUtcNow()));
        await WaitUntilAsync(() => !PublishedBlock("dc2"), "Allow a second time");
        _clock.Advance(TimeSpan.FromSeconds(1));
        _status.Publish(At(_clock.GetUtcNow(), linkDown: true));
        await WaitUntilAsync(() => PublishedBlock("dc2"), "the third Block");
        Assert.Null(_guardrail.History.Last(t => t.Kind == Gateway && t.DatacenterId == "dc2").InFlight);
        Assert.Equal(0, _guardrail.PermitsInFlight);
    }

    [Fact]
    public async Task ATurnOfOneDatacenter_DoesNotWaitForPermitsOfAnother()
    {
        using var dc1 = _guardrail.Enter(Gateway, ["dc1"]);
        // dc2's ANM down: Block for a change to dc2, nothing for a change to dc1 only.
        _status.Publish(At(T0, downInDc2: "anm"));
        await WaitUntilAsync(() => PublishedBlock("dc2"), "dc2 to turn Block");
        Assert.False(_guardrail.TurnInProgress);
        Assert.False(PublishedBlock("dc1"));
        Assert.False(dc1.Revoked.IsCancellationRequested);
    }
}
