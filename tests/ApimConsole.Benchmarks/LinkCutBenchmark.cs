using System.Diagnostics;
using System.Globalization;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Scenarios;

namespace ApimConsole.Benchmarks;

/// <summary>
/// Issue #17, part 3: time from a cut of the inter-DC link to <c>InterDatacenterLinkDown</c> at a hub client of the
/// dc1 console, with two consoles (one per datacenter, each the other's peer) against one standalone lab, and again
/// with the load balancer as the only witness (no peer configured), in one run. Every cut must be named, and never as
/// <c>DatacenterDown</c>. Then a soak with the consoles' probes and the peer paths both losing a share of requests,
/// counting false scenarios, with a heartbeat that proves the hub client kept receiving.
/// </summary>
internal static class LinkCutBenchmark
{
    /// <summary>The goal of issue #17 for the p95 with the peer witness (printed as met or not; a miss does not fail the run).</summary>
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(1.5);

    /// <summary>How long a cut may take to be named before the run fails: far beyond the load balancer's own lag.</summary>
    private static readonly TimeSpan NamedBound = TimeSpan.FromSeconds(30);

    /// <summary>The soak's heartbeat, as fault-detection's: its instance's scenario is not counted as false.</summary>
    private const string HeartbeatTarget = SoakHeartbeat.Target;

