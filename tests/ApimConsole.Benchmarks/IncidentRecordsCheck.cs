using System.Text.Json;

namespace ApimConsole.Benchmarks;

/// <summary>
/// The soak's records check: the incidents the console stored (<c>GET /api/incidents</c>, one per outage) against the
/// lab's own fault log. Every fault interval of at least the detection window is one incident of the right kind (its
/// own, or the outage that covers it: the datacenter's, the link's, the quorum's), no fault interval is split into two
/// incidents of its own kind, and every stored incident is explained by a fault in force when it started.
/// </summary>
internal static class IncidentRecordsCheck
{
    internal sealed record StoredIncident(long Id, string Key, string Kind, DateTimeOffset Started, DateTimeOffset? Ended);

    internal sealed record Result(int LongFaults, int Recorded, IReadOnlyList<string> Missing, IReadOnlyList<string> Split,
        int Stored, IReadOnlyList<string> Unexplained, IReadOnlyList<string> StillOpen)
    {
        public bool Ok => Missing.Count == 0 && Split.Count == 0 && Unexplained.Count == 0 && StillOpen.Count == 0;
    }

    /// <summary>A clock's worth of slack between the lab's fault log and the console's first notice (same machine, two clocks read).</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<StoredIncident> Read(JsonElement body, DateTimeOffset from) =>
        body.GetProperty("incidents").EnumerateArray()
            .Select(i => new StoredIncident(i.GetProperty("id").GetInt64(), i.GetProperty("key").GetString()!, i.GetProperty("kind").GetString()!,
                i.GetProperty("startedAt").GetDateTimeOffset(),
                i.GetProperty("endedAt").ValueKind == JsonValueKind.Null ? null : i.GetProperty("endedAt").GetDateTimeOffset()))
            .Where(i => i.Started >= from - Slack)
            .ToList();

    /// <param name="faults">The lab's fault intervals: target, start, end.</param>
    /// <param name="reports">Whether an incident key is what a fault on a target should be recorded as (its own or a covering outage).</param>
    /// <param name="explains">Whether a fault on a target explains an incident key.</param>
    public static Result Check(IReadOnlyList<(string Target, DateTimeOffset Start, DateTimeOffset End)> faults, IReadOnlyList<StoredIncident> incidents,
        TimeSpan window, TimeSpan tolerance, Func<string, string, bool> reports, Func<string, string, bool> explains)
    {
        var missing = new List<string>();
        var split = new List<string>();
        var recorded = 0;
        var longFaults = faults.Where(f => f.End - f.Start >= window).ToList();
        foreach (var f in longFaults)
        {
            var overlapping = incidents.Where(i => i.Started <= f.End + tolerance && (i.Ended ?? DateTimeOffset.MaxValue) >= f.Start - Slack).ToList();
            var matching = overlapping.Where(i => reports(i.Key, f.Target) && RightKind(i, f.Target)).ToList();
            var label = $"{f.Target} down {f.Start:HH:mm:ss.f}-{f.End:HH:mm:ss.f} ({(f.End - f.Start).TotalSeconds:0.0} s)";
            if (matching.Count == 0)
            {
                missing.Add($"{label}; incidents overlapping: {string.Join(", ", overlapping.Select(Describe).DefaultIfEmpty("none"))}");
                continue;
            }
            recorded++;
            var own = matching.Where(i => IsOwn(i.Key, f.Target)).ToList();
            if (own.Count > 1)
                split.Add($"{label} -> {string.Join(", ", own.Select(Describe))}");
        }

        var unexplained = incidents
            .Where(i => !faults.Any(f => f.Start - Slack <= i.Started && i.Started <= f.End + tolerance && explains(i.Key, f.Target)))
            .Select(i => $"{Describe(i)} (faults within 10 s: {string.Join(", ", faults.Where(f => f.Start <= i.Started.AddSeconds(10) && f.End >= i.Started.AddSeconds(-10)).Select(f => $"{f.Target} {f.Start:HH:mm:ss.f}-{f.End:HH:mm:ss.f}").DefaultIfEmpty("none"))})")
            .ToList();
        var open = incidents.Where(i => i.Ended is null).Select(Describe).ToList();
        return new Result(longFaults.Count, recorded, missing, split, incidents.Count, unexplained, open);
    }

    /// <summary>A datacenter's outage must end as "down", the link's as "link down": "unreachable" is the deciding stretch, not a verdict.</summary>
    private static bool RightKind(StoredIncident incident, string target) => target switch
    {
        "link" => incident.Kind == "InterDatacenterLinkDown",
        _ when !target.Contains('/') => incident.Kind == "DatacenterDown",
        _ => true,
    };

    private static bool IsOwn(string key, string target) =>
        target == "link" ? key == "InterDatacenterLinkDown" : key.EndsWith(":" + target, StringComparison.Ordinal);

    private static string Describe(StoredIncident i) =>
        $"#{i.Id} {i.Key} {i.Started:HH:mm:ss.f}-{(i.Ended is { } e ? e.ToString("HH:mm:ss.f") : "open")}";

    public static void Print(Result r, TimeSpan window)
    {
        Console.WriteLine($"soak: records: {r.LongFaults} fault intervals >= {window.TotalSeconds:0.#} s, {r.Recorded} recorded as an incident of the right kind, "
            + $"{r.Missing.Count} missing, {r.Split.Count} split; {r.Stored} incidents stored, {r.Unexplained.Count} no fault explains, {r.StillOpen.Count} open after heal");
        foreach (var line in r.Missing.Take(20))
            Console.WriteLine("  not recorded: " + line);
        foreach (var line in r.Split.Take(20))
            Console.WriteLine("  split:        " + line);
        foreach (var line in r.Unexplained.Take(20))
            Console.WriteLine("  unexplained:  " + line);
        foreach (var line in r.StillOpen.Take(20))
            Console.WriteLine("  still open:   " + line);
        if (!r.Ok)
            Console.Error.WriteLine("FAIL: the stored incidents do not agree with the lab's fault log (see the lines above)");
    }
}
