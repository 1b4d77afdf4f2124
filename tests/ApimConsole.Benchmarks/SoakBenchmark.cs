using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace ApimConsole.Benchmarks;

/// <summary>
/// The soak: the console and its lab for a number of minutes while components, a datacenter and the link go down
/// and up at random. The lab's own fault log says what was really down when; the console's <c>/api/scenarios</c>,
/// polled, says what it reported. Every fault that lasted longer than the detection window must have been reported
/// (missed = 0), every reported scenario must be explained by a fault in force within the recovery tolerance
/// (false = 0), and memory (managed after a full collection, and the process's working set) is sampled every 10 s.
/// The records are checked too (<see cref="IncidentRecordsCheck"/>): the incidents the console stored against the same log.
/// </summary>
internal static class SoakBenchmark
{
    /// <summary>A fault lasting at least this long must be reported while it lasts (or within the recovery tolerance after).</summary>
    private static readonly TimeSpan DetectionWindow = TimeSpan.FromSeconds(6);

    /// <summary>A scenario may still be shown this long after the fault that explains it ended.</summary>
    private static readonly TimeSpan RecoveryTolerance = TimeSpan.FromSeconds(6);

    private static readonly string[] ComponentTargets =
    [
        "dc1/instance-1", "dc1/instance-2", "dc1/instance-3", "dc1/instance-4",
        "dc2/instance-1", "dc2/instance-2", "dc2/instance-3", "dc2/instance-4",
        "dc1/cassandra-1", "dc1/cassandra-2", "dc1/cassandra-3",
        "dc2/cassandra-1", "dc2/cassandra-2", "dc2/cassandra-3",
        "dc1/anm", "dc2/anm",
    ];

    private static readonly string[] WideTargets = ["dc2", "link"];

    private sealed record Interval(string Target, DateTimeOffset Start, DateTimeOffset End);

    private sealed record Observation(DateTimeOffset At, IReadOnlyList<string> Keys);

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = Arg(args, "--minutes", 10.0);
        var seed = (int)Arg(args, "--seed", 11.0);
        var maxConcurrent = (int)Arg(args, "--max-faults", 2.0);
        var trafficRate = Arg(args, "--traffic-rate", 20.0);
        var duration = TimeSpan.FromMinutes(minutes);
        var maxGap = TimeSpan.FromSeconds(Arg(args, "--max-gap-seconds", 10.0));

