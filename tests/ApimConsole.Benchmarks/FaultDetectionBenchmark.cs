using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ApimConsole.Benchmarks;

/// <summary>
/// Time from a fault injected in the lab to the change arriving at a hub client, with the default probe settings;
/// then, optionally, a soak with a share of probe connections dropped at random, counting false Downs.
/// </summary>
internal static class FaultDetectionBenchmark
{
    private static readonly string[] Targets =
    [
        "dc1/instance-1", "dc1/instance-3", "dc2/instance-2", "dc2/instance-4",
        "dc1/cassandra-2", "dc2/cassandra-3", "dc2/anm", "dc1/anm",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var faults = IntArg(args, "--faults", 60);
        var dropRate = DoubleArg(args, "--drop-rate", 0.05);
        var soakMinutes = DoubleArg(args, "--soak-minutes", 0);

        await using var console = new BenchmarkConsole(new Dictionary<string, string> { ["Lab:TrafficRatePerSecond"] = "20" });
        var server = console.Server;
        var snapshots = Channel.CreateUnbounded<(JsonElement Snapshot, long At)>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/estate"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(BenchmarkConsole.BootstrapToken);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) => await server.CreateWebSocketClient().ConnectAsync(context.Uri, ct);
            })
            .Build();
        hub.On<JsonElement>("snapshot", s => snapshots.Writer.TryWrite((s, Stopwatch.GetTimestamp())));
        await hub.StartAsync();

        await WaitAsync(snapshots, s => s.Components().All(c => c.State == "Up") && s.Components().Count() >= 16, TimeSpan.FromSeconds(30));
        Console.WriteLine($"estate up; injecting {faults} faults (down, then up) at random phases");

        var latencies = new List<double>();
        var random = new Random(7);
        for (var i = 0; i < faults; i++)
        {
            var target = Targets[i % Targets.Length];
            await Task.Delay(random.Next(0, 750));
            Drain(snapshots);
            var start = Stopwatch.GetTimestamp();
            await console.FaultAsync(target, "down");
            var at = await WaitAsync(snapshots, s => s.StateOf(target) == "Down", TimeSpan.FromSeconds(15));
            latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
            await console.FaultAsync(target, "up");
            await WaitAsync(snapshots, s => s.Components().All(c => c.State == "Up"), TimeSpan.FromSeconds(15));
        }

        latencies.Sort();
        Console.WriteLine($"fault -> hub client, n={latencies.Count}: p50={Percentile(latencies, 0.50):0} ms p95={Percentile(latencies, 0.95):0} ms max={latencies[^1]:0} ms min={latencies[0]:0} ms");

        if (soakMinutes > 0)
            return await SoakAsync(console, snapshots, dropRate, TimeSpan.FromMinutes(soakMinutes));
        return 0;
    }

    private static async Task<int> SoakAsync(BenchmarkConsole console, Channel<(JsonElement Snapshot, long At)> snapshots, double dropRate, TimeSpan duration)
    {
        Console.WriteLine($"soak: {duration.TotalMinutes} min with {dropRate:P0} of probe connections dropped at random");
        await console.FaultAsync("*", "drop", dropRate);
        var falseDowns = new List<string>();
        var seen = 0;
        using var cts = new CancellationTokenSource(duration);
        try
        {
            await foreach (var (snapshot, _) in snapshots.Reader.ReadAllAsync(cts.Token))
            {
                seen++;
                foreach (var (key, state) in snapshot.Components().Where(c => c.State != "Up"))
                    falseDowns.Add($"{DateTime.UtcNow:HH:mm:ss} {key} {state}");
            }
        }
        catch (OperationCanceledException)
        {
        }
        await console.HealAsync();
        var lab = await console.LabAsync();
        Console.WriteLine($"soak: {seen} snapshots received, false non-Up states: {falseDowns.Count}");
        foreach (var line in falseDowns.Take(20))
            Console.WriteLine("  " + line);
        if (lab.TryGetProperty("dropped", out var dropped))
            Console.WriteLine($"soak: the lab dropped {dropped} probe connections/requests");
        return falseDowns.Count == 0 ? 0 : 1;
    }

    private static async Task<long> WaitAsync(Channel<(JsonElement Snapshot, long At)> snapshots, Func<JsonElement, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var (snapshot, at) = await snapshots.Reader.ReadAsync(cts.Token);
            if (condition(snapshot))
                return at;
        }
    }

    private static void Drain(Channel<(JsonElement, long)> snapshots)
    {
        while (snapshots.Reader.TryRead(out _))
        {
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int IntArg(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

    private static double DoubleArg(string[] args, string name, double fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
