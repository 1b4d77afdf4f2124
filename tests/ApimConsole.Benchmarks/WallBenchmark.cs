using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace ApimConsole.Benchmarks;

/// <summary>
/// How many wall screens and hub subscribers one console holds. The console (with its embedded lab) runs in this
/// process on Kestrel at 127.0.0.1, so its CPU and managed memory are this process's; a lab gateway instance is
/// flapped once a second so the hub has a change to send every second. (a) Hub subscribers run in a child process
/// (this program's <see cref="SubscribersCommand"/>) so their CPU is not counted as the server's; each measures
/// receive time minus the snapshot's <c>asOf</c>, the moment the status engine published it. (b) Wall screens are
/// Chromium pages on <c>/wall</c>, driven by Playwright from a second child process (<see cref="BrowsersCommand"/>) so
/// the driver's objects are not counted; server memory per circuit is the growth of the managed heap after a forced,
/// compacting GC.
/// </summary>
internal static class WallBenchmark
{
    public const string SubscribersCommand = "wall-subscribers";

    public const string BrowsersCommand = "wall-browsers";

    /// <summary>Sent as a bearer token on every request; the console is told to accept it (Auth:BootstrapAdminToken).</summary>
    private const string Token = "wall-benchmark-bootstrap-token-5f1c2a9e7d";

    private const string FlapTarget = "dc2/instance-4";

