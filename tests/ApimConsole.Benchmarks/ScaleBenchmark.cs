using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ApimConsole.Core.Estate;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Benchmarks;

/// <summary>
/// What probing costs the console as the estate grows: 4, 25 and 100 gateway instances per datacenter (with 3, 10
/// and 30 Cassandra nodes), probe interval 1 s. Each size runs in a fresh process of its own (so memory figures do
/// not carry over) that hosts the console and measures its own CPU time; the lab runs in a second child process, so
/// its CPU is not counted. The lab notes when each component is probed (from the peer's side), which gives the
/// probes per second and the interval the console really achieves.
/// </summary>
internal static class ScaleBenchmark
{
    private static readonly (int PerGroup, int Cassandra)[] DefaultSizes = [(2, 3), (12, 10), (50, 30)];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--lab"))
            return await RunLabAsync(args);
        var seconds = IntArg(args, "--seconds", 60);
        var warmup = IntArg(args, "--warmup", 15);
        if (args.Contains("--size"))
            return await MeasureAsync(SizeArg(args), TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(warmup), idle: args.Contains("--idle"));

        (int PerGroup, int Cassandra)[] sizes = args.Contains("--sizes")
            ? Arg(args, "--sizes")!.Split(',').Select(ParseSize).ToArray()
            : DefaultSizes;
        Console.WriteLine($"scale: probe interval 1 s, {warmup} s warm-up, {seconds} s measured per size; {Environment.ProcessorCount} cores");
        var rows = new List<(string Row, double CoreShare, int Components, double Probes)>();
        // First the smallest estate with probing switched off (a 1-hour interval once everything is Up): what the
        // console costs doing nothing. Probing's share of every other row is that row's CPU minus this one.
        var runs = new[] { (PerGroup: sizes[0].PerGroup, Cassandra: sizes[0].Cassandra, Idle: true) }
            .Concat(sizes.Select(s => (s.PerGroup, s.Cassandra, Idle: false)));
        foreach (var (perGroup, cassandra, idle) in runs)
        {
            using var child = StartSelf(["scale", "--size", $"{perGroup}:{cassandra}", "--seconds", $"{seconds}", "--warmup", $"{warmup}", .. idle ? new[] { "--idle" } : []]);
            string? line;
            while ((line = await child.StandardOutput.ReadLineAsync()) is not null)
            {
                Console.WriteLine("  " + line);
                if (line.StartsWith("ROW ", StringComparison.Ordinal))
                {
                    var fields = line[4..].Split(' ', 4);
                    rows.Add((fields[3], double.Parse(fields[0], CultureInfo.InvariantCulture), int.Parse(fields[1], CultureInfo.InvariantCulture), double.Parse(fields[2], CultureInfo.InvariantCulture)));
                }
            }
            await child.WaitForExitAsync();
            if (child.ExitCode != 0)
            {
                Console.Error.WriteLine($"size {perGroup}:{cassandra} failed (exit {child.ExitCode})");
                return 1;
            }
        }
        Console.WriteLine();
        var idleShare = rows[0].CoreShare;
        Console.WriteLine("| Instances per DC | Cassandra per DC | Components | Probes/s | Console CPU (% of one core) | Probing CPU = console - idle (% of one core) | Probing CPU ms per component per s | Allocated KB per probe | Managed heap MB | Working set MB | Gap p50 / p95 / max (ms) | Lab CPU (% of one core) |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var (row, coreShare, components, probes) in rows)
        {
            var cells = row.Split('|');
            var probing = coreShare - idleShare;
            // cells: "", instances, cassandra, components, probes/s, console %, rest...
            Console.WriteLine(string.Join('|', cells[..6]) + string.Create(CultureInfo.InvariantCulture,
                $"| {(probes < 1 ? "(idle baseline)" : $"{probing * 100:0.00} %")} | {(probes < 1 ? "–" : $"{probing * 1000 / components:0.000}")} |") + string.Join('|', cells[6..]));
        }
        return 0;
    }

    /// <summary>One size: the lab in a child process, the console here, then the numbers as one table row.</summary>
    private static async Task<int> MeasureAsync((int PerGroup, int Cassandra) size, TimeSpan duration, TimeSpan warmup, bool idle)
    {
        using var lab = StartSelf("scale", "--lab", "--size", $"{size.PerGroup}:{size.Cassandra}");
        var configLine = await ReadTaggedAsync(lab, "CONFIG ");
        var estateSettings = JsonSerializer.Deserialize<Dictionary<string, string?>>(configLine)!;

        var settings = new Dictionary<string, string>
        {
            ["Lab:Enabled"] = "false",
            // Idle: probes run at the fast interval until everything is Up, then not again within the run.
            ["Probes:Interval"] = idle ? "01:00:00" : "00:00:01",
            // The traffic collector reads every instance on its own schedule; it is not probing: keep it rare.
            ["Traffic:PollInterval"] = "00:05:00",
            ["Traffic:TimelineInterval"] = "01:00:00",
        };
        foreach (var (key, value) in estateSettings)
        {
            // No log tails: reading trace folders is not probing either.
            if (value is not null && !key.EndsWith(":Logs:Url", StringComparison.Ordinal))
                settings[key] = value;
        }

        await using var console = new BenchmarkConsole(settings);
        _ = console.Server;
        var status = console.Services.GetRequiredService<IEstateStatus>();
        var expected = 2 * (1 + 2 * size.PerGroup + size.Cassandra);
        var upBy = Stopwatch.StartNew();
        while (!(status.Current.AllComponents().Count() == expected && status.Current.AllComponents().All(c => c.State == ComponentState.Up)))
        {
            if (upBy.Elapsed > TimeSpan.FromSeconds(90))
            {
                Console.WriteLine($"not all {expected} components Up after 90 s: {status.Current.AllComponents().Count(c => c.State == ComponentState.Up)} Up of {status.Current.AllComponents().Count()}");
                return 1;
            }
            await Task.Delay(200);
        }
        Console.WriteLine($"{expected} components Up after {upBy.Elapsed.TotalSeconds:0.0} s; warming up {warmup.TotalSeconds:0} s");
        await Task.Delay(warmup);

        await lab.StandardInput.WriteLineAsync("clear");
        await ReadTaggedAsync(lab, "CLEARED");
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var cpuBefore = self.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var labCpuBefore = await LabCpuAsync(lab);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        var labCpu = await LabCpuAsync(lab) - labCpuBefore;
        var elapsed = clock.Elapsed;
        var stillUp = status.Current.AllComponents().Count(c => c.State == ComponentState.Up);

        await lab.StandardInput.WriteLineAsync("gaps");
        var gapsJson = await ReadTaggedAsync(lab, "GAPS ");
        var gaps = JsonSerializer.Deserialize<Dictionary<string, double[]>>(gapsJson)!;
        var allGaps = gaps.Values.SelectMany(g => g).Order().ToList();
        var probes = gaps.Values.Sum(g => g.Length + 1);
        var silent = expected - gaps.Count;

        self.Refresh();
        var workingSet = self.WorkingSet64;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);

