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
            rollup.Add(Tx(T0, uri: $"/scan-{i}/x"));
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

    [Theory]
    [InlineData("/orders/v1/items/4711?x=1", "/orders/v1/items/{id}")]
    [InlineData("/orders/v1", "/orders/v1")]
    [InlineData("/payments/v2/3f2504e0-4f89-11d3-9a0c-0305e82c3301/refund", "/payments/v2/{id}/refund")]
    [InlineData("/tx/697f605fdb408a78c01cc73e", "/tx/{id}")]
    [InlineData("/catalog/v1/abc123", "/catalog/v1/abc123")]
    public void Path_TemplatesIdSegments_SoOneApiIsOnePath(string uri, string path) => Assert.Equal(path, TrafficRollup.PathOf(uri));

    [Fact]
    public void ResourceIds_DoNotMultiplyCells()
    {
        var rollup = new TrafficRollup();
        for (var i = 0; i < 500; i++)
            rollup.Add(Tx(T0, uri: $"/orders/v1/items/{i}"));
        var cell = Assert.Single(rollup.Drain());
        Assert.Equal("/orders/v1/items/{id}", cell.Key.ApiPath);
        Assert.Equal(500, cell.Value.Count);
    }

    [Fact]
    public void Merge_PutsBackDrainedCells()
    {
        var rollup = new TrafficRollup();
        rollup.Add(Tx(T0));
        var drained = rollup.Drain();
        rollup.Add(Tx(T0.AddSeconds(1)));
        foreach (var (key, stats) in drained)
            rollup.Merge(key, stats);
        Assert.Equal(2, Assert.Single(rollup.Drain()).Value.Count);
    }

    [Fact]
    public void ExceptionsWithoutStatus_CountAsFailures()
    {
        var stats = new TrafficStats();
        stats.Add(Tx(T0, status: 0, final: "Exception"));
        Assert.Equal(1, stats.Failures);
        Assert.Equal(1, stats.StatusOther);
    }
}
