using System.Diagnostics;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.Engine;

namespace ApimConsole.Monitoring.Tests.Hostile;

/// <summary>Runs alone: it measures the process's thread pool, which tests running beside it would disturb.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HungEstateCollection
{
    public const string Name = "Hung estate";
}

/// <summary>
/// A large estate whose every peer accepts connections and never answers: the engine keeps at most
/// <see cref="StatusEngine.MaxConcurrentProbes"/> probes in flight, every component ends Down with a timeout reason,
/// and the thread pool stays free for everything else (pages, the hub, the API).
/// </summary>
[Collection(HungEstateCollection.Name)]
public sealed class HungEstateTests
{
    /// <summary>Three datacenters of two ANMs and 40 Cassandra nodes each, all on one hung peer: 126 components.</summary>
    private static async Task<HostileEngine> StartHungEstateAsync(HostilePeer peer, int datacenters, int anms, int cassandra)
    {
        var options = Enumerable.Range(1, datacenters).Select(d =>
        {
            var dc = HostileEngine.Datacenter($"dc{d}", anm: null, cassandra: [.. Enumerable.Repeat(peer.Endpoint.ToString(), cassandra)]);
            dc.AdminNodeManager.Urls = [.. Enumerable.Range(1, anms).Select(_ => peer.Url.AbsoluteUri.TrimEnd('/'))];
            return dc;
        }).ToArray();
        return await HostileEngine.StartAsync(options);
    }

    [Fact]
    public async Task ProbesInFlight_NeverExceedTheEnginesBound_AndAllEndDownWithATimeout()
    {
        await using var peer = HostilePeer.NeverAnswering();
        await using var engine = await StartHungEstateAsync(peer, datacenters: 3, anms: 2, cassandra: 40);
        const int components = 3 * (2 + 40);

        // The console's own datacenter shows each component Down; the others, which it reaches over the link, Unknown
        // "not reachable from dc1": either way with a reason, none left "not probed yet".
        var snapshot = await engine.WaitForAsync(s =>
                s.AllComponents().Count(c => c.DatacenterId == "dc1" && c.State == ComponentState.Down) == components / 3
                && s.AllComponents().Count(c => c.DatacenterId != "dc1" && c.State == ComponentState.Unknown && c.Reason!.StartsWith("not reachable from dc1")) == 2 * components / 3,
            "dc1 all Down, dc2 and dc3 all Unknown (not reachable)", TimeSpan.FromSeconds(30));
        // A second round of probes, so the bound is also seen holding while probes finish and start.
        await Eventually.Until(() => peer.Accepted >= components + StatusEngine.MaxConcurrentProbes, TimeSpan.FromSeconds(20), "a second round of probes");

        Assert.InRange(peer.PeakOpen, 1, StatusEngine.MaxConcurrentProbes);
        // The bound is what limited the probes (126 components wanted to connect at once), not luck.
        Assert.True(peer.PeakOpen >= StatusEngine.MaxConcurrentProbes / 2, $"peak {peer.PeakOpen}: the peer never saw the probes queue up");
        Assert.All(snapshot.AllComponents().Where(c => c.DatacenterId == "dc1"), c => Assert.Matches("timed out after 1000 ms|no answer within 1000 ms", c.Reason));
    }

    [Fact]
    public async Task TwoHundredHungComponents_LeaveTheThreadPoolFree()
    {
        await using var peer = HostilePeer.NeverAnswering();
        await using var engine = await StartHungEstateAsync(peer, datacenters: 2, anms: 2, cassandra: 98);
        const int components = 2 * (2 + 98);

        // Sample while every component is probed at least once and the queue behind the bound turns over.
        var worstPoolRoundTrip = TimeSpan.Zero;
        var mostPending = 0L;
        await Eventually.Until(async () =>
        {
            var roundTrip = Stopwatch.StartNew();
            await Task.Run(() => roundTrip.Stop());
            worstPoolRoundTrip = roundTrip.Elapsed > worstPoolRoundTrip ? roundTrip.Elapsed : worstPoolRoundTrip;
            mostPending = Math.Max(mostPending, ThreadPool.PendingWorkItemCount);
            return peer.Accepted;
        }, accepted => accepted >= components + StatusEngine.MaxConcurrentProbes, TimeSpan.FromSeconds(30),
            "every component probed and the queue behind the bound turned over (last observed: probes accepted)",
            every: TimeSpan.FromMilliseconds(10));

        // Generous bounds: a blocked pool shows in seconds and in a queue that grows with every round. A round of
        // probes timing out together queues a burst of continuations, at most about one per component.
        // 2 s, not less: CI runs the other test projects beside this one on 2 cores, which alone can delay a work item
        // by several hundred ms; a pool blocked by hung probes would keep every item waiting for thread injection.
        Assert.True(worstPoolRoundTrip < TimeSpan.FromSeconds(2), $"a work item waited {worstPoolRoundTrip.TotalMilliseconds:0} ms for a pool thread");
        Assert.True(mostPending < components, $"{mostPending} work items queued on the pool");
        Assert.InRange(peer.PeakOpen, 1, StatusEngine.MaxConcurrentProbes);
    }
}
