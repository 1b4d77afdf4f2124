using System.Diagnostics;
using System.Globalization;
using System.Text;
using ApimConsole.Core.Logs;
using ApimConsole.Lab.Gateways;
using ApimConsole.Monitoring.Logs;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Benchmarks;

/// <summary>
/// Two measures of issue #7's log views for BENCHMARKS.md. Search: ~1 GB of one DC's trace files (lab format, 16 MB
/// rolls, several instances) searched for one correlation id by <see cref="TraceLogSearch"/> through a
/// <see cref="DirectoryTraceLogSource"/>, against <c>grep -F -r</c> and ripgrep (<c>rg -F</c>) on the same folder in the same run, all warm, best
/// of 3 (wall time, and for ripgrep and the search the CPU time too). Tail: lines appended at stepped rates, <see cref="DatacenterTraceTail"/> polling into a
/// <see cref="TraceLogBuffer"/> and a reader doing what the view does (ReadAfter every 100 ms); the lag from a line's
/// write to the reader having it, per rate.
/// </summary>
internal static class LogsBenchmark
{
    private const long RollBytes = 16L * 1024 * 1024;
    private const string Group = "group-2";

    public static async Task<int> RunAsync(string[] args)
    {
        var gb = DoubleArg(args, "--gb", 1);
        var instances = (int)DoubleArg(args, "--instances", 4);
        var rates = args.Contains("--rates")
            ? args[Array.IndexOf(args, "--rates") + 1].Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray()
            : [1_000, 5_000, 10_000, 20_000, 30_000, 40_000, 80_000, 160_000];
        var ok = true;
        if (!args.Contains("--tail-only"))
            ok &= await SearchAsync(gb, instances, (int)DoubleArg(args, "--rounds", 3));
        if (!args.Contains("--search-only"))
            ok &= await TailAsync(instances, rates, TimeSpan.FromSeconds(DoubleArg(args, "--step-seconds", 5)), TimeSpan.FromMilliseconds(DoubleArg(args, "--poll-ms", new TraceLogTailOptions().PollInterval.TotalMilliseconds)));
        return ok ? 0 : 1;
    }

