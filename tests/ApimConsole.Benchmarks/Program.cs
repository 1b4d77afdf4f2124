namespace ApimConsole.Benchmarks;

/// <summary>A benchmark runner, not a test: each benchmark prints its method and numbers for BENCHMARKS.md.</summary>
public static class BenchmarkRunner
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RunAsync(args);
        }
        catch (Exception ex)
        {
            // A benchmark that cannot finish says why in one line (the trace follows) and exits non-zero.
            Console.Out.Flush();
            Console.Error.WriteLine($"FAIL: {args.FirstOrDefault()} stopped: {ex.GetType().Name}: {ex.Message}");
            Console.Error.WriteLine(ex);
            return 1;
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var name = args.FirstOrDefault();
        return name switch
        {
            "fault-detection" => await FaultDetectionBenchmark.RunAsync(args.Skip(1).ToArray()),
            "traffic" => await TrafficBenchmark.RunAsync(args.Skip(1).ToArray()),
            "deployment-race" => await DeploymentRaceBenchmark.RunAsync(args.Skip(1).ToArray()),
            "logs" => await LogsBenchmark.RunAsync(args.Skip(1).ToArray()),
            "soak" => await SoakBenchmark.RunAsync(args.Skip(1).ToArray()),
            "wall" => await WallBenchmark.RunAsync(args.Skip(1).ToArray()),
            WallBenchmark.SubscribersCommand => await WallBenchmark.RunSubscribersAsync(args.Skip(1).ToArray()),
            WallBenchmark.BrowsersCommand => await WallBenchmark.RunBrowsersAsync(args.Skip(1).ToArray()),
            HeapCensus.DumpCommand => HeapCensus.RunDump(args.Skip(1).ToArray()),
            "scale" => await ScaleBenchmark.RunAsync(args.Skip(1).ToArray()),
            "link-cut" => await LinkCutBenchmark.RunAsync(args.Skip(1).ToArray()),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project tests/ApimConsole.Benchmarks -- <benchmark> [options]");
        Console.Error.WriteLine("  fault-detection [--faults N] [--drop-rate P] [--soak-minutes M] [--max-gap-seconds S]");
        Console.Error.WriteLine("  traffic [--rate R] [--polls N] [--no-store] [--views-only] [--fill-seconds S] [--interval-seconds S] [--days D] [--builds N]");
        Console.Error.WriteLine("  deployment-race [--minutes M] [--submitters N] [--seed S] [--fast-pushes]");
        Console.Error.WriteLine("  logs [--gb G] [--instances N] [--search-only|--tail-only] [--rounds N] [--rates 1000,5000,...] [--step-seconds S] [--poll-ms P]");
        Console.Error.WriteLine("  soak [--minutes M] [--seed S] [--max-faults N] [--traffic-rate R] [--max-gap-seconds S] [--heap-census] [--small-buffers]");
        Console.Error.WriteLine("  wall [--subscribers 100,500,1000] [--seconds S] [--circuits 10,25,50] [--soak-minutes M] [--flap-ms T] [--max-gap-seconds S] [--cpu-seconds S] [--drift-seconds S] [--skip-hub] [--skip-circuits] [--heap-census] [--small-buffers]");
        Console.Error.WriteLine("  scale [--seconds S] [--warmup W] [--sizes 2:3,12:10,50:30]");
        Console.Error.WriteLine("  link-cut [--cuts N] [--soak-minutes M] [--drop-rate P] [--peer-loss-rate P] [--max-gap-seconds S] [--seed S]");
        return 2;
    }
}