        var perSecond = probes / elapsed.TotalSeconds;
        var coreShare = cpu.TotalMilliseconds / elapsed.TotalMilliseconds;
        Console.WriteLine($"measured {elapsed.TotalSeconds:0.0} s: {probes} probes of {gaps.Count} components ({silent} never probed), {stillUp}/{expected} Up at the end");
        Console.WriteLine($"console CPU {cpu.TotalMilliseconds:0} ms = {coreShare:P2} of one core; lab CPU {labCpu.TotalMilliseconds:0} ms; allocated {allocated / 1024.0 / 1024.0:0.0} MB");
        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {(idle ? "idle: " : "")}{2 * size.PerGroup} | {size.Cassandra} | {expected} | {perSecond:0} | {coreShare * 100:0.00} % | {(probes == 0 ? "–" : $"{allocated / 1024.0 / probes:0.0}")} | {heap / 1024.0 / 1024.0:0.0} | {workingSet / 1024.0 / 1024.0:0} | {(allGaps.Count == 0 ? "–" : $"{Percentile(allGaps, 0.5):0} / {Percentile(allGaps, 0.95):0} / {allGaps[^1]:0}")} | {labCpu.TotalMilliseconds / elapsed.TotalMilliseconds * 100:0.0} % |");
        // One line the parent reads: core share, components, probes per second, then the table row.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ROW {coreShare:R} {expected} {perSecond:R} ") + row);
        lab.StandardInput.Close();
        await lab.WaitForExitAsync();
        return idle ? (stillUp == expected ? 0 : 1) : (silent == 0 && stillUp == expected ? 0 : 1);
    }

    private static async Task<TimeSpan> LabCpuAsync(Process lab)
    {
        await lab.StandardInput.WriteLineAsync("cpu");
        return TimeSpan.FromMilliseconds(double.Parse(await ReadTaggedAsync(lab, "CPU "), CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The lab side: a lab of the given size with no traffic and no trace files, recording probes. Prints its
    /// console configuration, then answers <c>clear</c>, <c>gaps</c> and <c>cpu</c> on standard input until it closes.
    /// </summary>
    private static async Task<int> RunLabAsync(string[] args)
    {
        var (perGroup, cassandra) = SizeArg(args);
        var options = new LabOptions
        {
            InstancesPerGroup = perGroup,
            CassandraNodesPerDatacenter = cassandra,
            TrafficRatePerSecond = 0,
            WriteTraceFiles = false,
            RecordProbes = true,
        };
        await using var estate = await LabEstate.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        Console.WriteLine("CONFIG " + JsonSerializer.Serialize(estate.ToConsoleConfiguration()));
        string? command;
        while ((command = await Console.In.ReadLineAsync()) is not null)
        {
            switch (command.Trim())
            {
                case "clear":
                    estate.ProbeLog!.Clear();
                    Console.WriteLine("CLEARED");
                    break;
                case "gaps":
                    var gaps = estate.ProbeLog!.Gaps().ToDictionary(p => p.Key, p => p.Value.Select(g => Math.Round(g.TotalMilliseconds, 1)).ToArray());
                    Console.WriteLine("GAPS " + JsonSerializer.Serialize(gaps));
                    break;
                case "cpu":
                    Console.WriteLine("CPU " + Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
                    break;
            }
        }
        return 0;
    }

    private static Process StartSelf(params string[] args)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var host = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.FileName = host;
            start.ArgumentList.Add(typeof(ScaleBenchmark).Assembly.Location);
        }
        else
        {
            start.FileName = host;
        }
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start " + host);
    }

    private static async Task<string> ReadTaggedAsync(Process process, string tag)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"the lab process ended before '{tag.Trim()}'");
            if (line.StartsWith(tag, StringComparison.Ordinal))
                return line[tag.Length..];
        }
    }

    private static (int PerGroup, int Cassandra) SizeArg(string[] args) => ParseSize(Arg(args, "--size") ?? "2:3");

    private static (int PerGroup, int Cassandra) ParseSize(string text)
    {
        var parts = text.Split(':');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntArg(string[] args, string name, int fallback) =>
        Arg(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
