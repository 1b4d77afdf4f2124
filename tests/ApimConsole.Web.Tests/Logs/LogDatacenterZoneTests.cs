using ApimConsole.Web.Logs;

namespace ApimConsole.Web.Tests.Logs;

public sealed class LogDatacenterZoneTests
{
    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    [Fact]
    public void ZoneSentence_InWinter_NamesTheZoneItsStandardNameAndUtcPlusOne()
    {
        var dc = new LogDatacenter("dc2", "Amsterdam", Amsterdam);
        var sentence = dc.ZoneSentence(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
        Assert.StartsWith("Times are Amsterdam's local time: Europe/Amsterdam, ", sentence);
        Assert.EndsWith("(UTC+01:00).", sentence);
        Assert.Contains(Amsterdam.StandardName, sentence);
    }

    [Fact]
    public void ZoneSentence_InSummer_SaysTheDaylightNameAndUtcPlusTwo()
    {
        var dc = new LogDatacenter("dc2", "Amsterdam", Amsterdam);
        var sentence = dc.ZoneSentence(new DateTimeOffset(2026, 7, 1, 10, 0, 0, TimeSpan.Zero));
        Assert.Contains(Amsterdam.DaylightName, sentence);
        Assert.EndsWith("(UTC+02:00).", sentence);
    }

    [Fact]
    public void ZoneSentence_WithoutAZone_SaysUtc_NotTheCitysLocalTime()
    {
        var dc = new LogDatacenter("dc2", "Amsterdam", TimeZoneInfo.Utc);
        var sentence = dc.ZoneSentence(DateTimeOffset.UtcNow);
        Assert.Equal("Times are UTC, as Amsterdam's gateways write them.", sentence);
        Assert.DoesNotContain("local time", sentence);
    }
}
