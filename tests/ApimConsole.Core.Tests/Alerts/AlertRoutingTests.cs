using ApimConsole.Core.Alerts;

namespace ApimConsole.Core.Tests.Alerts;

public sealed class AlertRoutingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    private static AlertSignal Signal(AlertSeverity severity, string? dc, AlertKind kind = AlertKind.Scenario, string key = "scenario:X") =>
        new(kind, key, severity, dc, "t", "x", T0);

    private static readonly AlertRoute[] Routes =
    [
        new(1, AlertMatcher.Parse("severity>=critical"), ChannelId: 10, RepeatEvery: TimeSpan.FromMinutes(30)),
        new(2, AlertMatcher.Parse("dc=dc2"), ChannelId: 20, RepeatEvery: null),
        new(3, AlertMatcher.Parse("kind=scenario"), ChannelId: 10, RepeatEvery: TimeSpan.FromMinutes(10)),
    ];

    [Fact]
    public void Route_GoesToEveryMatchingChannelOnce()
    {
        Assert.Equal([10L, 20L], AlertRouting.Route(Signal(AlertSeverity.Critical, "dc2"), Routes, []).ChannelIds);
        Assert.Equal([10L], AlertRouting.Route(Signal(AlertSeverity.Warning, "dc1"), Routes, []).ChannelIds);
        Assert.Empty(AlertRouting.Route(Signal(AlertSeverity.Warning, "dc1", AlertKind.Guardrail), Routes, []).ChannelIds);
    }

    [Fact]
    public void Silence_MutesOnlyInsideItsWindow_AndOnlyWhatItMatches()
    {
        var mute = new AlertMute(7, AlertMatcher.Parse("dc=dc2"), T0.AddMinutes(-5), T0.AddMinutes(5));
        Assert.Equal(7, AlertRouting.Route(Signal(AlertSeverity.Critical, "dc2"), Routes, [mute]).SilencedBy);
        Assert.Null(AlertRouting.Route(Signal(AlertSeverity.Critical, "dc1"), Routes, [mute]).SilencedBy);
        Assert.Null(AlertRouting.Route(Signal(AlertSeverity.Critical, "dc2") with { At = T0.AddMinutes(5) }, Routes, [mute]).SilencedBy);
        Assert.Null(AlertRouting.Route(Signal(AlertSeverity.Critical, "dc2") with { At = T0.AddMinutes(-6) }, Routes, [mute]).SilencedBy);
    }

    [Fact]
    public void RepeatEvery_IsTheShortestOfTheRulesRoutingThere()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), AlertRouting.RepeatEvery(AlertKind.Scenario, AlertSeverity.Critical, "dc2", "scenario:X", 10, Routes));
        Assert.Equal(TimeSpan.FromMinutes(30), AlertRouting.RepeatEvery(AlertKind.Guardrail, AlertSeverity.Critical, null, "guardrail:X", 10, Routes));
        Assert.Null(AlertRouting.RepeatEvery(AlertKind.Scenario, AlertSeverity.Critical, "dc2", "scenario:X", 20, Routes));
    }

    [Fact]
    public void Backoff_Doubles_UpToTheCeiling_ThenGivesUp()
    {
        var backoff = new DeliveryBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), MaxAttempts: 6);
        Assert.Equal([5d, 10d, 20d, 30d, 30d], Enumerable.Range(1, 5).Select(n => backoff.After(n)!.Value.TotalSeconds));
        Assert.Null(backoff.After(6));
    }
}
