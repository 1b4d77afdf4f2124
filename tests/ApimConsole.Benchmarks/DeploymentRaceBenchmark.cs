using System.Globalization;
using ApimConsole.Lab;
using ApimConsole.Web.Guardrails;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Benchmarks;

/// <summary>
/// The deployment race, long: the inter-DC link flapped at random (50 ms to 4 s) while deployments of both kinds are
/// submitted, once per load time (<c>--load-seconds 0.3,5,30</c>: how long the lab's instances take to load an archive,
/// <c>Lab:PushDelay</c>); then every push the lab received is checked against the console's guardrail history (none
/// started under Block; every one carried out under Block was named on the turn), and the console's record of each
/// instance against the lab's own record of loads (they must agree).
/// </summary>
internal static class DeploymentRaceBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = DoubleArg(args, "--minutes", 3);
        var submitters = (int)DoubleArg(args, "--submitters", 4);
        var seed = (int)DoubleArg(args, "--seed", 11);
        var slow = args.Contains("--slow-calls");
        var loads = ListArg(args, "--load-seconds", [0.3, 5, 30]);
        if (loads.Any(l => l < 0 || l > 300))
        {
            Console.Error.WriteLine("--load-seconds takes load times from 0 to 300 s, e.g. 0.3,5,30.");
            return 2;
        }

        var failed = false;
        foreach (var load in loads)
            failed |= await RunOneAsync(minutes, submitters, seed, slow, TimeSpan.FromSeconds(load)) != 0;
        return failed ? 1 : 0;
    }

    private static async Task<int> RunOneAsync(double minutes, int submitters, int seed, bool slow, TimeSpan load)
    {
        // An instance may take the load time to answer; the console waits that long and twice more before it calls a silent load not loaded.
        var pushTimeout = TimeSpan.FromSeconds(Math.Max(20, load.TotalSeconds * 3));
        await using var console = new BenchmarkConsole(new Dictionary<string, string>
        {
            ["Lab:TrafficRatePerSecond"] = "0",
            ["Lab:SlowDelay"] = "00:00:00.300",
            ["Lab:PushDelay"] = load.ToString("c", CultureInfo.InvariantCulture),
            ["Deployments:PushTimeout"] = pushTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Deployments:LearnInterval"] = "00:00:01",
            // The test server cannot apply the upload's body size limit and says so on every request.
            ["Logging:LogLevel:Microsoft.AspNetCore.Routing"] = "Error",
        });
        // Both records on one clock: the lab stamps pushes and the guardrail its history with this process's wall clock.
        if (!ReferenceEquals(console.Services.GetRequiredService<LabEstate>().Time, TimeProvider.System)
            || !ReferenceEquals(console.Services.GetRequiredService<TimeProvider>(), TimeProvider.System))
        {
            Console.Error.WriteLine("The lab and the console do not share the system clock: their records cannot be compared.");
            return 1;
        }

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(await console.EstateAsync()).Components().All(c => c.State == "Up")
               || !(await console.EstateAsync()).GetProperty("datacenters").EnumerateArray().All(d => d.GetProperty("groups").GetArrayLength() == 2))
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine("The lab estate never came up.");
                return 1;
            }
            await Task.Delay(200);
        }
        await Task.Delay(TimeSpan.FromSeconds(2)); // the guardrail's first all-up evaluation

        Console.WriteLine($"deployment race: loads of {load.TotalSeconds:0.###} s, {minutes} min, {submitters} submitters, seed {seed}, routed calls {(slow ? "slow (300 ms each)" : "at loopback speed")}");
        var result = await DeploymentRace.RunAsync(console, TimeSpan.FromMinutes(minutes), submitters, seed, slow, Console.WriteLine, learnWithin: pushTimeout + TimeSpan.FromSeconds(30));
        Console.WriteLine(result.Describe());
        foreach (var v in result.PushesWhileBlocked)
            Console.WriteLine($"VIOLATION {v}");
        foreach (var m in result.Mismatches)
            Console.WriteLine($"FAIL: record and lab disagree on {m.DatacenterId}/{m.InstanceId} for {m.ArchiveId}: the console says {m.Console}, the lab {m.Lab}");
        Console.WriteLine($"agreement (loads of {load.TotalSeconds:0.###} s): {result.RecordsAgreeing} of {result.RecordsCompared} instance records agree with the lab; {result.Mismatches.Count} disagree; {result.StillUnknown} still unknown");
        Console.WriteLine($"history starts {result.HistoryStarts:O}, first push {result.FirstPush:O}; permits in flight at the end {console.Services.GetRequiredService<GuardrailService>().PermitsInFlight}");
        // "0 pushes while blocked" proves nothing if nothing was pushed, or if the console never turned Block: say so and fail.
        var vacuous = new List<string>();
        if (result.PushesReceived == 0)
            vacuous.Add("the lab received no push");
        if (result.BlockIntervals == 0)
            vacuous.Add("the console never turned Block (no link flap lasted long enough to be seen)");
        if (!(result.HistoryStarts < result.FirstPush))
            vacuous.Add($"the guardrail history starts {result.HistoryStarts:O}, not before the first push {result.FirstPush:O}");
        foreach (var reason in vacuous)
            Console.Error.WriteLine($"FAIL: {reason}: the count of pushes while blocked proves nothing");
        foreach (var v in result.PushesWhileBlocked)
            Console.Error.WriteLine($"FAIL: {v.What}: {v.Push}");
        return result.PushesWhileBlocked.Count == 0 && vacuous.Count == 0 && result.Mismatches.Count == 0 ? 0 : 1;
    }

    private static double DoubleArg(string[] args, string name, double fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static IReadOnlyList<double> ListArg(string[] args, string name, double[] fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length
            ? args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList()
            : fallback;
    }
}
