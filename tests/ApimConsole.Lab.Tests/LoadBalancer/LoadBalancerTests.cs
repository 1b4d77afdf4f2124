using System.Text.Json;
using ApimConsole.Lab.Tests.Support;

namespace ApimConsole.Lab.Tests.LoadBalancer;

public sealed class LoadBalancerTests
{
    private static async Task WaitForPoolsAsync(HttpClient client, LabEstate lab, int dc1Healthy, int dc2Healthy, string what)
    {
        await Eventually.Until(async () =>
        {
            var pools = await LabTestHost.PoolsAsync(client, lab);
            return LabTestHost.Pool(pools, "dc1").GetProperty("healthyDestinations").GetInt32() == dc1Healthy
                && LabTestHost.Pool(pools, "dc2").GetProperty("healthyDestinations").GetInt32() == dc2Healthy;
        }, TimeSpan.FromSeconds(10), what);
    }

    [Fact]
    public async Task Pools_ReactToAnInstanceDown_AndToADatacenterDown()
    {
        await using var lab = await LabTestHost.StartAsync();
        using var client = LabTestHost.Client();
        await WaitForPoolsAsync(client, lab, 2, 2, "all DMZ members healthy");

        var pools = await LabTestHost.PoolsAsync(client, lab);
        Assert.True(pools.TryGetProperty("asOf", out _));
        var dc1 = LabTestHost.Pool(pools, "dc1");
        Assert.True(dc1.GetProperty("serving").GetBoolean());
        Assert.Equal(2, dc1.GetProperty("destinations").GetInt32());
        Assert.Equal(["dc1/instance-3", "dc1/instance-4"], dc1.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        lab.Faults.Apply("dc1/instance-3", "down");
        await WaitForPoolsAsync(client, lab, 1, 2, "dc1/instance-3 out of the pool");
        var afterInstance = LabTestHost.Pool(await LabTestHost.PoolsAsync(client, lab), "dc1");
        Assert.True(afterInstance.GetProperty("serving").GetBoolean());
        Assert.False(afterInstance.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "dc1/instance-3").GetProperty("healthy").GetBoolean());

        lab.Faults.Apply("dc2", "down");
        await WaitForPoolsAsync(client, lab, 1, 0, "dc2 out of the pool");
        Assert.False(LabTestHost.Pool(await LabTestHost.PoolsAsync(client, lab), "dc2").GetProperty("serving").GetBoolean());

        lab.Faults.HealAll();
        await WaitForPoolsAsync(client, lab, 2, 2, "everything back after healing");
    }

    [Fact]
    public async Task DatacenterDown_MovesItsTrafficToTheOtherDatacenter()
    {
        await using var lab = await LabTestHost.StartAsync(o => o.TrafficRatePerSecond = 60);
        using var client = LabTestHost.Client();
        using var dc1 = LabTestHost.AnmClient(lab.Endpoints["dc1"]);
        using var dc2 = LabTestHost.AnmClient(lab.Endpoints["dc2"]);
        await WaitForPoolsAsync(client, lab, 2, 2, "all DMZ members healthy");

        // Shares of what the generator had answered in each window, not absolute counts: on a loaded machine the
        // generator's achieved rate varies from one window to the next.
        var window = TimeSpan.FromSeconds(1.5);
        var beforeStart = DateTimeOffset.UtcNow;
        var sentAtBefore = lab.TrafficSent;
        await Eventually.Until(() => DateTimeOffset.UtcNow > beforeStart + window, TimeSpan.FromSeconds(10), "the first window to pass");
        var sentBefore = lab.TrafficSent - sentAtBefore;
        var dc1Before = await CountDmzTransactionsAsync(dc1, beforeStart, beforeStart + window);
        var dc2Before = await CountDmzTransactionsAsync(dc2, beforeStart, beforeStart + window);
        Assert.True(dc1Before > 0 && dc2Before > 0, $"both DCs serve at first (dc1 {dc1Before}, dc2 {dc2Before})");

        lab.Faults.Apply("dc2", "down");
        await WaitForPoolsAsync(client, lab, 2, 0, "dc2 out of the pool");
        var afterStart = DateTimeOffset.UtcNow;
        var sentAtAfter = lab.TrafficSent;
        await Eventually.Until(() => DateTimeOffset.UtcNow > afterStart + window, TimeSpan.FromSeconds(10), "the second window to pass");
        var sentAfter = lab.TrafficSent - sentAtAfter;
        var dc1After = await CountDmzTransactionsAsync(dc1, afterStart, afterStart + window);

        // Round robin over four members, then over two: dc1 served about half, then about all of it.
        var shareBefore = (double)dc1Before / Math.Max(1, dc1Before + dc2Before);
        var shareAfter = (double)dc1After / Math.Max(1, sentAfter);
        Assert.True(sentAfter > 0, "the generator kept sending");
        Assert.True(shareAfter >= 0.75, $"dc1 took over dc2's share: dc1 served {dc1After} of {sentAfter} answered after (before: dc1 {dc1Before}, dc2 {dc2Before} of {sentBefore})");
        Assert.True(shareAfter > shareBefore * 1.4, $"dc1's share rose: before {shareBefore:P0}, after {shareAfter:P0}");
    }

    private static async Task<int> CountDmzTransactionsAsync(HttpClient anm, DateTimeOffset from, DateTimeOffset to)
    {
        var count = 0;
        foreach (var instance in new[] { "instance-3", "instance-4" })
        {
            var search = await LabTestHost.GetJsonAsync(anm, $"/api/router/service/{instance}/ops/search?format=json&field=leg&value=0&count=1000&ago=5m");
            foreach (var t in search.GetProperty("data").EnumerateArray())
            {
                Assert.Equal("127.0.0.2", t.GetProperty("remoteAddr").GetString());
                var at = DateTimeOffset.FromUnixTimeMilliseconds(t.GetProperty("timestamp").GetInt64());
                if (at >= from && at < to)
                    count++;
            }
        }
        return count;
    }
}