    public static async Task<int> RunAsync(string[] args)
    {
        var cuts = BenchmarkArgs.Int(args, "--cuts", 30);
        var soakMinutes = BenchmarkArgs.Double(args, "--soak-minutes", 10);
        var dropRate = BenchmarkArgs.Double(args, "--drop-rate", 0.05);
        var peerLossRate = BenchmarkArgs.Double(args, "--peer-loss-rate", 0.05);
        var maxGap = TimeSpan.FromSeconds(BenchmarkArgs.Double(args, "--max-gap-seconds", 10));
        var random = new Random(BenchmarkArgs.Int(args, "--seed", 7));
        var probeInterval = new ProbeOptions().Interval;
        if (cuts < 1)
        {
            Console.Error.WriteLine("FAIL: --cuts must be at least 1: a run with no cut measures nothing");
            return 1;
        }

        await using var lab = await StandaloneLab.StartAsync();
        Console.WriteLine($"one standalone lab, two consoles (dc1 from 127.0.3.1, dc2 from 127.0.3.2), default probe and peer settings; " +
                          $"{cuts} cuts of the link per witness setting at a random phase (0-{probeInterval.TotalMilliseconds:0} ms pause before each)");

        List<double> withPeer;
        var failures = new List<string>();
        await using (var pair = await ConsolePair.StartAsync(lab, peers: true))
        await using (var watcher = await ScenarioWatcher.ConnectAsync(pair.Dc1.Url, BenchmarkConsole.BootstrapToken))
        {
            withPeer = await CutsAsync(lab, watcher, "with the peer witness", peers: true, cuts, random, probeInterval, failures);
            if (soakMinutes > 0)
                failures.AddRange(await SoakAsync(lab, pair, watcher, dropRate, peerLossRate, TimeSpan.FromMinutes(soakMinutes), maxGap));
        }

        List<double> loadBalancerOnly;
        await using (var pair = await ConsolePair.StartAsync(lab, peers: false))
        await using (var watcher = await ScenarioWatcher.ConnectAsync(pair.Dc1.Url, BenchmarkConsole.BootstrapToken))
            loadBalancerOnly = await CutsAsync(lab, watcher, "load balancer witness only", peers: false, cuts, random, probeInterval, failures);

        Console.WriteLine();
        Print("with the peer witness", withPeer);
        Print("load balancer witness only", loadBalancerOnly);
        var p95 = TimeSpan.FromMilliseconds(BenchmarkArgs.Percentile(withPeer, 0.95));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"goal p95 <= {Goal.TotalMilliseconds:0} ms with the peer: {(p95 <= Goal ? "met" : "NOT met")} (p95 {p95.TotalMilliseconds:0} ms)"));
        foreach (var failure in failures)
            Console.Error.WriteLine($"FAIL: {failure}");
        return failures.Count == 0 ? 0 : 1;
    }

    private static async Task<List<double>> CutsAsync(StandaloneLab lab, ScenarioWatcher watcher, string setting, bool peers, int cuts, Random random,
        TimeSpan probeInterval, List<string> failures)
    {
        await watcher.WaitAsync($"the estate all up{(peers ? " and the peer a witness" : "")}", s => AllUp(s, peers), TimeSpan.FromSeconds(90));
        var connected = Stopwatch.GetTimestamp();
        Console.WriteLine($"{setting}: estate up; cutting the link {cuts} times");
        var latencies = new List<double>();
        var wrong = new List<string>();
        void Inspect(EstateSnapshot s)
        {
            foreach (var scenario in s.Scenarios.Where(x => x.Kind == FailoverScenarioKind.DatacenterDown))
                wrong.Add($"{setting}: a cut named {scenario.Key} at {s.AsOf:HH:mm:ss.fff}");
        }
        for (var i = 0; i < cuts; i++)
        {
            await Task.Delay(random.Next(0, (int)probeInterval.TotalMilliseconds + 1));
            watcher.Drain();
            var start = Stopwatch.GetTimestamp();
            await lab.FaultAsync("link", "down");
            var at = await watcher.WaitAsync($"InterDatacenterLinkDown ({setting}, cut {i + 1})",
                s => s.Scenarios.Any(x => x.Kind == FailoverScenarioKind.InterDatacenterLinkDown), NamedBound, Inspect);
            latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
            await lab.FaultAsync("link", "up");
            await watcher.WaitAsync($"the estate all up again ({setting}, cut {i + 1})", s => AllUp(s, peers), TimeSpan.FromSeconds(60), Inspect);
        }
        var verdict = watcher.Liveness.Check(connected, Stopwatch.GetTimestamp(), TimeSpan.MaxValue);
        Console.WriteLine($"{setting}: hub client during the cuts: {verdict.Describe()}; named wrongly: {wrong.Count}");
        failures.AddRange(wrong.Distinct().Take(20));
        if (verdict.Closed is not null)
            failures.Add($"{setting}: {verdict.Failure}");
        return latencies;
    }

    /// <summary>Every component Up, the link up, no scenario, and (with peers) the peer a witness: the state a cut starts from.</summary>
    private static bool AllUp(EstateSnapshot s, bool peers) =>
        s.AllComponents().Count() >= 16 && s.AllComponents().All(c => c.State == ComponentState.Up) && s.Link.State == LinkState.Up
        && s.Scenarios.Count == 0 && (!peers || s.Peer is { Available: true });

    private static void Print(string setting, List<double> latencies)
    {
        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"link cut -> InterDatacenterLinkDown at the hub client, {setting}, n={latencies.Count}: p50={BenchmarkArgs.Percentile(latencies, 0.50):0} ms p95={BenchmarkArgs.Percentile(latencies, 0.95):0} ms max={latencies[^1]:0} ms min={latencies[0]:0} ms"));
    }

    /// <summary>
    /// The soak: a share of the consoles' probes dropped by the lab and the same share of requests on both peer paths
    /// lost, no fault in force but the heartbeat; every scenario the dc1 console names other than the heartbeat's is false.
    /// Returns why the run fails (false scenarios, a hub client that stopped receiving, a peer path that carried nothing).
    /// </summary>
    private static async Task<List<string>> SoakAsync(StandaloneLab lab, ConsolePair pair, ScenarioWatcher watcher, double dropRate, double peerLossRate,
        TimeSpan duration, TimeSpan maxGap)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {duration.TotalMinutes} min with {dropRate:P0} of probe connections dropped by the lab and {peerLossRate:P0} of peer requests lost (both directions); " +
            $"heartbeat: {HeartbeatTarget} down and up in turn every {SoakHeartbeat.Period.TotalSeconds:0} s (its scenario is not counted)"));
        await lab.FaultAsync("*", "drop", dropRate);
        var (forwardedBefore, lostBefore) = (pair.PeerPaths.Sum(p => p.Forwarded), pair.PeerPaths.Sum(p => p.Lost));
        foreach (var path in pair.PeerPaths)
            path.LossRate = peerLossRate;
        var falseScenarios = new List<string>();
        var seen = 0;
        var heartbeatsSeen = 0;
        // The cuts ended with the estate all up: the heartbeat instance is Up until its first toggle shows.
        ComponentState? lastBeat = ComponentState.Up;
        watcher.Drain();
        var soakStart = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(duration);
        var heartbeat = SoakHeartbeat.RunAsync((target, action) => lab.FaultAsync(target, action), cts.Token);
        try
        {
            await foreach (var (snapshot, _) in watcher.Snapshots.ReadAllAsync(cts.Token))
            {
                seen++;
                var beat = snapshot.AllComponents().FirstOrDefault(c => c.Key == HeartbeatTarget)?.State;
                if (beat != lastBeat)
                    heartbeatsSeen++;
                lastBeat = beat;
                foreach (var scenario in snapshot.Scenarios.Where(x => x.ComponentKey != HeartbeatTarget))
                    falseScenarios.Add($"{snapshot.AsOf:HH:mm:ss.fff} {scenario.Key}");
            }
        }
        catch (OperationCanceledException)
        {
        }
        var soakEnd = Stopwatch.GetTimestamp();
        var heartbeatsSent = await heartbeat;
        foreach (var path in pair.PeerPaths)
            path.LossRate = 0;
        var described = await lab.DescribeAsync();
        await lab.HealAsync();
        var (forwarded, lost) = (pair.PeerPaths.Sum(p => p.Forwarded) - forwardedBefore, pair.PeerPaths.Sum(p => p.Lost) - lostBefore);
        var verdict = watcher.Liveness.Check(soakStart, soakEnd, maxGap);
        Console.WriteLine($"soak: {seen} snapshots received, false scenarios: {falseScenarios.Count}");
        foreach (var line in falseScenarios.Take(20))
            Console.WriteLine("  " + line);
        Console.WriteLine($"soak: the lab dropped {described.GetProperty("dropped")} probe connections/requests");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: the peer paths forwarded {forwarded} requests and lost {lost} ({(double)lost / Math.Max(1, forwarded + lost):P1})"));
        Console.WriteLine($"soak: hub client {(verdict.Alive ? "alive" : "NOT alive")}: {verdict.Describe()}; heartbeats sent {heartbeatsSent}, heartbeat state changes seen {heartbeatsSeen}");

        var failures = new List<string>();
        if ((verdict.Failure ?? (heartbeatsSeen == 0 ? $"no heartbeat reached the hub client ({heartbeatsSent} sent)" : null)) is { } dead)
            failures.Add($"soak: {dead}; the soak's count of false scenarios proves nothing");
        if (forwarded == 0)
            failures.Add("soak: no request went over the peer paths: the peer was not exercised");
        if (falseScenarios.Count > 0)
            failures.Add($"soak: {falseScenarios.Count} false scenarios while no fault was in force (goal 0)");
        return failures;
    }
}