    /// <summary>Returns false when the search's hits differ from grep's (then its speed means nothing).</summary>
    private static async Task<bool> SearchAsync(double gb, int instances, int rounds)
    {
        var root = Directory.CreateTempSubdirectory("apimconsole-logs-bench-").FullName;
        try
        {
            var generate = Stopwatch.StartNew();
            var (target, files, bytes, targetLines) = Generate(root, (long)(gb * 1024 * 1024 * 1024), instances);
            Console.WriteLine($"search: {bytes / (1024.0 * 1024 * 1024):0.00} GiB in {files} files of one DC ({instances} instances, {RollBytes / (1024 * 1024)} MB rolls), "
                + $"generated in {generate.Elapsed.TotalSeconds:0} s; target id {target} on {targetLines} lines");

            // Warm the page cache for all three (dropping caches needs root): one untimed pass each.
            var grepHits = await GrepAsync(target, root);
            var rgHits = await RipgrepAsync(target, root);
            var search = new TraceLogSearch(new OneSource(new DirectoryTraceLogSource(root))) { MaxParallelFiles = 1 };
            var hits = await SearchOnceAsync(search, target);

            var grepTimes = new List<double>();
            var rgTimes = new List<double>();
            var rgCpu = new List<double>();
            var times = new Dictionary<int, List<double>> { [1] = [], [2] = [] };
            var cpu = new Dictionary<int, List<double>> { [1] = [], [2] = [] };
            for (var round = 0; round < rounds; round++)
            {
                var sw = Stopwatch.StartNew();
                grepHits = await GrepAsync(target, root);
                grepTimes.Add(sw.Elapsed.TotalSeconds);
                var children = CpuTime.OfChildren();
                sw.Restart();
                rgHits = await RipgrepAsync(target, root);
                rgTimes.Add(sw.Elapsed.TotalSeconds);
                rgCpu.Add(CpuTime.OfChildren() - children);
                foreach (var parallel in times.Keys)
                {
                    var s = new TraceLogSearch(new OneSource(new DirectoryTraceLogSource(root))) { MaxParallelFiles = parallel };
                    var own = CpuTime.OfSelf();
                    sw.Restart();
                    hits = await SearchOnceAsync(s, target);
                    times[parallel].Add(sw.Elapsed.TotalSeconds);
                    cpu[parallel].Add(CpuTime.OfSelf() - own);
                }
            }
            var grep = grepTimes.Min();
            Console.WriteLine($"  grep -F -r: best {grep:0.000} s of [{string.Join(", ", grepTimes.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))}] "
                + $"({bytes / grep / (1024 * 1024):0} MiB/s), {grepHits} matching lines");
            var rg = rgTimes.Min();
            Console.WriteLine($"  ripgrep -F (rg, its default threads): best {rg:0.000} s of [{string.Join(", ", rgTimes.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))}] "
                + $"({bytes / rg / (1024 * 1024):0} MiB/s), {rgHits} matching lines; CPU best {rgCpu.Min():0.000} s");
            var fastest = double.MaxValue;
            foreach (var (parallel, list) in times)
            {
                var best = list.Min();
                fastest = Math.Min(fastest, best);
                Console.WriteLine($"  TraceLogSearch, {parallel} file(s) at a time: best {best:0.000} s of [{string.Join(", ", list.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))}] "
                    + $"({bytes / best / (1024 * 1024):0} MiB/s), {hits} hits; ratio to grep {best / grep:0.00}x, to ripgrep {best / rg:0.00}x; "
                    + $"CPU best {cpu[parallel].Min():0.000} s ({cpu[parallel].Min() / rgCpu.Min():0.00}x ripgrep's)");
            }
            Console.WriteLine($"  goal: the search at most 1.0x ripgrep's time: {(fastest <= rg ? "met" : "not met")} ({fastest / rg:0.00}x)");
            // Each line is one entry (no continuation lines), so the search must find exactly the lines grep and rg find.
            if (hits != grepHits || hits != rgHits || hits != targetLines)
            {
                Console.Error.WriteLine($"FAIL: the search found {hits} entries, grep {grepHits} lines, ripgrep {rgHits} lines, {targetLines} were written: its time is not comparable");
                return false;
            }
            return true;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<int> SearchOnceAsync(TraceLogSearch search, string target)
    {
        var hits = 0;
        TraceSearchProgress? last = null;
        var progress = new SyncProgress(p => last = p);
        await foreach (var _ in search.SearchAsync(new TraceSearchQuery(OneSource.Dc, CorrelationId: target), progress, CancellationToken.None))
            hits++;
        if (last is not { Done: true, Error: null })
            throw new InvalidOperationException($"the search did not finish cleanly: {last}");
        return hits;
    }

    private static Task<int> GrepAsync(string target, string root) => MatchingLinesAsync("grep", ["-F", "-r", target, root]);

    /// <summary>
    /// ripgrep (Debian <c>ripgrep</c>, tests/run.sh installs it) on the same files: every file (no ignore rules, hidden
    /// ones too), one output line per matching line.
    /// </summary>
    private static Task<int> RipgrepAsync(string target, string root) =>
        MatchingLinesAsync("rg", ["-F", "--no-ignore", "--hidden", "--no-heading", "--no-line-number", "--color", "never", target, root]);

    /// <summary>Runs a grep-like tool and counts its output lines; exit code 1 means "no match", above that an error.</summary>
    private static async Task<int> MatchingLinesAsync(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode > 1)
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>Transactions as the lab's gateways trace them (same lines, same format), spread over instances and 16 MB files.</summary>
    private static (string Target, int Files, long Bytes, int TargetLines) Generate(string root, long totalBytes, int instances)
    {
        var random = new Random(42);
        var target = RandomId(random);
        var perInstance = totalBytes / instances;
        var filesPerInstance = (int)Math.Max(1, (perInstance + RollBytes - 1) / RollBytes);
        // The target's transactions: a handful, in different files.
        var targetAt = Enumerable.Range(0, 5).Select(_ => (random.Next(instances), random.Next(filesPerInstance), random.NextDouble())).ToHashSet();
        long written = 0;
        var files = 0;
        var targetLines = 0;
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
        var apis = new[] { ("Orders", "/orders/v1"), ("Catalog", "/catalog/v1"), ("Payments", "/payments/v2"), ("Customers", "/customers/v1") };
        Parallel.For(0, instances, new ParallelOptions { MaxDegreeOfParallelism = 2 }, instance =>
        {
            var rng = new Random(1000 + instance);
            var folder = Path.Combine(root, "groups", Group, $"instance-{instance + 1}", "trace");
            Directory.CreateDirectory(folder);
            var server = $"gw{instance + 1}";
            var thread = rng.Next(0x1000, 0xffff).ToString("x4", CultureInfo.InvariantCulture);
            var time = start;
            var budget = perInstance;
            for (var file = 0; file < filesPerInstance && budget > 0; file++)
            {
                var name = $"{server}_{time.ToLocalTime().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}.trc";
                using var stream = new FileStream(Path.Combine(folder, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20);
                long size = 0;
                var targetsHere = targetAt.Where(t => t.Item1 == instance && t.Item2 == file).Select(t => t.Item3).Order().ToList();
                var limit = Math.Min(RollBytes, budget);
                while (size < limit)
                {
                    var id = RandomId(rng);
                    if (targetsHere.Count > 0 && size >= targetsHere[0] * limit)
                    {
                        id = target;
                        targetsHere.RemoveAt(0);
                    }
                    var (api, path) = apis[rng.Next(apis.Length)];
                    var status = rng.NextDouble() < 0.02 ? 503 : 200;
                    var duration = rng.Next(1, 400);
                    var uri = $"{path}/items/{rng.Next(100_000)}";
                    TraceLine[] lines =
                    [
                        new("DEBUG", time, thread, id, $"incoming call GET {uri} from 127.0.0.1:{rng.Next(30000, 60000)} on 127.0.0.1:8065", 0),
                        new("INFO", time, thread, id, $"run circuit \"{api}\" operation get{api}Item", 0),
                        new("DEBUG", time, thread, id, "filter 'Set service context' returns true", 1),
                        new("DEBUG", time, thread, id, $"routing to backend of {path}", 1),
                        new(status >= 500 ? "ERROR" : "INFO", time.AddMilliseconds(duration), thread, id,
                            $"transaction complete: status {status} ({(status < 400 ? "Pass" : "Error")}) in {duration} ms", 0),
                    ];
                    foreach (var line in lines)
                    {
                        var text = line.Format();
                        writer.Write(text);
                        writer.Write('\n');
                        size += text.Length + 1; // ASCII
                        if (id == target)
                            Interlocked.Increment(ref targetLines);
                    }
                    time = time.AddMilliseconds(rng.Next(1, 20));
                }
                budget -= size;
                Interlocked.Add(ref written, size);
                Interlocked.Increment(ref files);
                time = time.AddSeconds(1);
            }
        });
        return (target, files, written, targetLines);
    }

    private static string RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[12];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Returns false when a step delivered no line (a tail that reads nothing has no lag to measure).</summary>
    private static async Task<bool> TailAsync(int instances, IReadOnlyList<int> rates, TimeSpan step, TimeSpan pollInterval)
    {
        var ok = true;
        Console.WriteLine($"tail: {instances} instances appending, DatacenterTraceTail polling every {pollInterval.TotalMilliseconds:0} ms "
            + $"(MaxBytesPerPoll {new DatacenterTraceTail("x", new DirectoryTraceLogSource("/"), new TraceLogBuffer(1), TimeProvider.System, NullLogger.Instance).MaxBytesPerPoll / 1024} KiB per instance), "
            + $"a TraceLogBuffer of 100,000, a reader calling ReadAfter every 100 ms; {step.TotalSeconds:0} s per rate");
        Console.WriteLine("  rate asked | lines/s written | lines/s read | lag p50 | lag p99 | lag max | lost | keeps up");
        foreach (var rate in rates)
        {
            var result = await TailStepAsync(instances, rate, step, pollInterval);
            // Lines lost at a rate beyond what the bounded buffer holds are a result; a reader that got no line at all is a broken run.
            if (result.ReadRate <= 0)
            {
                Console.Error.WriteLine($"FAIL: at {rate:N0} lines/s the reader received no line: the tail is not reading");
                ok = false;
            }
            var keepsUp = result.Lost == 0 && result.Undelivered == 0 && result.LagMax < pollInterval.TotalSeconds + 1;
            Console.WriteLine($"  {rate,10:N0} | {result.WriteRate,15:N0} | {result.ReadRate,12:N0} | {result.LagP50,5:0.00} s | {result.LagP99,5:0.00} s | {result.LagMax,5:0.00} s | {result.Lost + result.Undelivered,4:N0} | {(keepsUp ? "yes" : "no")}");
            if (!keepsUp && result.LagMax > 10)
                break;
        }
        return ok;
    }

    private sealed record TailStep(double WriteRate, double ReadRate, double LagP50, double LagP99, double LagMax, long Lost, long Undelivered);

    private static async Task<TailStep> TailStepAsync(int instances, int rate, TimeSpan step, TimeSpan pollInterval)
    {
        var root = Directory.CreateTempSubdirectory("apimconsole-tail-bench-").FullName;
        try
        {
            var writers = Enumerable.Range(0, instances).Select(i => new RollingWriter(Path.Combine(root, "groups", Group, $"instance-{i + 1}", "trace"), $"gw{i + 1}")).ToList();
            foreach (var w in writers)
                w.Flush();
            var buffer = new TraceLogBuffer(100_000);
            var tail = new DatacenterTraceTail("dc1", new DirectoryTraceLogSource(root), buffer, TimeProvider.System, NullLogger.Instance) { BackfillBytes = 0 };
            using var stopTail = new CancellationTokenSource();
            await tail.PollOnceAsync(CancellationToken.None); // positions the followers at the files' ends
            var tailing = Task.Run(() => tail.RunAsync(pollInterval, stopTail.Token));

            long written = 0;
            var writing = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                var next = 0;
                while (clock.Elapsed < step)
                {
                    var due = (long)(clock.Elapsed.TotalSeconds * rate);
                    for (; written < due; written++)
                    {
                        writers[next].Write(written, Stopwatch.GetTimestamp());
                        next = (next + 1) % writers.Count;
                    }
                    foreach (var w in writers)
                        w.Flush();
                    await Task.Delay(10);
                }
            });

            var lags = new List<double>();
            long last = 0;
            long lost = 0;
            long read = 0;
            var readClock = Stopwatch.StartNew();
            var drainDeadline = TimeSpan.MaxValue;
            while (true)
            {
                await Task.Delay(100);
                var records = buffer.ReadAfter(last, 100_000);
                var now = Stopwatch.GetTimestamp();
                foreach (var record in records)
                {
                    if (record.Sequence != last + 1)
                        lost += record.Sequence - last - 1;
                    last = record.Sequence;
                    if (StampOf(record.Entry.Message) is { } stamp)
                    {
                        lags.Add(Stopwatch.GetElapsedTime(stamp, now).TotalSeconds);
                        read++;
                    }
                }
                if (writing.IsCompleted && drainDeadline == TimeSpan.MaxValue)
                    drainDeadline = readClock.Elapsed + pollInterval * 2 + TimeSpan.FromSeconds(10);
                // Every line but each instance's last (held open for continuation lines) has come, or time is up.
                if (writing.IsCompleted && (read + lost >= written - instances || readClock.Elapsed > drainDeadline))
                    break;
            }
            await writing;
            await stopTail.CancelAsync();
            await tailing;
            foreach (var w in writers)
                w.Dispose();
            lags.Sort();
            double At(double q) => lags.Count == 0 ? double.NaN : lags[Math.Min(lags.Count - 1, (int)(q * lags.Count))];
            return new TailStep(written / step.TotalSeconds, read / step.TotalSeconds, At(0.5), At(0.99), lags.Count == 0 ? double.NaN : lags[^1], lost,
                Math.Max(0, written - instances - read - lost));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static long? StampOf(string message)
    {
        var at = message.IndexOf(" t=", StringComparison.Ordinal);
        if (at < 0)
            return null;
        var end = message.IndexOf(' ', at + 3);
        return long.TryParse(message.AsSpan(at + 3, (end < 0 ? message.Length : end) - at - 3), NumberStyles.None, CultureInfo.InvariantCulture, out var stamp) ? stamp : null;
    }

    /// <summary>Appends lab-format lines to an instance's folder, rolling at 16 MB as the gateway does.</summary>
    private sealed class RollingWriter(string folder, string server) : IDisposable
    {
        private readonly string _thread = Random.Shared.Next(0x1000, 0xffff).ToString("x4", CultureInfo.InvariantCulture);
        private StreamWriter? _writer;
        private long _size;
        private DateTime _lastName;

        public void Write(long n, long stamp)
        {
            if (_writer is null || _size >= RollBytes)
                Roll();
            var line = new TraceLine("INFO", DateTimeOffset.Now, _thread, RandomId(Random.Shared), $"transaction complete: status 200 (Pass) in 12 ms n={n} t={stamp} /orders/v1/items", 0).Format();
            _writer!.Write(line);
            _writer.Write('\n');
            _size += line.Length + 1;
        }

        public void Flush()
        {
            if (_writer is null)
                Roll();
            _writer!.Flush();
        }

        private void Roll()
        {
            _writer?.Dispose();
            Directory.CreateDirectory(folder);
            var stamp = DateTime.Now;
            stamp = new DateTime(stamp.Year, stamp.Month, stamp.Day, stamp.Hour, stamp.Minute, stamp.Second);
            if (stamp <= _lastName)
                stamp = _lastName.AddSeconds(1);
            _lastName = stamp;
            var path = Path.Combine(folder, $"{server}_{stamp.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}.trc");
            _writer = new StreamWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1), new UTF8Encoding(false), 1 << 16);
            _size = 0;
        }

        public void Dispose() => _writer?.Dispose();
    }

    private sealed class OneSource(ITraceLogSource source) : ITraceLogSources
    {
        public const string Dc = "dc1";
        public IReadOnlyList<string> DatacenterIds => [Dc];
        public ITraceLogSource? For(string datacenterId) => datacenterId == Dc ? source : null;
        public TimeZoneInfo TimeZoneOf(string datacenterId) => TimeZoneInfo.Utc;
    }

    private sealed class SyncProgress(Action<TraceSearchProgress> report) : IProgress<TraceSearchProgress>
    {
        public void Report(TraceSearchProgress value) => report(value);
    }

    private static double DoubleArg(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
