using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ApimConsole.Benchmarks;

/// <summary>One push the lab received (<see cref="ReceivedAt"/>) and carried out (<see cref="Time"/>), as its own record (<c>GET /api/lab/deployments</c>) gives it.</summary>
internal sealed record RacePush(DateTimeOffset ReceivedAt, DateTimeOffset Time, string DatacenterId, string GroupId, string InstanceId, string ArchiveId, string Outcome);

/// <summary>
/// A push against the console's published Block for its kind and datacenter: one that the lab received (so that
/// started) under Block, or one carried out under Block that no turn named as in flight.
/// </summary>
internal sealed record RaceViolation(RacePush Push, string Kind, DateTimeOffset BlockedFrom, DateTimeOffset? BlockedUntil, string What);

/// <summary>An instance where the console's record and the lab's record of loads disagree.</summary>
internal sealed record RaceMismatch(string ArchiveId, string DatacenterId, string InstanceId, string Console, string Lab);

/// <summary>What a race run did and what the lab's record proves.</summary>
internal sealed record RaceResult(
    TimeSpan Duration,
    int Attempts,
    int Accepted,
    int RefusedAtRequest,
    int RejectedOtherwise,
    int LinkFlaps,
    int FullyPushed,
    int PartiallyPushed,
    int StoppedOrFailedWithNothing,
    int StoppedByGuardrail,
    IReadOnlyDictionary<string, int> States,
    int PushesReceived,
    int PushesLoaded,
    int BlockIntervals,
    TimeSpan TimeBlocked,
    IReadOnlyList<RaceViolation> PushesWhileBlocked,
    int PushesWhileBannerBlocked,
    int UnmatchedPushes,
    long PermitsRevoked,
    long TurnsWaited,
    DateTimeOffset HistoryStarts,
    DateTimeOffset FirstPush,
    int LoadsNamedInFlight,
    int RecordsCompared,
    int RecordsAgreeing,
    int StillUnknown,
    IReadOnlyList<RaceMismatch> Mismatches)
{
    public string Describe() =>
        $"""
        duration {Duration.TotalSeconds:0} s, link flaps (down+up) {LinkFlaps}, block intervals (per kind and DC) {BlockIntervals}, time blocked (summed) {TimeBlocked.TotalSeconds:0.0} s
        attempts {Attempts}: accepted {Accepted}, refused at the request (423) {RefusedAtRequest}, rejected otherwise {RejectedOtherwise}
        accepted deployments: fully pushed {FullyPushed}, partially pushed {PartiallyPushed}, nothing pushed {StoppedOrFailedWithNothing}; stopped by the guardrail {StoppedByGuardrail}; states {string.Join(", ", States.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}
        pushes received by the lab {PushesReceived} (loaded {PushesLoaded}); turns that waited for a push in flight {TurnsWaited}; permits revoked {PermitsRevoked}; pushes not matched to a deployment {UnmatchedPushes}
        pushes while the console's state for that kind and datacenter was Block: {PushesWhileBlocked.Count}
        pushes while the banner (that kind, to every datacenter) was Block: {PushesWhileBannerBlocked}
        loads carried out under Block that a turn named as in flight: {LoadsNamedInFlight}
        records compared with the lab's (instances sent a load): {RecordsCompared}, agreeing {RecordsAgreeing}, disagreeing {Mismatches.Count}, still unknown {StillUnknown}
        """;
}

