using ApimConsole.Core.Alerts;

namespace ApimConsole.Core.Tests.Alerts;

public sealed class AlertMatcherTests
{
    private static AlertSignal Signal(AlertKind kind = AlertKind.Scenario, AlertSeverity severity = AlertSeverity.Critical, string? dc = "dc2",
        string key = "scenario:DatacenterDown:dc2") => new(kind, key, severity, dc, "t", "x", DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("", true)]
    [InlineData("kind=scenario", true)]
    [InlineData("kind=guardrail|scenario", true)]
    [InlineData("kind!=scenario", false)]
    [InlineData("severity>=warning", true)]
    [InlineData("severity>=critical dc=dc2", true)]
    [InlineData("severity=warning", false)]
    [InlineData("dc=DC2", true)]
    [InlineData("dc=dc1", false)]
    [InlineData("dc!=dc1", true)]
    [InlineData("key=scenario:DatacenterDown:*", true)]
    [InlineData("key=scenario:Datacenter", false)]
    [InlineData("kind=scenario, severity>=critical, key=scenario:*", true)]
    public void Matches_TheSignalsItsTermsDescribe(string matcher, bool expected) =>
        Assert.Equal(expected, AlertMatcher.Parse(matcher).Matches(Signal()));

    [Fact]
    public void Datacenter_DoesNotMatchAnAlertOfBothDatacenters() =>
        Assert.False(AlertMatcher.Parse("dc=dc2").Matches(Signal(dc: null)));

    [Theory]
    [InlineData("colour=red", "unknown field 'colour'")]
    [InlineData("kind=weather", "'weather' is not a kind")]
    [InlineData("severity>=loud", "'loud' is not a severity")]
    [InlineData("severity=1", "'1' is not a severity")]
    [InlineData("kind>=scenario", ">= is for severity only")]
    [InlineData("severity>=warning|critical", ">= takes one severity")]
    [InlineData("dc=", "an empty value")]
    [InlineData("dc=dc1|", "an empty value")]
    [InlineData("justtext", "is not a term")]
    [InlineData("=dc1", "is not a term")]
    [InlineData("key=*:dc2", "'*' may only end a key pattern")]
    public void BadMatcher_IsRefusedNamingTheTerm(string matcher, string expected)
    {
        var e = Assert.Throws<AlertMatcherException>(() => AlertMatcher.Parse(matcher));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(AlertMatcher.TryParse(matcher, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void OverlongMatcher_IsRefused() =>
        Assert.Throws<AlertMatcherException>(() => AlertMatcher.Parse("dc=" + new string('a', AlertMatcher.MaxLength)));
}
