using ApimConsole.Core.Traffic;

namespace ApimConsole.Core.Tests.Traffic;

public sealed class TrafficRollupTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 14, 0, 0, TimeSpan.Zero);

    internal static TrafficTransaction Tx(DateTimeOffset at, string dc = "dc1", string instance = "instance-1", string uri = "/api/orders?id=1",
        int status = 200, double ms = 20, string final = "Pass") =>
        new(dc, instance, Guid.NewGuid().ToString("N")[..24], at, ms, status, "GET", uri, "Orders", final);

    [Fact]
    public void Transactions_RollUp_PerMinute_Instance_AndPath()
    {
        var rollup = new TrafficRollup();
        rollup.Add(Tx(T0.AddSeconds(5)));
        rollup.Add(Tx(T0.AddSeconds(59), status: 503, final: "Fail"));
        rollup.Add(Tx(T0.AddSeconds(61)));
        rollup.Add(Tx(T0.AddSeconds(10), instance: "instance-2"));
        rollup.Add(Tx(T0.AddSeconds(10), uri: "/api/customers"));

        var cells = rollup.Drain().ToDictionary(c => c.Key, c => c.Value);
        Assert.Equal(4, cells.Count);
        var first = cells[new TrafficMinuteKey("dc1", "instance-1", "/api/orders", T0)];
        Assert.Equal(2, first.Count);
        Assert.Equal(1, first.Successes);
        Assert.Equal(1, first.Failures);
        Assert.Equal(1, first.Status2xx);
        Assert.Equal(1, first.Status5xx);
        Assert.Equal(0.5, first.ErrorRate);
        Assert.Equal(1, cells[new TrafficMinuteKey("dc1", "instance-1", "/api/orders", T0.AddMinutes(1))].Count);
        Assert.Equal(0, rollup.CellCount);
    }

    [Fact]
    public void DistinctPaths_AreCapped_PerInstanceMinute()
    {
        var rollup = new TrafficRollup();
        for (var i = 0; i < TrafficRollup.MaxPathsPerInstanceMinute + 50; i++)
            rollup.Add(Tx(T0, uri: $"/scan/{i}"));
        var cells = rollup.Drain();
        Assert.Equal(TrafficRollup.MaxPathsPerInstanceMinute + 1, cells.Count);
        Assert.Equal(50, cells.Single(c => c.Key.ApiPath == TrafficRollup.OtherPaths).Value.Count);
        Assert.Equal(TrafficRollup.MaxPathsPerInstanceMinute + 50, cells.Sum(c => c.Value.Count));
    }

    [Theory]
    [InlineData("/api/orders?id=1", "/api/orders")]
    [InlineData("/api/orders#frag", "/api/orders")]
    [InlineData("https://gw.example:8080/api/x?q", "/api/x")]
    [InlineData("", "/")]
    [InlineData("?only=query", "/")]
    public void Path_DropsQueryAndHost(string uri, string path) => Assert.Equal(path, TrafficRollup.PathOf(uri));

    [Fact]
    public void ExceptionsWithoutStatus_CountAsFailures()
    {
        var stats = new TrafficStats();
        stats.Add(Tx(T0, status: 0, final: "Exception"));
        Assert.Equal(1, stats.Failures);
        Assert.Equal(1, stats.StatusOther);
    }
}
