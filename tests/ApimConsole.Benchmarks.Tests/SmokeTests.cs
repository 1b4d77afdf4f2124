namespace ApimConsole.Benchmarks.Tests;

// One test per command of the benchmark runner (Program.cs), each in a class of its own so that xunit starts them
// together; BenchmarkProcess lets four run at once. The parameters are the smallest that still exercise every part
// of a command and let its own checks fail: a soak longer than its gap bound, a race long enough to turn Block.
// Numbers from these runs mean nothing (a loaded machine, tiny sizes): only the exit code and the result lines count.

internal static class Smoke
{
    /// <summary>Far more than any run needs on a quiet machine: a bound for a hung run, not a performance claim.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
}

public sealed class FaultDetectionSmokeTest
{
    [Fact]
    public async Task FaultDetection_TwoFaultsAndAShortSoak_ReachTheHubClient_WhichStaysAlive()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "fault-detection", "--faults", "2", "--soak-minutes", "0.2");
        BenchmarkAssert.Succeeded(run,
            @"^fault -> hub client, n=2: p50=\d+ ms",
            @"^hub client during detection: \d+ messages .* connection open throughout",
            @"^soak: \d+ snapshots received, false non-Up states: 0",
            @"^soak: hub client alive: [1-9]\d* messages .* connection open throughout; heartbeats sent [1-9]\d*, heartbeat state changes seen [1-9]");
    }
}

public sealed class TrafficSmokeTest
{
    [Fact]
    public async Task Traffic_CollectionAndViews_ReportBothAndTheStoreReadsBackWhatWasWritten()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "traffic", "--rate", "20", "--polls", "2", "--fill-seconds", "2",
            "--interval-seconds", "1", "--days", "0.01", "--builds", "3");
        BenchmarkAssert.Succeeded(run,
            @"^  incremental: per DC poll p50 ",
            @"^  baseline \(re-read 10 min\): per DC poll p50 ",
            @"^  5-day view .* median [\d.]+ ms over 3 builds",
            @"^  baseline, series from the ",
            @"^  SQLite: .* cells written",
            @"^  check: the view from the reloaded history counts (\S+) requests, the generated history \1\r?$");
    }
}

public sealed class DeploymentRaceSmokeTest
{
    [Fact]
    public async Task DeploymentRace_FifteenSeconds_PushesAndTurnsBlock_AndNoPushLandsWhileBlocked()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "deployment-race", "--minutes", "0.25", "--submitters", "2", "--load-seconds", "0.3");
        BenchmarkAssert.Succeeded(run,
            @"^duration \d+ s, link flaps \(down\+up\) \d+, block intervals \(per kind and DC\) [1-9]",
            @"^pushes received by the lab [1-9]",
            @"^pushes while the console's state for that kind and datacenter was Block: 0\r?$",
            @"^agreement \(loads of 0\.3 s\): [1-9]\d* of \d+ instance records agree with the lab; 0 disagree; 0 still unknown\r?$");
    }
}

public sealed class LogsSmokeTest
{
    [Fact]
    public async Task Logs_SearchAgreesWithGrep_AndTheTailReads()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "logs", "--gb", "0.002", "--rounds", "1", "--rates", "1000",
            "--step-seconds", "1", "--poll-ms", "250");
        BenchmarkAssert.Succeeded(run,
            @"^  grep -F -r: best [\d.]+ s .* 25 matching lines",
            @"^  ripgrep -F .* 25 matching lines; CPU best [\d.]+ s",
            @"^  TraceLogSearch, 1 file\(s\) at a time: best .* 25 hits; .* CPU best [\d.]+ s",
            @"^  TraceLogSearch, 2 file\(s\) at a time: best .* 25 hits; .* CPU best [\d.]+ s",
            @"^\s+1[,.\u00a0 ]?000 \|\s+[\d,.\u00a0 ]+ \|");
    }
}

public sealed class SoakSmokeTest
{
    [Fact]
    public async Task Soak_TwelveSeconds_MissesNothing_ReportsNothingFalse_RecordsAgreeWithTheFaultLog_AndItsPollerStaysAlive()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "soak", "--minutes", "0.2");
        BenchmarkAssert.Succeeded(run,
            @"^soak: poller alive: [1-9]\d* polls",
            @"^soak: missed scenarios: 0; false scenarios \(polls showing a scenario no fault explains\): 0; scenarios after heal: 0",
            @"^soak: records: (\d+) fault intervals >= 6 s, \1 recorded as an incident of the right kind, 0 missing, 0 split; \d+ incidents stored, 0 no fault explains, 0 open after heal",
            @"^memory, \d+ samples: managed ");
    }
}

public sealed class WallSmokeTest
{
    [Fact]
    public async Task Wall_ThreeSubscribersAndTwoWalls_AllLive_WithAHeapCensus()
    {
        // --heap-census also runs the runner's heap-dump command (a child dumping this process) and reads the dumps with
        // ClrMD, the part most likely to break with a runtime upgrade. wall-subscribers and wall-browsers are run by wall.
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "wall", "--subscribers", "3", "--seconds", "4", "--circuits", "2",
            "--soak-minutes", "0", "--cpu-seconds", "1", "--drift-seconds", "1", "--heap-census");
        BenchmarkAssert.Succeeded(run,
            @"^baseline, no clients: server CPU ",
            @"^  n=3: LIVENESS ok: ",
            @"^subscribers n=3: [1-9]\d* deliveries in 4 s .* still connected 3/3",
            @"^circuits m=2: OPENED 2 walls .*LIVE [12]/2",
            @"^heap census: reachable [\d.]+ -> [\d.]+ MB",
            @"^reference: 2 Overview pages on top");
    }
}

public sealed class ScaleSmokeTest
{
    [Fact]
    public async Task Scale_SmallestSize_IdleAndProbingRows()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "scale", "--seconds", "2", "--warmup", "1", "--sizes", "1:1");
        BenchmarkAssert.Succeeded(run,
            @"^\| Instances per DC \| Cassandra per DC \| Components \|",
            @"^\| idle: 2 \| 1 \| 8 \| 0 \|",
            @"^\| 2 \| 1 \| 8 \| [1-9]\d* \|");
    }
}

public sealed class LinkCutSmokeTest
{
    [Fact]
    public async Task LinkCut_TwoCutsPerWitnessSetting_NamedRightly_AndAShortLossySoak_WithNoFalseScenario()
    {
        var run = await BenchmarkProcess.RunAsync(Smoke.Timeout, "link-cut", "--cuts", "2", "--soak-minutes", "0.1");
        BenchmarkAssert.Succeeded(run,
            @"^with the peer witness: hub client during the cuts: [1-9]\d* messages .* connection open throughout; named wrongly: 0",
            @"^load balancer witness only: hub client during the cuts: [1-9]\d* messages .* connection open throughout; named wrongly: 0",
            @"^link cut -> InterDatacenterLinkDown at the hub client, with the peer witness, n=2: p50=\d+ ms p95=\d+ ms max=\d+ ms",
            @"^link cut -> InterDatacenterLinkDown at the hub client, load balancer witness only, n=2: p50=\d+ ms p95=\d+ ms max=\d+ ms",
            @"^goal p95 <= 1500 ms with the peer: (met|NOT met) \(p95 \d+ ms\)",
            @"^soak: \d+ snapshots received, false scenarios: 0\r?$",
            @"^soak: the peer paths forwarded [1-9]\d* requests",
            @"^soak: hub client alive: [1-9]\d* messages .* connection open throughout; heartbeats sent [1-9]\d*, heartbeat state changes seen [1-9]");
    }
}
