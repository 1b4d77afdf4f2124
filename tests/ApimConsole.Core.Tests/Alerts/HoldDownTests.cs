using ApimConsole.Core.Alerts;

namespace ApimConsole.Core.Tests.Alerts;

public sealed class HoldDownTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 14, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(10);

    private static AlertSignal Block(string kind, string text = "Block") =>
        new(AlertKind.Guardrail, "guardrail:" + kind, AlertSeverity.Critical, null, $"Guardrail: Block {kind} deployments", text, T0);

    private static AlertSignal Warn(string kind) =>
        new(AlertKind.Guardrail, "guardrail:" + kind, AlertSeverity.Warning, null, $"Guardrail: Warn {kind} deployments", "Warn", T0);

    [Fact]
    public void ASignal_IsHeldOnlyOnceItsHoldHasPassed_AndUntilThenSaysWhenItWillBe()
    {
        var hold = new HoldDown(Hold);
        hold.Observe([Block("GatewayConfiguration")], T0);

        Assert.Equal(("", T0 + Hold), Flatten(hold.Due(T0)));
        // A timer that fires a millisecond early (it counts whole milliseconds): still pending, and due in 1 ms. Before,
        // the raiser looked once, found nothing held and dropped the alert until the guardrail next published.
        var early = T0 + Hold - TimeSpan.FromMilliseconds(1);
        Assert.Equal(("", T0 + Hold), Flatten(hold.Due(early)));
        Assert.Equal(("guardrail:GatewayConfiguration", null), Flatten(hold.Due(T0 + Hold)));
    }

    [Fact]
    public void AChangeOfSeverityOrText_KeepsTheTime_AnEndForgetsIt()
    {
        var hold = new HoldDown(Hold);
        hold.Observe([Warn("KpsTableStructure")], T0);
        hold.Observe([Block("KpsTableStructure", "dc2 down")], T0 + TimeSpan.FromSeconds(6));
        var (held, next) = hold.Due(T0 + Hold);
        Assert.Equal("dc2 down", Assert.Single(held).Text);
        Assert.Null(next);

        // Back at Allow (no signal), then Block again: timed from the new start.
        hold.Observe([], T0 + TimeSpan.FromSeconds(11));
        hold.Observe([Block("KpsTableStructure")], T0 + TimeSpan.FromSeconds(12));
        Assert.Equal(("", T0 + TimeSpan.FromSeconds(22)), Flatten(hold.Due(T0 + TimeSpan.FromSeconds(21))));
    }

    [Fact]
    public void SeveralKeys_AreTimedEachFromItsOwnStart_TheNextDueIsTheEarliestPending()
    {
        var hold = new HoldDown(Hold);
        hold.Observe([Block("GatewayConfiguration")], T0);
        hold.Observe([Block("GatewayConfiguration"), Block("KpsTableStructure")], T0 + TimeSpan.FromSeconds(4));
        Assert.Equal(("guardrail:GatewayConfiguration", T0 + TimeSpan.FromSeconds(14)), Flatten(hold.Due(T0 + TimeSpan.FromSeconds(10))));
        Assert.Equal(("guardrail:GatewayConfiguration, guardrail:KpsTableStructure", null), Flatten(hold.Due(T0 + TimeSpan.FromSeconds(14))));
    }

    [Fact]
    public void NoHold_HoldsAtOnce_ANegativeOneIsRefused()
    {
        var hold = new HoldDown(TimeSpan.Zero);
        hold.Observe([Block("GatewayConfiguration")], T0);
        Assert.Equal(("guardrail:GatewayConfiguration", null), Flatten(hold.Due(T0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HoldDown(TimeSpan.FromSeconds(-1)));
    }

    // The held keys as one string: a tuple compares arrays by reference.
    private static (string Keys, DateTimeOffset? Next) Flatten((IReadOnlyList<AlertSignal> Held, DateTimeOffset? NextDue) due) =>
        (string.Join(", ", due.Held.Select(s => s.Key)), due.NextDue);
}
