using ApimConsole.Lab;
using ApimConsole.Web.Guardrails;
using Microsoft.Extensions.DependencyInjection;

namespace ApimConsole.Benchmarks;

/// <summary>
/// The deployment race, long: the inter-DC link flapped at random (50 ms to 4 s) while deployments of both kinds are
/// submitted; then every push the lab received is checked against the console's guardrail history.
/// </summary>
internal static class DeploymentRaceBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = DoubleArg(args, "--minutes", 3);
        var submitters = (int)DoubleArg(args, "--submitters", 4);
        var seed = (int)DoubleArg(args, "--seed", 11);
        var slow = !args.Contains("--fast-pushes");

        await using var console = new BenchmarkConsole(new Dictionary<string, string>
        {
            ["Lab:TrafficRatePerSecond"] = "0",
            ["Lab:SlowDelay"] = "00:00:00.300",
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

        Console.WriteLine($"deployment race: {minutes} min, {submitters} submitters, seed {seed}, pushes {(slow ? "slow (300 ms each)" : "at loopback speed")}");
        var result = await DeploymentRace.RunAsync(console, TimeSpan.FromMinutes(minutes), submitters, seed, slow, Console.WriteLine);
        Console.WriteLine(result.Describe());
        foreach (var v in result.PushesWhileBlocked)
            Console.WriteLine($"VIOLATION {v}");
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
        return result.PushesWhileBlocked.Count == 0 && vacuous.Count == 0 ? 0 : 1;
    }

    private static double DoubleArg(string[] args, string name, double fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
