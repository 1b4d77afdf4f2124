using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ApimConsole.Benchmarks;

/// <summary>
/// Time from a fault injected in the lab to the change arriving at a hub client, with the default probe settings;
/// then, optionally, a soak with a share of probe connections dropped at random, counting false Downs. The client
/// must prove it was listening: it must stay connected, and during the soak a heartbeat (one instance put down and up
/// in turn, its states not counted) must keep reaching it, with no gap longer than <c>--max-gap-seconds</c> (10 s).
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
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                // The client's own WebSocket factory sends the token as a header; a factory of our own (the test server's
                // in-process WebSocket) sends nothing unless told. The hub needs an identity (sign-in is required), so
                // the Administrator bootstrap token goes as access_token, which /hubs/estate accepts.
                o.WebSocketFactory = async (context, ct) =>
                    await server.CreateWebSocketClient().ConnectAsync(WithAccessToken(context.Uri, BenchmarkConsole.BootstrapToken), ct);
            })
            .Build();
        var liveness = new HubLiveness(hub);
        hub.On<JsonElement>("snapshot", s =>
        {
            var at = Stopwatch.GetTimestamp();
            liveness.Received(at);
            snapshots.Writer.TryWrite((s, at));
        });
        await hub.StartAsync();
        var connected = Stopwatch.GetTimestamp();

        await WaitAsync(snapshots, liveness, "the estate all Up", s => s.Components().All(c => c.State == "Up") && s.Components().Count() >= 16, TimeSpan.FromSeconds(60));
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
            var at = await WaitAsync(snapshots, liveness, $"{target} Down", s => s.StateOf(target) == "Down", TimeSpan.FromSeconds(15));
            latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
            await console.FaultAsync(target, "up");
            await WaitAsync(snapshots, liveness, "the estate all Up again", s => s.Components().All(c => c.State == "Up"), TimeSpan.FromSeconds(15));
        }

        if (latencies.Count > 0)
        {
            latencies.Sort();
            Console.WriteLine($"fault -> hub client, n={latencies.Count}: p50={Percentile(latencies, 0.50):0} ms p95={Percentile(latencies, 0.95):0} ms max={latencies[^1]:0} ms min={latencies[0]:0} ms");
        }
        // Every fault above had to reach the client (each wait fails after 15 s), so the detection phase proves its
        // own liveness; the connection must still be open.
        var detection = liveness.Check(connected, Stopwatch.GetTimestamp(), TimeSpan.MaxValue);
        Console.WriteLine($"hub client during detection: {detection.Describe()}");
        if (detection.Closed is not null)
        {
            Console.Error.WriteLine($"FAIL: {detection.Failure}");
            return 1;
        }

        if (soakMinutes > 0)
            return await SoakAsync(console, snapshots, liveness, dropRate, TimeSpan.FromMinutes(soakMinutes), TimeSpan.FromSeconds(DoubleArg(args, "--max-gap-seconds", 10)));
        return 0;
    }

    /// <summary>The heartbeat (<see cref="SoakHeartbeat"/>) keeps the soak's hub client receiving; its instance's states are not counted.</summary>
    private const string HeartbeatTarget = SoakHeartbeat.Target;

    private static async Task<int> SoakAsync(BenchmarkConsole console, Channel<(JsonElement Snapshot, long At)> snapshots, HubLiveness liveness, double dropRate, TimeSpan duration, TimeSpan maxGap)
    {
        Console.WriteLine($"soak: {duration.TotalMinutes} min with {dropRate:P0} of probe connections dropped at random; heartbeat: {HeartbeatTarget} down and up in turn every {SoakHeartbeat.Period.TotalSeconds:0} s (its states are not counted)");
        await console.FaultAsync("*", "drop", dropRate);
        var falseDowns = new List<string>();
        var seen = 0;
        var heartbeatsSeen = 0;
        string? lastBeat = null;
        Drain(snapshots);
        var soakStart = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(duration);
        var heartbeat = SoakHeartbeat.RunAsync((target, action) => console.FaultAsync(target, action), cts.Token);
        try
        {
            await foreach (var (snapshot, _) in snapshots.Reader.ReadAllAsync(cts.Token))
            {
                seen++;
                var beat = snapshot.StateOf(HeartbeatTarget);
                if (lastBeat is not null && beat != lastBeat)
                    heartbeatsSeen++;
                lastBeat = beat;
                foreach (var (key, state) in snapshot.Components().Where(c => c.State != "Up" && c.Key != HeartbeatTarget))
                    falseDowns.Add($"{DateTime.UtcNow:HH:mm:ss} {key} {state}");
            }
        }
        catch (OperationCanceledException)
        {
        }
        var soakEnd = Stopwatch.GetTimestamp();
        var heartbeatsSent = await heartbeat;
        await console.HealAsync();
        var lab = await console.LabAsync();
        var verdict = liveness.Check(soakStart, soakEnd, maxGap);
        Console.WriteLine($"soak: {seen} snapshots received, false non-Up states: {falseDowns.Count}");
        foreach (var line in falseDowns.Take(20))
            Console.WriteLine("  " + line);
        if (lab.TryGetProperty("dropped", out var dropped))
            Console.WriteLine($"soak: the lab dropped {dropped} probe connections/requests");
        Console.WriteLine($"soak: hub client {(verdict.Alive ? "alive" : "NOT alive")}: {verdict.Describe()}; heartbeats sent {heartbeatsSent}, heartbeat state changes seen {heartbeatsSeen}");
        if ((verdict.Failure ?? (heartbeatsSeen == 0 ? $"no heartbeat reached the hub client ({heartbeatsSent} sent)" : null)) is { } failure)
        {
            Console.Error.WriteLine($"FAIL: {failure}; the soak's count of false states proves nothing");
            return 1;
        }
        return falseDowns.Count == 0 ? 0 : 1;
    }

    private static async Task<long> WaitAsync(Channel<(JsonElement Snapshot, long At)> snapshots, HubLiveness liveness, string what, Func<JsonElement, bool> condition, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (snapshot, at) = await snapshots.Reader.ReadAsync(cts.Token);
                if (condition(snapshot))
                    return at;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no snapshot showed {what} within {timeout.TotalSeconds:0} s; the hub connection is {liveness.Closed ?? "open"}, " +
                                       $"its last message {liveness.SilentFor(started).TotalSeconds:0.0} s ago");
        }
    }

    private static Uri WithAccessToken(Uri uri, string token) =>
        new($"{uri}{(string.IsNullOrEmpty(uri.Query) ? "?" : "&")}access_token={Uri.EscapeDataString(token)}");

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