        var settings = new Dictionary<string, string>
        {
            ["Lab:TrafficRatePerSecond"] = trafficRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // --small-buffers: every bounded buffer that traffic fills (the console's log tail and recent transactions, the
        // lab's transactions and trace lines per instance) at a size that fills within the first minutes, so a 10-minute
        // run shows where memory levels off instead of buffers still filling.
        if (args.Contains("--small-buffers"))
        {
            settings["Logs:BufferCapacity"] = "5000";
            settings["Traffic:RecentTransactions"] = "2000";
            settings["Lab:TransactionsPerInstance"] = "200";
            settings["Lab:TraceLinesPerInstance"] = "1000";
        }
        await using var console = new BenchmarkConsole(settings);
        using var client = console.CreateClient();
        var consoleDc = "dc1";

        await WaitForAllUpAsync(console, TimeSpan.FromSeconds(90));
        var baselineKeys = await ScenarioKeysAsync(client);
        if (baselineKeys.Count > 0)
        {
            Console.Error.WriteLine($"soak: scenarios before any fault: {string.Join(", ", baselineKeys)}");
            return 2;
        }
        Console.WriteLine($"soak: {minutes} min, seed {seed}, at most {maxConcurrent} faults at once, lab traffic {trafficRate}/s; detection window {DetectionWindow.TotalSeconds} s, recovery tolerance {RecoveryTolerance.TotalSeconds} s");

        var labLog = new SortedDictionary<long, (DateTimeOffset Time, string Target, string Action)>();
        async Task ReadLabLogAsync()
        {
            var lab = await console.LabAsync();
            foreach (var entry in lab.GetProperty("log").EnumerateArray())
                labLog[entry.GetProperty("sequence").GetInt64()] = (entry.GetProperty("time").GetDateTimeOffset(),
                    entry.GetProperty("target").GetString()!, entry.GetProperty("action").GetString()!);
        }
        await ReadLabLogAsync();
        var firstSequence = labLog.Count == 0 ? 0 : labLog.Keys.Max();

        var observations = new List<Observation>();
        var memory = new List<(double Minutes, double ManagedMb, double WorkingSetMb)>();
        var started = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        using var stop = new CancellationTokenSource(duration);

        var poll = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var keys = await ScenarioKeysAsync(client);
                lock (observations)
                    observations.Add(new Observation(DateTimeOffset.UtcNow, keys));
                try { await Task.Delay(250, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var census = args.Contains("--heap-census");
        (double Minutes, HeapCensus.Census Census)? firstCensus = null;
        (double Minutes, HeapCensus.Census Before, HeapCensus.Census After)? lastCensus = null;
        var sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (true)
            {
                process.Refresh();
                var managed = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
                lock (memory)
                    memory.Add((started.Elapsed.TotalMinutes, managed, process.WorkingSet64 / 1048576.0));
                // With --heap-census: what the heap holds by type after the first minute and at the end, so that growth
                // can be told apart: bounded buffers still filling, or something that grows without end.
                if (census && firstCensus is null && started.Elapsed >= TimeSpan.FromMinutes(1))
                    firstCensus = (started.Elapsed.TotalMinutes, HeapCensus.TakeOfSelf("soak-first"));
                if (stop.IsCancellationRequested)
                {
                    if (census && firstCensus is { } before)
                    {
                        var minutesApart = started.Elapsed.TotalMinutes - before.Minutes;
                        lastCensus = (minutesApart, before.Census, HeapCensus.TakeOfSelf("soak-last"));
                    }
                    return;
                }
                try { await Task.Delay(10_000, stop.Token); } catch (OperationCanceledException) { }
            }
        });

        // The flapper: every 1-6 s, either bring a fault up (if any) or put a new one down, at random.
        var random = new Random(seed);
        var active = new List<string>();
        var injected = 0;
        var wideInjected = new Dictionary<string, int>();
        var lastLogRead = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(random.Next(1000, 6000), stop.Token); } catch (OperationCanceledException) { break; }
            var bringUp = active.Count >= maxConcurrent || active.Count > 0 && random.NextDouble() < 0.45;
            if (bringUp)
            {
                var target = active[random.Next(active.Count)];
                active.Remove(target);
                await console.FaultAsync(target, "up");
            }
            else
            {
                // A datacenter or the link one time in six, never together with the other one.
                var wide = active.Any(t => WideTargets.Contains(t));
                var pool = !wide && random.Next(6) == 0 ? WideTargets : ComponentTargets;
                var candidates = pool.Where(t => !active.Contains(t)).ToList();
                var target = candidates[random.Next(candidates.Count)];
                active.Add(target);
                injected++;
                if (WideTargets.Contains(target))
                    wideInjected[target] = wideInjected.GetValueOrDefault(target) + 1;
                await console.FaultAsync(target, "down");
            }
            if (lastLogRead.Elapsed > TimeSpan.FromSeconds(15))
            {
                await ReadLabLogAsync();
                lastLogRead.Restart();
            }
        }
        foreach (var target in active)
            await console.FaultAsync(target, "up");
        var endedAt = DateTimeOffset.UtcNow;
        await ReadLabLogAsync();
        await poll;
        await sampler;

        // Let the console settle, then the estate must be all clear again.
        await WaitForAllUpAsync(console, TimeSpan.FromSeconds(30));
        var after = await ScenarioKeysAsync(client);
        var incidents = await SettledIncidentsAsync(client, startedAt, TimeSpan.FromSeconds(30));

        var intervals = Intervals(labLog.Where(e => e.Key > firstSequence).Select(e => e.Value), endedAt);
        var missed = new List<string>();
        foreach (var fault in intervals.Where(f => f.End - f.Start >= DetectionWindow))
        {
            var reported = observations.Any(o => o.At >= fault.Start && o.At <= fault.End + RecoveryTolerance
                                                 && o.Keys.Any(k => Reports(k, fault.Target, consoleDc)));
            if (!reported)
                missed.Add($"{fault.Target} down {fault.Start:HH:mm:ss.f}-{fault.End:HH:mm:ss.f} ({(fault.End - fault.Start).TotalSeconds:0.0} s)");
        }
        var falseScenarios = new List<string>();
        var falseKeys = new HashSet<string>();
        foreach (var observation in observations)
            foreach (var key in observation.Keys)
            {
                var explained = intervals.Any(f => f.Start <= observation.At && f.End + RecoveryTolerance >= observation.At && Explains(key, f.Target, consoleDc));
                if (!explained && falseKeys.Add($"{key}@{observation.At:HH:mm:ss}"))
                {
                    var near = intervals.Where(f => f.Start <= observation.At + TimeSpan.FromSeconds(10) && f.End >= observation.At - TimeSpan.FromSeconds(10))
                        .Select(f => $"{f.Target} {f.Start:HH:mm:ss.f}-{f.End:HH:mm:ss.f}");
                    falseScenarios.Add($"{observation.At:HH:mm:ss.f} {key} (faults within 10 s: {string.Join(", ", near.DefaultIfEmpty("none"))})");
                }
            }

        // "Missed 0" and "false 0" are only worth something if the poller kept polling: a poller that stopped sees nothing.
        var pollTimes = observations.Select(o => o.At).Where(t => t >= startedAt && t <= endedAt).Order().Prepend(startedAt).Append(endedAt).ToList();
        var longestPollGap = pollTimes.Zip(pollTimes.Skip(1), (a, b) => b - a).DefaultIfEmpty(TimeSpan.Zero).Max();
        var pollerAlive = longestPollGap <= maxGap;
        Console.WriteLine($"soak: poller {(pollerAlive ? "alive" : "NOT alive")}: {pollTimes.Count - 2} polls in {(endedAt - startedAt).TotalSeconds:0.0} s ({(pollTimes.Count - 2) / Math.Max(0.001, (endedAt - startedAt).TotalSeconds):0.0}/s), longest gap {longestPollGap.TotalSeconds:0.0} s (bound {maxGap.TotalSeconds:0} s)");

        var reportedKeys = observations.SelectMany(o => o.Keys).Distinct().Count();
        var longFaults = intervals.Count(f => f.End - f.Start >= DetectionWindow);
        Console.WriteLine($"soak: {injected} faults injected, {intervals.Count} fault intervals in the lab's log ({longFaults} lasting >= {DetectionWindow.TotalSeconds} s), {observations.Count} polls, {reportedKeys} distinct scenario keys seen");
        Console.WriteLine($"soak: of them {wideInjected.GetValueOrDefault("dc2")} on dc2 and {wideInjected.GetValueOrDefault("link")} on the link");
        Console.WriteLine($"soak: missed scenarios: {missed.Count}; false scenarios (polls showing a scenario no fault explains): {falseScenarios.Count}; scenarios after heal: {after.Count}");
        foreach (var line in missed.Take(20))
            Console.WriteLine("  missed: " + line);
        foreach (var line in falseScenarios.Take(20))
            Console.WriteLine("  false:  " + line);

        var (slopeManaged, slopeWs) = (Slope(memory.Select(m => (m.Minutes, m.ManagedMb)).ToList()), Slope(memory.Select(m => (m.Minutes, m.WorkingSetMb)).ToList()));
        // The first minute holds JIT and caches warming up: the slope is also given without it.
        var steady = memory.Where(m => m.Minutes >= 1).ToList();
        var (steadyManaged, steadyWs) = (Slope(steady.Select(m => (m.Minutes, m.ManagedMb)).ToList()), Slope(steady.Select(m => (m.Minutes, m.WorkingSetMb)).ToList()));
        Console.WriteLine($"memory, {memory.Count} samples: managed {memory[0].ManagedMb:0.0} -> {memory[^1].ManagedMb:0.0} MB (max {memory.Max(m => m.ManagedMb):0.0}), slope {slopeManaged:0.00} MB/min, after the first minute {steadyManaged:0.00} MB/min");
        Console.WriteLine($"memory: working set {memory[0].WorkingSetMb:0.0} -> {memory[^1].WorkingSetMb:0.0} MB (max {memory.Max(m => m.WorkingSetMb):0.0}), slope {slopeWs:0.00} MB/min, after the first minute {steadyWs:0.00} MB/min");
        Console.WriteLine($"soak ran {startedAt:HH:mm:ss}-{endedAt:HH:mm:ss} UTC");
        if (lastCensus is { } growth)
            HeapCensus.PrintGrowth(growth.Before, growth.After, Math.Max(1, (int)Math.Round(growth.Minutes)), "minute", top: 25);
        // The records: what the console stored, one incident per outage, against the lab's fault log.
        var records = IncidentRecordsCheck.Check(intervals.Select(f => (f.Target, f.Start, f.End)).ToList(), incidents, DetectionWindow, RecoveryTolerance,
            (key, target) => Reports(key, target, consoleDc), (key, target) => Explains(key, target, consoleDc));
        IncidentRecordsCheck.Print(records, DetectionWindow);
        if (!pollerAlive)
            Console.Error.WriteLine($"FAIL: /api/scenarios was not polled for {longestPollGap.TotalSeconds:0.0} s (bound {maxGap.TotalSeconds:0} s): the counts of missed and false scenarios prove nothing");
        return pollerAlive && missed.Count == 0 && falseScenarios.Count == 0 && after.Count == 0 && records.Ok ? 0 : 1;
    }

    /// <summary>Down/up pairs per target from the lab's log; a heal ends everything; still open at the end: ends then.</summary>
    private static List<Interval> Intervals(IEnumerable<(DateTimeOffset Time, string Target, string Action)> log, DateTimeOffset end)
    {
        var open = new Dictionary<string, DateTimeOffset>();
        var intervals = new List<Interval>();
        foreach (var (time, target, action) in log)
        {
            if (action == "down")
                open.TryAdd(target, time);
            else if (action == "up" && open.Remove(target, out var start))
                intervals.Add(new Interval(target, start, time));
            else if (action == "heal")
            {
                intervals.AddRange(open.Select(o => new Interval(o.Key, o.Value, time)));
                open.Clear();
            }
        }
        intervals.AddRange(open.Select(o => new Interval(o.Key, o.Value, end)));
        return intervals;
    }

    /// <summary>Whether scenario <paramref name="key"/> is what the console should show for a fault on <paramref name="target"/>.</summary>
    private static bool Reports(string key, string target, string consoleDc)
    {
        var (kind, suffix) = Split(key);
        if (target == "link")
            return kind == "InterDatacenterLinkDown";
        if (!target.Contains('/'))
            return suffix == target && kind is "DatacenterDown" or "DatacenterUnreachable";
        var dc = target[..target.IndexOf('/')];
        // A component's own scenario is not raised inside a datacenter shown Down or cut off: that one covers it.
        if (kind is "DatacenterDown" or "DatacenterUnreachable" && suffix == dc || kind == "InterDatacenterLinkDown" && dc != consoleDc)
            return true;
        return target.Contains("/cassandra-")
            ? kind == "CassandraNodeDown" && suffix == target || kind == "CassandraQuorumLost" && suffix == dc
            : suffix == target && kind is "GatewayInstanceDown" or "AdminNodeManagerDown";
    }

    /// <summary>Whether a fault on <paramref name="target"/> explains scenario <paramref name="key"/> (looser than <see cref="Reports"/>: a datacenter's components fall one by one before it is judged).</summary>
    private static bool Explains(string key, string target, string consoleDc)
    {
        if (Reports(key, target, consoleDc))
            return true;
        var (kind, suffix) = Split(key);
        var scenarioDc = suffix is null ? null : suffix.Contains('/') ? suffix[..suffix.IndexOf('/')] : suffix;
        if (scenarioDc is null)
            return false;
        // A whole datacenter down, or the link cut for the remote one, explains any scenario inside it.
        return target == scenarioDc || target == "link" && scenarioDc != consoleDc;
    }

    private static (string Kind, string? Suffix) Split(string key) =>
        key.IndexOf(':') is var i and >= 0 ? (key[..i], key[(i + 1)..]) : (key, null);

    /// <summary>The incidents stored since <paramref name="from"/>, once none is open (or <paramref name="timeout"/> passed: then as they are).</summary>
    private static async Task<IReadOnlyList<IncidentRecordsCheck.StoredIncident>> SettledIncidentsAsync(HttpClient client, DateTimeOffset from, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var incidents = IncidentRecordsCheck.Read(await client.GetFromJsonAsync<JsonElement>("/api/incidents?state=all&days=1"), from);
            if (incidents.All(i => i.Ended is not null) || deadline.Elapsed > timeout)
                return incidents;
            await Task.Delay(250);
        }
    }

    private static async Task<IReadOnlyList<string>> ScenarioKeysAsync(HttpClient client)
    {
        var body = await client.GetFromJsonAsync<JsonElement>("/api/scenarios");
        return body.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("key").GetString()!).ToList();
    }

    private static async Task WaitForAllUpAsync(BenchmarkConsole console, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var estate = await console.EstateAsync();
            var components = estate.Components().ToList();
            if (components.Count >= 16 && components.All(c => c.State == "Up"))
                return;
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"the estate is not all up after {timeout.TotalSeconds} s: {string.Join(", ", components.Where(c => c.State != "Up").Select(c => $"{c.Key} {c.State}"))}");
            await Task.Delay(250);
        }
    }

    /// <summary>Least-squares slope, in MB per minute.</summary>
    private static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2)
            return 0;
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        return sxx == 0 ? 0 : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
    }

    private static double Arg(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length
        && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