/// <summary>
/// The race: a driver flaps the inter-DC link (down and up at random intervals, from 50 ms to a few seconds) while
/// submitters post deployments of both kinds (with <c>confirmWarnings=true</c>) to the real console; then it heals,
/// waits for every deployment to finish, and checks every push the lab received against the console's guardrail
/// history (<c>GET /api/guardrails/history</c>). Used by the test suite (short) and the benchmark runner (long).
/// </summary>
internal static class DeploymentRace
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The lab's gateway instances, all made <c>slow</c> when asked, so that pushes are long in flight.</summary>
    private static readonly string[] Instances =
        ["dc1/instance-1", "dc1/instance-2", "dc1/instance-3", "dc1/instance-4", "dc2/instance-1", "dc2/instance-2", "dc2/instance-3", "dc2/instance-4"];

    /// <param name="slowPushes">
    /// Put every gateway instance in the lab's <c>slow</c> mode (each routed call, so each push, answers after the lab's
    /// <c>Lab:SlowDelay</c>): a push is then in flight most of the time, so turns of the guardrail land on pushes in
    /// flight instead of between them. Keep <c>Lab:SlowDelay</c> under the guardrail's turn bound (2 s).
    /// </param>
    /// <param name="learnWithin">How long, after the run, the console may take to learn the loads it records as unknown.</param>
    public static async Task<RaceResult> RunAsync(WebApplicationFactory<Program> console, TimeSpan duration, int submitters, int seed, bool slowPushes, Action<string>? log = null,
        TimeSpan? learnWithin = null)
    {
        var started = Stopwatch.GetTimestamp();
        // The executor runs deployments one at a time, so one waits behind the other submitters' (each up to its loads
        // plus the time to learn them): with 30 s loads that is minutes. A bound, not an expectation.
        var finishBound = TimeSpan.FromMinutes(2) + submitters * (learnWithin ?? TimeSpan.Zero);
        // Loads from before this run (another test on the same lab) are not this run's to judge.
        var runStart = DateTimeOffset.UtcNow;
        if (slowPushes)
        {
            using var client = console.CreateClient();
            foreach (var instance in Instances)
                (await client.PostAsJsonAsync("/api/lab/faults", new { target = instance, action = "slow" })).EnsureSuccessStatusCode();
        }
        using var stop = new CancellationTokenSource(duration);
        var flaps = 0;
        var attempts = 0;
        var refusedAtRequest = 0;
        var rejectedOtherwise = 0;
        var accepted = new List<long>();
        var gate = new Lock();

        var flapper = Task.Run(async () =>
        {
            var random = new Random(seed);
            using var client = console.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                await FaultAsync(client, "down");
                await PauseAsync(random, stop.Token);
                await FaultAsync(client, "up");
                Interlocked.Increment(ref flaps);
                await PauseAsync(random, stop.Token);
            }
        });

        var submitting = Enumerable.Range(0, submitters).Select(n => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + n);
            using var client = console.CreateClient();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var kind = (n + i) % 2 == 0 ? "GatewayConfiguration" : "KpsTableStructure";
                var group = random.Next(2) == 0 ? "group-2" : "group-3";
                using var form = Form(kind, group, $"race {seed}/{n}/{i} {Guid.NewGuid()}");
                Interlocked.Increment(ref attempts);
                using var response = await client.PostAsync("/api/deployments", form);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                    lock (gate)
                        accepted.Add(id);
                    // One deployment of this submitter at a time: the executor runs them one by one anyway.
                    await WaitForFinishAsync(client, id, finishBound);
                }
                else if (response.StatusCode == HttpStatusCode.Locked)
                {
                    Interlocked.Increment(ref refusedAtRequest);
                }
                else
                {
                    Interlocked.Increment(ref rejectedOtherwise);
                    log?.Invoke($"deployment refused with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
                await Task.Delay(random.Next(10, 150));
            }
        })).ToList();

        await flapper;
        using (var client = console.CreateClient())
            await FaultAsync(client, "up");
        await Task.WhenAll(submitting);
        using (var client = console.CreateClient())
            (await client.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();

        using var reader = console.CreateClient();
        var deployments = new List<JsonElement>();
        foreach (var id in accepted)
            deployments.Add(await WaitForFinishAsync(reader, id, finishBound));
        // Loads the console could not learn at once (the ANM unreachable, or no answer) it keeps asking about: give it time.
        var learnDeadline = DateTime.UtcNow + (learnWithin ?? TimeSpan.FromMinutes(3));
        while (deployments.Any(d => InstanceTargets(d).Any(i => i.Outcome == "Unknown")) && DateTime.UtcNow < learnDeadline)
        {
            await Task.Delay(500);
            for (var n = 0; n < deployments.Count; n++)
            {
                if (InstanceTargets(deployments[n]).Any(i => i.Outcome == "Unknown"))
                    deployments[n] = await reader.GetFromJsonAsync<JsonElement>($"/api/deployments/{deployments[n].GetProperty("id").GetInt64()}");
            }
        }

        var lab = await reader.GetFromJsonAsync<JsonElement>("/api/lab/deployments");
        var pushes = lab.GetProperty("pushes").Deserialize<List<RacePush>>(Json)!.Where(p => p.ReceivedAt >= runStart).ToList();
        var history = await reader.GetFromJsonAsync<JsonElement>("/api/guardrails/history");
        var transitions = history.GetProperty("transitions").EnumerateArray()
            .Select(t => (At: t.GetProperty("at").GetDateTimeOffset(), Kind: t.GetProperty("kind").GetString()!,
                Dc: t.GetProperty("datacenterId").ValueKind == JsonValueKind.Null ? null : t.GetProperty("datacenterId").GetString(),
                Decision: t.GetProperty("decision").GetString()!,
                InFlight: t.TryGetProperty("inFlight", out var f) && f.ValueKind == JsonValueKind.Array ? f.EnumerateArray().Select(c => c.GetString()!).ToList() : []))
            .ToList();

        // Which kind each archive was deployed as: every deployment's content is unique, so is its archive id.
        var kindOfArchive = new Dictionary<string, string>();
        foreach (var d in deployments)
        {
            var kind = d.GetProperty("kind").GetString()!;
            foreach (var dc in d.GetProperty("datacenters").EnumerateArray())
            {
                foreach (var archive in dc.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("archiveId")).Append(dc.GetProperty("archiveId")))
                {
                    if (archive.ValueKind == JsonValueKind.String)
                        kindOfArchive[archive.GetString()!] = kind;
                }
            }
        }

        var blocked = BlockIntervals(transitions.Where(t => t.Dc is not null).Select(t => (t.At, t.Kind, t.Dc, t.Decision)));
        var bannerBlocked = BlockIntervals(transitions.Where(t => t.Dc is null).Select(t => (t.At, t.Kind, t.Dc, t.Decision)));
        var namedInFlight = 0;
        var violations = new List<RaceViolation>();
        var bannerViolations = 0;
        var unmatched = 0;
        foreach (var push in pushes)
        {
            // A push of an archive no deployment reports is checked against both kinds (the stricter reading).
            var kinds = kindOfArchive.TryGetValue(push.ArchiveId, out var k) ? new[] { k } : new[] { "GatewayConfiguration", "KpsTableStructure" };
            if (kinds.Length > 1)
                unmatched++;
            foreach (var kind in kinds)
            {
                // The intervals are value tuples: FirstOrDefault would answer an empty one, so search for an index.
                var intervals = blocked.GetValueOrDefault((kind, push.DatacenterId)) ?? [];
                var startedUnder = intervals.FindIndex(b => Inside(push.ReceivedAt, b));
                var hit = intervals.FindIndex(b => Inside(push.Time, b));
                if (startedUnder >= 0)
                {
                    violations.Add(new RaceViolation(push, kind, intervals[startedUnder].From, intervals[startedUnder].Until, "started under Block"));
                }
                else if (hit >= 0)
                {
                    // Received before Block, carried out under it: the turn that published Block must name it.
                    var call = $"load of {push.ArchiveId} on {push.DatacenterId}/{push.InstanceId}";
                    var named = transitions.Any(t => t.At == intervals[hit].From && t.Kind == kind && t.Dc == push.DatacenterId && t.InFlight.Any(c => c.StartsWith(call, StringComparison.Ordinal)));
                    if (named)
                        namedInFlight++;
                    else
                        violations.Add(new RaceViolation(push, kind, intervals[hit].From, intervals[hit].Until, "carried out under Block, not named on the turn"));
                }
                if (bannerBlocked.GetValueOrDefault((kind, (string?)null))?.Any(b => Inside(push.Time, b)) == true)
                    bannerViolations++;
            }
        }

        int Loaded(JsonElement d) => InstanceTargets(d).Count(i => i.Outcome == "Loaded");

        // The console's record of every instance it sent a load to, against the lab's record of loads.
        var labLoaded = pushes.Where(p => p.Outcome == "Loaded").Select(p => (p.ArchiveId, p.DatacenterId, p.InstanceId)).ToHashSet();
        var mismatches = new List<RaceMismatch>();
        int compared = 0, agreeing = 0, unknown = 0;
        var recordedLoaded = new HashSet<(string, string, string)>();
        foreach (var i in deployments.SelectMany(InstanceTargets).Where(i => i.ArchiveId is not null && i.Outcome is not ("NotPushed" or "Blocked" or "Pending")))
        {
            compared++;
            var key = (i.ArchiveId!, i.Dc, i.Id);
            if (i.Outcome == "Loaded")
                recordedLoaded.Add(key);
            if (i.Outcome == "Unknown")
                unknown++;
            var labSays = labLoaded.Contains(key) ? "Loaded" : pushes.FirstOrDefault(p => (p.ArchiveId, p.DatacenterId, p.InstanceId) == key)?.Outcome ?? "no load";
            if ((i.Outcome == "Loaded") == (labSays == "Loaded") && i.Outcome != "Unknown")
                agreeing++;
            else
                mismatches.Add(new RaceMismatch(key.Item1, key.Item2, key.Item3, i.Outcome, labSays));
        }
        // A load the lab carried out that no record calls Loaded is a mismatch too (even if the record never named the instance).
        foreach (var key in labLoaded.Where(k => kindOfArchive.ContainsKey(k.ArchiveId) && !recordedLoaded.Contains(k)))
        {
            if (!mismatches.Any(m => (m.ArchiveId, m.DatacenterId, m.InstanceId) == key))
                mismatches.Add(new RaceMismatch(key.ArchiveId, key.DatacenterId, key.InstanceId, "not recorded as loaded", "Loaded"));
        }
        var states = deployments.GroupBy(d => d.GetProperty("state").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        var end = DateTimeOffset.UtcNow;
        return new RaceResult(
            Stopwatch.GetElapsedTime(started),
            attempts,
            accepted.Count,
            refusedAtRequest,
            rejectedOtherwise,
            flaps,
            FullyPushed: deployments.Count(d => d.GetProperty("state").GetString() == "Succeeded"),
            PartiallyPushed: deployments.Count(d => d.GetProperty("state").GetString() != "Succeeded" && Loaded(d) > 0),
            StoppedOrFailedWithNothing: deployments.Count(d => Loaded(d) == 0),
            StoppedByGuardrail: deployments.Count(d => d.GetProperty("state").GetString() == "Stopped"),
            states,
            pushes.Count,
            pushes.Count(p => p.Outcome == "Loaded"),
            blocked.Values.Sum(v => v.Count),
            TimeSpan.FromTicks(blocked.Values.SelectMany(v => v).Sum(b => ((b.Until ?? end) - b.From).Ticks)),
            violations,
            bannerViolations,
            unmatched,
            history.GetProperty("permitsRevoked").GetInt64(),
            history.GetProperty("turnsWaited").GetInt64(),
            transitions.Count == 0 ? DateTimeOffset.MaxValue : transitions.Min(t => t.At),
            pushes.Count == 0 ? DateTimeOffset.MaxValue : pushes.Min(p => p.Time),
            namedInFlight,
            compared,
            agreeing,
            unknown,
            mismatches);
    }

    /// <summary>Every instance target of a deployment as the API gives it.</summary>
    private static IEnumerable<(string Dc, string Id, string Outcome, string? ArchiveId)> InstanceTargets(JsonElement deployment) =>
        deployment.GetProperty("datacenters").EnumerateArray().SelectMany(dc => dc.GetProperty("instances").EnumerateArray().Select(i =>
            (dc.GetProperty("id").GetString()!, i.GetProperty("id").GetString()!, i.GetProperty("outcome").GetString()!,
             i.GetProperty("archiveId").ValueKind == JsonValueKind.String ? i.GetProperty("archiveId").GetString() : null)));

    /// <summary>
    /// A push recorded at the very instant a turn was published happened before it (the lab records a push before it
    /// answers, the permit is released after the answer, the turn is published after that), so the start is exclusive.
    /// </summary>
    private static bool Inside(DateTimeOffset time, (DateTimeOffset From, DateTimeOffset? Until) interval) =>
        time > interval.From && (interval.Until is null || time < interval.Until);

    /// <summary>Per kind and datacenter, the intervals in which the published decision was Block (the last may be open).</summary>
    private static Dictionary<(string Kind, string? Dc), List<(DateTimeOffset From, DateTimeOffset? Until)>> BlockIntervals(
        IEnumerable<(DateTimeOffset At, string Kind, string? Dc, string Decision)> transitions)
    {
        var result = new Dictionary<(string, string?), List<(DateTimeOffset, DateTimeOffset?)>>();
        foreach (var series in transitions.GroupBy(t => (t.Kind, t.Dc)))
        {
            var list = new List<(DateTimeOffset, DateTimeOffset?)>();
            DateTimeOffset? from = null;
            foreach (var t in series.OrderBy(t => t.At))
            {
                if (t.Decision == "Block" && from is null)
                    from = t.At;
                else if (t.Decision != "Block" && from is { } f)
                {
                    list.Add((f, t.At));
                    from = null;
                }
            }
            if (from is { } open)
                list.Add((open, null));
            result[series.Key] = list;
        }
        return result;
    }

    /// <summary>Half the pauses short (50-300 ms: the console never sees them), half long enough (1.5-4 s) to turn it.</summary>
    private static async Task PauseAsync(Random random, CancellationToken stop)
    {
        var ms = random.Next(2) == 0 ? random.Next(50, 300) : random.Next(1500, 4000);
        try
        {
            await Task.Delay(ms, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task FaultAsync(HttpClient client, string action) =>
        (await client.PostAsJsonAsync("/api/lab/faults", new { target = "link", action })).EnsureSuccessStatusCode();

    private static async Task<JsonElement> WaitForFinishAsync(HttpClient client, long id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var last = await client.GetFromJsonAsync<JsonElement>($"/api/deployments/{id}");
            if (last.GetProperty("state").GetString() is not ("Pending" or "Running"))
                return last;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Deployment {id} did not finish within {timeout.TotalSeconds} s: {last}");
            await Task.Delay(50);
        }
    }

    private static MultipartFormDataContent Form(string kind, string group, string marker)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("configs.xml", CompressionLevel.NoCompression).Open();
            entry.Write(Encoding.UTF8.GetBytes($"<entityStore race='{marker}'/>"));
        }
        var form = new MultipartFormDataContent
        {
            { new StringContent(kind), "kind" },
            { new StringContent(group), "group" },
            { new StringContent("true"), "confirmWarnings" },
        };
        if (kind == "KpsTableStructure")
        {
            form.Add(new ByteArrayContent(buffer.ToArray()), "file", "race.pol");
            form.Add(new ByteArrayContent(EnvArchive()), "file", "race.env");
        }
        else
        {
            form.Add(new ByteArrayContent(buffer.ToArray()), "file", "race.fed");
        }
        return form;
    }

    private static byte[] EnvArchive()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("env.xml", CompressionLevel.NoCompression).Open();
            entry.Write(Encoding.UTF8.GetBytes("<env/>"));
        }
        return buffer.ToArray();
    }
}
