using System.Diagnostics;
using System.Runtime.CompilerServices;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Traffic;
using ApimConsole.Monitoring.Engine;
using ApimConsole.Monitoring.Traffic;
using ApimConsole.Storage;
using ApimConsole.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ApimConsole.Benchmarks;

/// <summary>
/// Two measures for BENCHMARKS.md. Collection: the cost of one poll per instance against the lab at a given traffic
/// rate, incremental (since the last poll plus the overlap) against a baseline that re-reads the traffic monitor's
/// window every poll, alternating in the same run. Views: the 5-day view from 5 days of per-minute roll-ups for
/// 2 DCs x 4 instances x 20 APIs, from the in-memory history against a baseline that builds the series straight from
/// the per-minute cells; and the start-up read of those roll-ups from SQLite.
/// </summary>
internal static class TrafficBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rate = DoubleArg(args, "--rate", 100);
        var polls = (int)DoubleArg(args, "--polls", 20);
        var skipStore = args.Contains("--no-store");
        // Tiny runs (the suite's smoke run): a shorter fill before the polls, a shorter interval between them, fewer
        // days of roll-ups and fewer timed view builds. The defaults are the documented measure.
        var fill = TimeSpan.FromSeconds(DoubleArg(args, "--fill-seconds", 15));
        var interval = TimeSpan.FromSeconds(DoubleArg(args, "--interval-seconds", 5));
        var days = DoubleArg(args, "--days", 5);
        var builds = (int)DoubleArg(args, "--builds", 100);
        if (!args.Contains("--views-only"))
        {
            if (!await CollectionAsync(rate, polls, fill, interval))
                return 1;
        }
        return await ViewsAsync(skipStore, TimeSpan.FromDays(days), builds) ? 0 : 1;
    }

    /// <summary>Returns false when the polls read nothing (a collector that reads nothing costs little and proves nothing).</summary>
    private static async Task<bool> CollectionAsync(double rate, int polls, TimeSpan fill, TimeSpan interval)
    {
        // The console's own collector is told to wait 5 minutes (the longest allowed) between polls, so only the benchmark's collectors poll.
        await using var console = new BenchmarkConsole(new Dictionary<string, string>
        {
            ["Lab:TrafficRatePerSecond"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Traffic:PollInterval"] = "00:05:00",
        });
        _ = console.Server;
        var status = console.Services.GetRequiredService<IEstateStatus>();
        var estate = console.Services.GetRequiredService<IOptions<EstateOptions>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (status.Current.Find("dc1")?.GatewayInstances.Count() is not > 0 || status.Current.Find("dc2")?.GatewayInstances.Count() is not > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the lab's instances never appeared");
            await Task.Delay(200);
        }
        var instances = status.Current.Find("dc1")!.GatewayInstances.Count();
        // Let the instances' traffic monitors fill past the baseline's reach.
        await Task.Delay(fill);

        using var incrementalWire = new CountingHandler();
        using var baselineWire = new CountingHandler();
        // One instance at a time, so a poll's time divided by the instances is the cost per instance.
        var incremental = new TrafficCollector(estate, Options.Create(new TrafficOptions { PollInterval = interval, ConcurrencyPerDatacenter = 1, TimelineInterval = TimeSpan.FromHours(1) }),
            status, new NoStore(), new TrafficHistory(), new RecentTransactions(), TimeProvider.System, NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(incrementalWire));
        var baseline = new TrafficCollector(estate, Options.Create(new TrafficOptions { PollInterval = interval, Overlap = TimeSpan.FromMinutes(10), ConcurrencyPerDatacenter = 1, TimelineInterval = TimeSpan.FromHours(1) }),
            status, new NoStore(), new TrafficHistory(), new RecentTransactions(), TimeProvider.System, NullLogger<TrafficCollector>.Instance, new HandlerHttpClientFactory(baselineWire));
        await incremental.PollAsync("dc1", default);
        await baseline.PollAsync("dc1", default);
        incrementalWire.Reset();
        baselineWire.Reset();

        var incTimes = new List<double>();
        var baseTimes = new List<double>();
        var incCpu = TimeSpan.Zero;
        var baseCpu = TimeSpan.Zero;
        for (var i = 0; i < polls; i++)
        {
            await Task.Delay(interval);
            (var wall, var cpu) = await TimeAsync(() => incremental.PollAsync("dc1", default));
            incTimes.Add(wall);
            incCpu += cpu;
            (wall, cpu) = await TimeAsync(() => baseline.PollAsync("dc1", default));
            baseTimes.Add(wall);
            baseCpu += cpu;
        }
        var read = incremental.Status().Single(s => s.DatacenterId == "dc1").TransactionsRead;
        Console.WriteLine($"collection at {rate} req/s through the lab's load balancer, {polls} polls of dc1 ({instances} instances, one at a time), every {interval.TotalSeconds} s:");
        Report("incremental", incTimes, incCpu, incrementalWire, polls * instances);
        Report("baseline (re-read 10 min)", baseTimes, baseCpu, baselineWire, polls * instances);
        Console.WriteLine($"  ratio baseline/incremental: time {Median(baseTimes) / Median(incTimes):0.0}x, bytes {(double)baselineWire.Bytes / Math.Max(1, incrementalWire.Bytes):0.0}x; new transactions read: {read}");
        incremental.Dispose();
        baseline.Dispose();
        if (rate > 0 && (read == 0 || incrementalWire.Requests == 0))
        {
            Console.Error.WriteLine($"FAIL: the incremental collector read {read} new transactions in {incrementalWire.Requests} requests at {rate} req/s: nothing was measured");
            return false;
        }
        return true;
    }

    private static void Report(string name, List<double> times, TimeSpan cpu, CountingHandler wire, int instancePolls)
    {
        times.Sort();
        Console.WriteLine($"  {name}: per DC poll p50 {Median(times):0.0} ms, p95 {times[(int)Math.Ceiling(0.95 * times.Count) - 1]:0.0} ms; "
            + $"per instance per poll {Median(times) / (instancePolls / times.Count):0.00} ms wall, {cpu.TotalMilliseconds / instancePolls:0.00} ms CPU (whole process), "
            + $"{wire.Bytes / instancePolls / 1024.0:0.0} KiB, {wire.Requests / (double)instancePolls:0.0} requests");
    }

    private static async Task<(double WallMs, TimeSpan Cpu)> TimeAsync(Func<Task> action)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        await action();
        var wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (wall, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    private const int Dcs = 2, InstancesPerDc = 4, Apis = 20;

    /// <summary>Returns false when the history reloaded from SQLite does not count what was generated.</summary>
    private static async Task<bool> ViewsAsync(bool skipStore, TimeSpan span, int builds)
    {
        var now = TrafficRollup.MinuteOf(DateTimeOffset.UtcNow);
        var start = now - span;
        var dcs = new[] { "dc1", "dc2" };
        var coverage = dcs.ToDictionary(dc => dc, dc => (IReadOnlyList<CoverageSpan>)[new CoverageSpan(dc, start, now, true, null)]);
        long cells = (long)span.TotalMinutes * Dcs * InstancesPerDc * Apis;
        Console.WriteLine($"views: {span.TotalDays:0.##} days of per-minute roll-ups, {Dcs} DCs x {InstancesPerDc} instances x {Apis} APIs = {cells:N0} cells");

        // The in-memory history, fed as the collector feeds it.
        var history = new TrafficHistory();
        foreach (var covered in coverage.Values.SelectMany(s => s))
            history.RecordCoverage(covered);
        var fill = Stopwatch.StartNew();
        history.Add(Generate(start, now));
        Console.WriteLine($"  history filled in {fill.Elapsed.TotalSeconds:0.0} s; managed heap {GC.GetTotalMemory(forceFullCollection: true) / (1024 * 1024)} MiB");

        var view = Measure(builds, () => history.Views(TrafficWindow.FiveDays, now, dcs));
        Console.WriteLine($"  5-day view (2 DCs + combined, series, top APIs, instance shares) from the history: median {view:0.0} ms over {builds} builds");
        var tenMinutes = Measure(builds, () => history.Views(TrafficWindow.TenMinutes, now, dcs));
        var tenHours = Measure(builds, () => history.Views(TrafficWindow.TenHours, now, dcs));
        Console.WriteLine($"  10-minute view: {tenMinutes:0.00} ms; 10-hour view: {tenHours:0.0} ms");

        // Baseline: the series built straight from every per-minute cell, as a page reading the roll-ups would.
        var baseline = Measure(3, () =>
        {
            foreach (var dc in dcs)
                TrafficSeriesBuilder.Build(dc, TrafficWindow.FiveDays, now, Generate(start, now).Where(c => c.DatacenterId == dc), new Dictionary<string, IReadOnlyList<CoverageSpan>> { [dc] = coverage[dc] });
            TrafficSeriesBuilder.Build("combined", TrafficWindow.FiveDays, now, Generate(start, now), coverage);
        });
        var generateOnly = Measure(3, () =>
        {
            long n = 0;
            for (var i = 0; i < 3; i++)
                foreach (var _ in Generate(start, now))
                    n++;
        });
        Console.WriteLine($"  baseline, series from the {cells:N0} minute cells: median {baseline:0} ms ({generateOnly:0} ms of it producing the cells, which a store read would cost instead); ratio {(baseline - generateOnly) / view:0}x the history's view");

        if (skipStore)
            return true;
        var root = Directory.CreateTempSubdirectory("apimconsole-bench-traffic-").FullName;
        try
        {
            await using var services = new ServiceCollection()
                .AddConsoleStorage(new StorageOptions { Provider = StorageOptions.Sqlite, SqlitePath = "traffic.db" }, root)
                .BuildServiceProvider();
            await services.GetRequiredService<ConsoleStoreMigrator>().MigrateAsync(default);
            var store = services.GetRequiredService<ITrafficStore>();
            var write = Stopwatch.StartNew();
            var batch = new List<KeyValuePair<TrafficMinuteKey, TrafficStats>>(20_000);
            foreach (var cell in Generate(start, now))
            {
                batch.Add(new(new TrafficMinuteKey(cell.DatacenterId, cell.InstanceId, cell.ApiPath, cell.Minute), cell.Stats));
                if (batch.Count == batch.Capacity)
                {
                    await store.AddCellsAsync(batch, default);
                    batch.Clear();
                }
            }
            await store.AddCellsAsync(batch, default);
            await store.SaveCoverageAsync(coverage.Values.SelectMany(s => s).ToList(), default);
            Console.WriteLine($"  SQLite: {cells:N0} cells written in {write.Elapsed.TotalSeconds:0} s; file {new FileInfo(Path.Combine(root, "traffic.db")).Length / (1024 * 1024)} MiB");

            var load = Stopwatch.StartNew();
            var loaded = new TrafficHistory();
            loaded.LoadCoverage(await store.ReadCoverageAsync(start.AddHours(-1), default));
            var chunk = new List<TrafficCell>(4096);
            await foreach (var cell in store.ReadCellsAsync(start, default))
            {
                chunk.Add(cell);
                if (chunk.Count == chunk.Capacity)
                {
                    loaded.Add(chunk);
                    chunk.Clear();
                }
            }
            loaded.Add(chunk);
            Console.WriteLine($"  start-up: {span.TotalDays:0.##} days read from SQLite into the history in {load.Elapsed.TotalSeconds:0.0} s (in the background; pages say so meanwhile)");
            var after = loaded.Views(TrafficWindow.FiveDays, now, dcs);
            var reloadedTotal = after[^1].Series.Points.Sum(p => p.Count);
            var generatedTotal = history.Views(TrafficWindow.FiveDays, now, dcs)[^1].Series.Points.Sum(p => p.Count);
            Console.WriteLine($"  check: the view from the reloaded history counts {reloadedTotal:N0} requests, the generated history {generatedTotal:N0}");
            if (reloadedTotal != generatedTotal || generatedTotal == 0)
            {
                Console.Error.WriteLine("FAIL: the history read back from SQLite does not count what was written");
                return false;
            }
            return true;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Deterministic cells: each instance and API has 1-40 requests a minute, a few failures, latencies 2-400 ms.</summary>
    private static IEnumerable<TrafficCell> Generate(DateTimeOffset start, DateTimeOffset end)
    {
        var random = new Random(42);
        for (var minute = start; minute < end; minute = minute.AddMinutes(1))
        {
            for (var d = 0; d < Dcs; d++)
            {
                for (var i = 0; i < InstancesPerDc; i++)
                {
                    for (var a = 0; a < Apis; a++)
                    {
                        var count = random.Next(1, 41);
                        var failures = random.Next(0, 3);
                        var stats = new TrafficStats { Count = count, Successes = count - Math.Min(failures, count), Failures = Math.Min(failures, count), Status2xx = count - Math.Min(failures, count), Status5xx = Math.Min(failures, count) };
                        stats.Latency.Add(2 + random.NextDouble() * 10, count - 1);
                        stats.Latency.Add(50 + random.NextDouble() * 350);
                        yield return new TrafficCell($"dc{d + 1}", $"instance-{d * InstancesPerDc + i + 1}", $"/api{a + 1}/v1", minute, stats);
                    }
                }
            }
        }
    }

    private static double Measure(int runs, Action action)
    {
        action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Median(times);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static double DoubleArg(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;

    /// <summary>Counts requests and response bytes on the wire.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
    {
        private long _bytes;
        private long _requests;
        public long Bytes => Interlocked.Read(ref _bytes);
        public long Requests => Interlocked.Read(ref _requests);

        public void Reset()
        {
            Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Exchange(ref _requests, 0);
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _bytes, (await response.Content.ReadAsByteArrayAsync(cancellationToken)).Length);
            return response;
        }
    }

    private sealed class NoStore : ITrafficStore
    {
        public Task AddCellsAsync(IReadOnlyList<KeyValuePair<TrafficMinuteKey, TrafficStats>> cells, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task SaveCoverageAsync(IReadOnlyList<CoverageSpan> spans, CancellationToken cancellationToken) => Task.CompletedTask;
        public async IAsyncEnumerable<TrafficCell> ReadCellsAsync(DateTimeOffset from, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }
        public Task<IReadOnlyList<CoverageSpan>> ReadCoverageAsync(DateTimeOffset from, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CoverageSpan>>([]);
        public Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