    public static async Task<int> RunAsync(string[] args)
    {
        var subscriberCounts = ListArg(args, "--subscribers", [100, 500, 1000]);
        var seconds = IntArg(args, "--seconds", 20);
        var circuitCounts = ListArg(args, "--circuits", [10, 25, 50]);
        var soakMinutes = DoubleArg(args, "--soak-minutes", 3);
        var flap = TimeSpan.FromMilliseconds(IntArg(args, "--flap-ms", 2000));
        // Tiny runs (the suite's smoke run) shorten the fixed waits: the idle and per-step CPU windows, and the drift window.
        var cpuWindow = TimeSpan.FromSeconds(DoubleArg(args, "--cpu-seconds", 10));
        var driftWindow = TimeSpan.FromSeconds(DoubleArg(args, "--drift-seconds", 20));
        var maxGap = TimeSpan.FromSeconds(DoubleArg(args, "--max-gap-seconds", 10));

        await using var console = new WallConsole(Token, smallBuffers: args.Contains("--small-buffers"));
        var address = console.Start();
        using var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await WaitForAllUpAsync(http, TimeSpan.FromSeconds(60));
        Console.WriteLine($"console at {address}, estate up; {Environment.ProcessorCount} cores, server GC: {GCSettings.IsServerGC}");

        using var stop = new CancellationTokenSource();
        var flapper = FlapAsync(http, flap, stop.Token);
        var failures = new List<string>();
        try
        {
            // Idle cost of the console with the flapping lab and no one watching: the baseline for CPU.
            var idle = await MeasureCpuAsync(cpuWindow);
            Console.WriteLine($"baseline, no clients: server CPU {idle:0.0} % of one core; managed {ManagedMb():0.0} MB, working set {WorkingSetMb():0} MB");

            if (!args.Contains("--skip-hub"))
            {
                foreach (var n in subscriberCounts)
                {
                    if (await RunHubStepAsync(address, n, seconds, maxGap) is { } failure)
                        failures.Add(failure);
                }
            }
            if (!args.Contains("--skip-circuits"))
            {
                // A wall screen signs in the way a real one does: its wallboard link once, then the wall cookie.
                var (_, wallSecret) = await console.Services.GetRequiredService<ApimConsole.Web.Security.ApiTokenService>()
                    .CreateAsync("benchmark-wall", ApimConsole.Web.Security.ConsoleRoles.Viewer, ApimConsole.Storage.Records.ApiTokenKind.Wallboard, "benchmark", CancellationToken.None);
                failures.AddRange(await RunCircuitsAsync(address, wallSecret, circuitCounts, TimeSpan.FromMinutes(soakMinutes), cpuWindow, driftWindow, census: args.Contains("--heap-census")));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flapper;
        }
        foreach (var failure in failures)
            Console.Error.WriteLine($"FAIL: {failure}");
        return failures.Count == 0 ? 0 : 1;
    }

    // ---- (a) hub subscribers ---------------------------------------------------------------------------------

    /// <summary>One step of N subscribers; returns why its figures cannot be trusted, or null.</summary>
    private static async Task<string?> RunHubStepAsync(Uri address, int n, int seconds, TimeSpan maxGap)
    {
        var before = ManagedMb();
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // Under `dotnet run` this is the app host; under `dotnet X.dll`, dotnet itself, which needs the dll.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(WallBenchmark).Assembly.Location);
        foreach (var a in new[] { SubscribersCommand, "--url", address.ToString(), "--token", Token, "--n", n.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--max-gap-seconds", maxGap.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;

        string? line;
        TimeSpan cpuStart = default, childCpuStart = default;
        var wall = Stopwatch.StartNew();
        string? result = null;
        string? liveness = null;
        while ((line = await child.StandardOutput.ReadLineAsync()) is not null)
        {
            if (line.StartsWith("MEASURING", StringComparison.Ordinal))
            {
                Console.WriteLine($"  n={n}: {line}");
                cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                childCpuStart = child.TotalProcessorTime;
                wall.Restart();
            }
            else if (line.StartsWith("RESULT", StringComparison.Ordinal))
            {
                var elapsed = wall.Elapsed;
                var serverCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart) / elapsed * 100;
                var clientCpu = (child.TotalProcessorTime - childCpuStart) / elapsed * 100;
                // Memory while every client is still connected.
                var managed = ManagedMb();
                result = $"subscribers n={n}: {line["RESULT ".Length..]}; server CPU {serverCpu:0} % of one core (clients' process {clientCpu:0} %); " +
                         $"server managed {managed:0.0} MB (+{managed - before:0.0} MB, {(managed - before) * 1024 / n:0.0} KB per subscriber), working set {WorkingSetMb():0} MB";
                await child.StandardInput.WriteLineAsync("done");
                await child.StandardInput.FlushAsync();
            }
            else
            {
                if (line.StartsWith("LIVENESS", StringComparison.Ordinal))
                    liveness = line;
                Console.WriteLine($"  n={n}: {line}");
            }
        }
        await child.WaitForExitAsync();
        Console.WriteLine(result ?? $"subscribers n={n}: the client process exited with {child.ExitCode} before reporting");
        if (result is null || liveness is null)
            return $"subscribers n={n}: the client process exited with {child.ExitCode} before reporting its result and liveness";
        return liveness.StartsWith("LIVENESS ok", StringComparison.Ordinal) ? null : $"subscribers n={n}: {liveness}";
    }

    /// <summary>The child: N hub clients, each timing every snapshot against its <c>asOf</c>.</summary>
    public static async Task<int> RunSubscribersAsync(string[] args)
    {
        var url = new Uri(new Uri(StringArg(args, "--url")), "/hubs/estate");
        var token = StringArg(args, "--token");
        var n = IntArg(args, "--n", 100);
        var seconds = IntArg(args, "--seconds", 20);
        var maxGap = TimeSpan.FromSeconds(DoubleArg(args, "--max-gap-seconds", 10));

        // Liveness per client while measuring: the latency figures (and "0 lost") mean something only if every client
        // stayed connected and kept receiving. A client that got nothing for longer than the bound fails the step.
        var lastAt = new long[n];
        var longestGap = new long[n];
        var received = new int[n];
        var closed = 0;
        var latencies = new double[n * (seconds + 5) * 4];
        var count = 0;
        var measuring = 0;
        var connections = new HubConnection[n];
        for (var i = 0; i < n; i++)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(url, o =>
                {
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                })
                .Build();
            var client = i;
            connection.Closed += _ =>
            {
                Interlocked.Increment(ref closed);
                return Task.CompletedTask;
            };
            connection.On<Stamp>("snapshot", stamp =>
            {
                if (Volatile.Read(ref measuring) == 0)
                    return;
                // One connection's handlers run one at a time: its own slots need no lock.
                var now = Stopwatch.GetTimestamp();
                longestGap[client] = Math.Max(longestGap[client], now - lastAt[client]);
                lastAt[client] = now;
                received[client]++;
                var ms = (DateTimeOffset.UtcNow - stamp.AsOf).TotalMilliseconds;
                var slot = Interlocked.Increment(ref count) - 1;
                if (slot < latencies.Length)
                    latencies[slot] = ms;
            });
            connections[i] = connection;
        }

        var failed = 0;
        var connectTime = Stopwatch.StartNew();
        foreach (var batch in connections.Chunk(50))
        {
            await Task.WhenAll(batch.Select(async c =>
            {
                try
                {
                    await c.StartAsync();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failed);
                }
            }));
        }
        var connectSeconds = connectTime.Elapsed.TotalSeconds;
        // Let the snapshot each client gets on connect (as old as the last change) pass before measuring.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Console.WriteLine($"MEASURING connected={n - failed} failed={failed} in {connectSeconds:0.0} s");
        var measureStart = Stopwatch.GetTimestamp();
        Array.Fill(lastAt, measureStart);
        Volatile.Write(ref measuring, 1);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref measuring, 0);
        var measureEnd = Stopwatch.GetTimestamp();
        var closedWhileMeasuring = Volatile.Read(ref closed);
        // The gap from each client's last message to the end of the window counts too.
        var gaps = Enumerable.Range(0, n).Select(c => TimeSpan.FromSeconds(Math.Max(longestGap[c], measureEnd - lastAt[c]) / (double)Stopwatch.Frequency)).ToArray();
        var silent = received.Count(r => r == 0);
        var overBound = gaps.Count(g => g > maxGap);
        var longest = gaps.Length == 0 ? TimeSpan.Zero : gaps.Max();
        var problems = new List<string>();
        if (failed > 0)
            problems.Add($"{failed} of {n} never connected");
        if (closedWhileMeasuring > 0)
            problems.Add($"{closedWhileMeasuring} connections closed");
        if (silent > 0)
            problems.Add($"{silent} clients received nothing in {seconds} s");
        if (overBound > 0)
            problems.Add($"{overBound} clients had a gap over {maxGap.TotalSeconds:0} s");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"LIVENESS {(problems.Count == 0 ? "ok" : "FAIL: " + string.Join("; ", problems))}: every client's messages {received.Min()}-{received.Max()} in {seconds} s, longest gap of any client {longest.TotalSeconds:0.0} s (bound {maxGap.TotalSeconds:0} s), connections closed {closedWhileMeasuring}"));

        var taken = Math.Min(Volatile.Read(ref count), latencies.Length);
        var sorted = latencies[..taken];
        Array.Sort(sorted);
        var connected = Math.Max(1, n - failed);
        var stillConnected = connections.Count(c => c.State == HubConnectionState.Connected);
        Console.WriteLine(taken == 0
            ? $"RESULT no snapshots received in {seconds} s"
            : $"RESULT {taken} deliveries in {seconds} s ({(double)taken / connected / seconds:0.00} per client per s), still connected {stillConnected}/{n}; " +
              $"latency p50 {Percentile(sorted, 0.50):0} ms, p95 {Percentile(sorted, 0.95):0} ms, p99 {Percentile(sorted, 0.99):0} ms, max {sorted[^1]:0} ms");

        // Hold the connections until the server's memory has been read.
        await Console.In.ReadLineAsync();
        foreach (var batch in connections.Chunk(100))
            await Task.WhenAll(batch.Select(c => c.DisposeAsync().AsTask()));
        return 0;
    }

    /// <summary>The one field of the snapshot a subscriber needs: the rest of the message is skipped unread.</summary>
    private sealed record Stamp(DateTimeOffset AsOf);

    // ---- (b) wall screens (Blazor circuits) ------------------------------------------------------------------

    /// <summary>
    /// The server side of the circuit steps. The browser and its Playwright driver run in a child process (this
    /// program's <see cref="BrowsersCommand"/>): the Playwright client keeps managed objects per page (pages, frames,
    /// requests, event routing), and in this process they would be counted as the server's memory per circuit.
    /// </summary>
    private static async Task<List<string>> RunCircuitsAsync(Uri address, string wallSecret, IReadOnlyList<int> counts, TimeSpan soak, TimeSpan cpuWindow, TimeSpan driftWindow, bool census)
    {
        var failures = new List<string>();
        var wallUrl = new Uri(address, "/wall?token=" + Uri.EscapeDataString(wallSecret)).ToString();
        var overviewUrl = new Uri(address, "/?token=" + Uri.EscapeDataString(Token)).ToString();
        await using var browsers = BrowsersChild.Start(wallUrl, overviewUrl);

        // The first screen pays for JIT and first-use caches; the baseline is taken with it open.
        await browsers.AskAsync("open 1", "OPENED");
        // The console's own bounded buffers (recent transactions, traffic history) still fill while the walls open: the
        // heap's drift with nothing opening is measured first and taken off each step's growth.
        var first = ManagedMb();
        var drift = Stopwatch.StartNew();
        await Task.Delay(driftWindow);
        var baseline = ManagedMb();
        var driftPerSecond = (baseline - first) / drift.Elapsed.TotalSeconds;
        var baselineWs = WorkingSetMb();
        var sinceBaseline = Stopwatch.StartNew();
        Console.WriteLine($"circuits: baseline with 1 wall open: managed {baseline:0.0} MB, working set {baselineWs:0} MB; " +
                          $"drift with nothing opening {driftPerSecond * 1024:0.0} KB/s");
        var baselineCensus = census ? HeapCensus.TakeOfSelf("walls-1") : null;

        var open = 1;
        foreach (var m in counts)
        {
            var opened = await browsers.AskAsync($"open {m}", "OPENED");
            open = m;
            var cpu = await MeasureCpuAsync(cpuWindow);
            var managed = ManagedMb();
            var ws = WorkingSetMb();
            var corrected = managed - baseline - driftPerSecond * sinceBaseline.Elapsed.TotalSeconds;
            var live = await browsers.AskAsync("live", "LIVE");
            if (NoneLive(live))
                failures.Add($"circuits m={m}: no wall moved ({live}): the memory of dead circuits says nothing");
            Console.WriteLine($"circuits m={m}: {opened}, {live}; server CPU {cpu:0} % of one core; " +
                              $"managed {managed:0.0} MB ({(managed - baseline) * 1024 / (m - 1):0} KB per extra circuit, " +
                              $"{corrected * 1024 / (m - 1):0} KB without the drift), " +
                              $"working set {ws:0} MB ({(ws - baselineWs) * 1024 / (m - 1):0} KB per extra circuit)");
            if (baselineCensus is not null)
                HeapCensus.PrintGrowth(baselineCensus, HeapCensus.TakeOfSelf($"walls-{m}"), m - 1, "extra wall");
        }

        if (soak > TimeSpan.Zero)
        {
            Console.WriteLine($"soak: {open} walls open for {soak.TotalMinutes:0.#} min with a change every second");
            var soakCensus = census ? HeapCensus.TakeOfSelf("soak-start") : null;
            var end = DateTime.UtcNow + soak;
            var samples = new List<(double Minutes, double Managed, double WorkingSet)>();
            var started = Stopwatch.StartNew();
            while (DateTime.UtcNow < end)
            {
                samples.Add((started.Elapsed.TotalMinutes, ManagedMb(), WorkingSetMb()));
                Console.WriteLine($"  t={samples[^1].Minutes:0.0} min: managed {samples[^1].Managed:0.0} MB, working set {samples[^1].WorkingSet:0} MB");
                await Task.Delay(TimeSpan.FromSeconds(30));
            }
            samples.Add((started.Elapsed.TotalMinutes, ManagedMb(), WorkingSetMb()));
            var live = await browsers.AskAsync("live", "LIVE");
            if (NoneLive(live))
                failures.Add($"soak: no wall moved at the end ({live})");
            Console.WriteLine($"soak: managed {samples[0].Managed:0.0} -> {samples[^1].Managed:0.0} MB (max {samples.Max(s => s.Managed):0.0}), " +
                              $"working set {samples[0].WorkingSet:0} -> {samples[^1].WorkingSet:0} MB; at the end {live}");
            if (soakCensus is not null)
                HeapCensus.PrintGrowth(soakCensus, HeapCensus.TakeOfSelf("soak-end"), Math.Max(1, (int)Math.Round(soak.TotalMinutes)), "minute of soak", top: 25);
        }

        // The same measure for the Overview ("/"), the console's ordinary live page, on top of the walls: a
        // reference for what a circuit costs here, taken in the same run.
        var reference = Math.Min(10, counts.Max());
        var beforeOverview = ManagedMb();
        await browsers.AskAsync($"overview {reference}", "OVERVIEW");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var afterOverview = ManagedMb();
        Console.WriteLine($"reference: {reference} Overview pages on top: managed +{afterOverview - beforeOverview:0.0} MB ({(afterOverview - beforeOverview) * 1024 / reference:0} KB per Overview circuit)");
        return failures;
    }

    /// <summary>"LIVE 0/N" with N &gt; 0: not one wall's shown state moved.</summary>
    private static bool NoneLive(string live) => live.StartsWith("LIVE 0/", StringComparison.Ordinal) && !live.EndsWith("/0", StringComparison.Ordinal);

    /// <summary>
    /// The child: one headless Chromium driven by Playwright, told over standard input what to open
    /// (<c>open M</c>, <c>live</c>, <c>overview N</c>) and answering one line each.
    /// </summary>
    public static async Task<int> RunBrowsersAsync(string[] args)
    {
        var wallUrl = StringArg(args, "--wall");
        var overviewUrl = StringArg(args, "--overview");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            ],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 960, Height = 540 },
        });
        var pages = new List<IPage>();
        string? line;
        while ((line = await Console.In.ReadLineAsync()) is not null && line != "quit")
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "open":
                    var m = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    var clock = Stopwatch.StartNew();
                    while (pages.Count < m)
                        pages.AddRange(await Task.WhenAll(Enumerable.Range(0, Math.Min(5, m - pages.Count)).Select(_ => OpenWallAsync(context, wallUrl))));
                    Console.WriteLine($"OPENED {pages.Count} walls in {clock.Elapsed.TotalSeconds:0} s");
                    break;
                case "live":
                    Console.WriteLine($"LIVE {await CountLiveAsync(pages)}/{pages.Count}");
                    break;
                case "overview":
                    var n = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    for (var i = 0; i < n; i++)
                    {
                        var page = await context.NewPageAsync();
                        await page.GotoAsync(overviewUrl, new() { Timeout = 120_000 });
                        await page.Locator("[data-datacenter=dc1]").First.WaitForAsync(new() { Timeout = 120_000 });
                        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("Switch to (dark|light) theme") })
                            .And(page.Locator(":enabled")).WaitForAsync(new() { Timeout = 120_000 });
                    }
                    Console.WriteLine($"OVERVIEW {n}");
                    break;
                default:
                    Console.WriteLine($"ERROR unknown command '{line}'");
                    break;
            }
        }
        await context.CloseAsync();
        return 0;
    }

    /// <summary>The browser child process, one request line and one answer line at a time.</summary>
    private sealed class BrowsersChild : IAsyncDisposable
    {
        private readonly Process _process;

        private BrowsersChild(Process process) => _process = process;

        public static BrowsersChild Start(string wallUrl, string overviewUrl)
        {
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
                start.ArgumentList.Add(typeof(WallBenchmark).Assembly.Location);
            foreach (var a in new[] { BrowsersCommand, "--wall", wallUrl, "--overview", overviewUrl })
                start.ArgumentList.Add(a);
            return new BrowsersChild(Process.Start(start)!);
        }

        /// <summary>Sends a command and returns the answer line that starts with <paramref name="answer"/>; other lines are echoed.</summary>
        public async Task<string> AskAsync(string command, string answer)
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith(answer, StringComparison.Ordinal))
                    return line;
                Console.WriteLine($"  browsers: {line}");
            }
            throw new InvalidOperationException($"the browser process exited ({(_process.HasExited ? _process.ExitCode : -1)}) before answering '{command}'");
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (Exception) when (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }

    private static async Task<IPage> OpenWallAsync(IBrowserContext context, string url)
    {
        var page = await context.NewPageAsync();
        // Generous: on a shared 2-core machine a page load can take tens of seconds.
        await page.GotoAsync(url, new() { Timeout = 120_000 });
        // Interactive once the clock has moved past the prerendered value.
        var first = await page.GetByTestId("wall").GetAttributeAsync("data-asof", new() { Timeout = 120_000 });
        await page.WaitForFunctionAsync("a => document.querySelector('[data-testid=wall]')?.getAttribute('data-asof') !== a", first, new() { Timeout = 120_000 });
        return page;
    }

    /// <summary>Pages whose shown state moved within the last few seconds: circuits alive and rendering.</summary>
    private static async Task<int> CountLiveAsync(IReadOnlyList<IPage> pages)
    {
        var before = await Task.WhenAll(pages.Select(p => p.GetByTestId("wall").GetAttributeAsync("data-asof")));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = await Task.WhenAll(pages.Select(p => p.GetByTestId("wall").GetAttributeAsync("data-asof")));
        return before.Zip(after).Count(p => p.First != p.Second);
    }

    // ---- the console, the change stream, measurements --------------------------------------------------------

    /// <summary>
    /// Toggles a lab gateway instance down or up every <paramref name="period"/>. With fall = rise = 1 each toggle is
    /// seen at the next probe; the engine then publishes twice (the instance, then its datacenter's state a probe
    /// later), so a toggle every 2 s makes about one hub message a second.
    /// </summary>
    private static async Task FlapAsync(HttpClient http, TimeSpan period, CancellationToken cancellationToken)
    {
        var down = false;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                down = !down;
                using var response = await http.PostAsJsonAsync("/api/lab/faults", new { target = FlapTarget, action = down ? "down" : "up" }, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task WaitForAllUpAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var estate = await http.GetFromJsonAsync<JsonElement>("/api/estate");
            var components = estate.Components().ToList();
            if (components.Count >= 16 && components.All(c => c.State == "Up"))
                return;
            await Task.Delay(200);
        }
        throw new TimeoutException("the lab estate did not come up");
    }

    private static async Task<double> MeasureCpuAsync(TimeSpan window)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        process.Refresh();
        return (process.TotalProcessorTime - cpu) / clock.Elapsed * 100;
    }

    private static double ManagedMb()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
    }

    private static double WorkingSetMb()
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / 1024.0 / 1024.0;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string StringArg(string[] args, string name) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");

    private static int IntArg(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static double DoubleArg(string[] args, string name, double fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static IReadOnlyList<int> ListArg(string[] args, string name, int[] fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v
            ? v.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList()
            : fallback;

    /// <summary>The console with its embedded lab on Kestrel at 127.0.0.1 (real sockets, for 1,000 clients and a browser).</summary>
    private sealed class WallConsole : WebApplicationFactory<Program>
    {
        private readonly string _data = Directory.CreateTempSubdirectory("apimconsole-wall-bench-").FullName;
        private readonly string _token;
        private readonly bool _smallBuffers;

        public WallConsole(string token, bool smallBuffers)
        {
            _token = token;
            _smallBuffers = smallBuffers;
            UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        }

        public Uri Start()
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("Lab:Enabled", "true");
            builder.UseSetting("Lab:TrafficRatePerSecond", "20");
            // No trace files: the walls show no logs, and the console's log tail (100,000 lines) would fill for the
            // whole run, growing the heap by far more than a wall costs.
            builder.UseSetting("Lab:WriteTraceFiles", "false");
            if (_smallBuffers)
            {
                // As the soak's --small-buffers: what traffic fills is full within the first minutes, so growth is the walls'.
                builder.UseSetting("Traffic:RecentTransactions", "2000");
                builder.UseSetting("Lab:TransactionsPerInstance", "200");
                builder.UseSetting("Lab:TraceLinesPerInstance", "1000");
            }
            builder.UseSetting("Storage:SqlitePath", Path.Combine(_data, "console.db"));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Auth:BootstrapAdminToken", _token);
            // One probe decides: each flap of the lab instance is one change, so the hub has one to send each second.
            builder.UseSetting("Probes:Fall", "1");
            builder.UseSetting("Probes:Rise", "1");
            builder.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            try
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
