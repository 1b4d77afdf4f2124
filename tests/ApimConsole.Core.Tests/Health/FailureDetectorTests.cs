using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Health;
using Microsoft.Extensions.Time.Testing;

namespace ApimConsole.Core.Tests.Health;

public class FailureDetectorTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 14, 0, 0, TimeSpan.Zero));
    private readonly ProbeOptions _options = new() { Fall = 3, Rise = 2 };

    [Fact]
    public void FirstSuccess_IsUpAtOnce()
    {
        var detector = new FailureDetector(_options, _clock.GetUtcNow());
        Assert.Equal(ComponentState.Unknown, detector.State);
        Assert.True(detector.Observe(true, null, _clock.GetUtcNow()));
        Assert.Equal(ComponentState.Up, detector.State);
    }

    [Fact]
    public void FewerFailuresThanFall_KeepUp()
    {
        var detector = Up();
        Assert.False(detector.Observe(false, "refused", Tick()));
        Assert.False(detector.Observe(false, "refused", Tick()));
        Assert.Equal(ComponentState.Up, detector.State);
        Assert.False(detector.Observe(true, null, Tick()));
        Assert.False(detector.Observe(false, "refused", Tick()));
        Assert.False(detector.Observe(false, "refused", Tick()));
        Assert.Equal(ComponentState.Up, detector.State);
    }

    [Fact]
    public void FallConsecutiveFailures_GoDown_WithReasonAndSince()
    {
        var detector = Up();
        detector.Observe(false, "a", Tick());
        detector.Observe(false, "b", Tick());
        var at = Tick();
        Assert.True(detector.Observe(false, "connection refused", at));
        Assert.Equal(ComponentState.Down, detector.State);
        Assert.Equal("connection refused", detector.Reason);
        Assert.Equal(at, detector.Since);
    }

    [Fact]
    public void Down_NeedsRiseSuccesses_ToComeBack()
    {
        var detector = Up();
        for (var i = 0; i < 3; i++)
            detector.Observe(false, "x", Tick());
        Assert.False(detector.Observe(true, null, Tick()));
        Assert.Equal(ComponentState.Down, detector.State);
        Assert.True(detector.Observe(true, null, Tick()));
        Assert.Equal(ComponentState.Up, detector.State);
        Assert.Null(detector.Reason);
    }

    [Fact]
    public void NextDelay_IsFast_WhileEvidenceDisagrees()
    {
        var detector = new FailureDetector(_options, _clock.GetUtcNow());
        Assert.Equal(_options.FastInterval, detector.NextDelay);
        detector.Observe(true, null, Tick());
        Assert.Equal(_options.Interval, detector.NextDelay);
        detector.Observe(false, "x", Tick());
        Assert.Equal(_options.FastInterval, detector.NextDelay);
        detector.Observe(false, "x", Tick());
        detector.Observe(false, "x", Tick());
        Assert.Equal(_options.Interval, detector.NextDelay);
    }

    private FailureDetector Up()
    {
        var detector = new FailureDetector(_options, _clock.GetUtcNow());
        detector.Observe(true, null, Tick());
        return detector;
    }

    private DateTimeOffset Tick()
    {
        _clock.Advance(TimeSpan.FromMilliseconds(150));
        return _clock.GetUtcNow();
    }
}
