using System.Globalization;
using ApimConsole.Core.Estate;
using ApimConsole.Core.Guardrails;
using ApimConsole.Core.Scenarios;
using ApimConsole.Web.Guardrails;
using ApimConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ApimConsole.Web.Components.Wall;

/// <summary>
/// Everything the wall shows, read from the live services at one moment: small, immutable, rebuilt at most once a
/// second per screen and then dropped, so a screen that runs for weeks holds one of these and nothing that grows.
/// </summary>
public sealed record WallScreen(
    DateTimeOffset AsOf,
    string EstateName,
    IReadOnlyList<WallDatacenter> Datacenters,
    LinkState Link,
    /// <summary>A few words under the link's state (since when it is down, or why it cannot be judged).</summary>
    string? LinkNote,
    WallScenario? Scenario,
    int OtherScenarios,
    GuardrailDecision Guardrail,
    double SparklineMax)
{
    /// <summary>An estate state older than this is shown as stale: the console stopped hearing from its status engine.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Each datacenter's requests per second per minute of the last 10 minutes, and until when its traffic was read, by
    /// datacenter id: all a screen keeps of a traffic report.
    /// </summary>
    public static IReadOnlyDictionary<string, WallRates> Rates(TrafficReport traffic, Func<string, DateTimeOffset?> collectedUntil) =>
        traffic.Datacenters.ToDictionary(d => d.Id, d => new WallRates(d.View.Series.Points.Select(p => p.RequestsPerSecond).ToArray(), collectedUntil(d.Id)),
            StringComparer.OrdinalIgnoreCase);

    public static WallScreen Build(EstateSnapshot snapshot, GuardrailState guardrail, IReadOnlyDictionary<string, WallRates>? rates, DateTimeOffset now)
    {
        var scenarios = snapshot.Scenarios.At(now);
        var datacenters = snapshot.Datacenters.Select(dc => WallDatacenter.Of(dc, snapshot, rates?.GetValueOrDefault(dc.Id))).ToList();
        var worst = scenarios.FirstOrDefault();
        var max = datacenters.SelectMany(d => d.RequestsPerSecond).Where(r => r is not null).Select(r => r!.Value).DefaultIfEmpty(0).Max();
        return new WallScreen(snapshot.AsOf, snapshot.EstateName, datacenters, snapshot.Link.State, NoteOnLink(snapshot),
            worst is null ? null : WallScenario.Of(worst), Math.Max(0, scenarios.Count - 1), guardrail.Worst, max);
    }

    /// <summary>
    /// Under the link's state, a few words that fit its narrow column (the full reason is on the Overview): since when it
    /// is down, or why it cannot be judged.
    /// </summary>
    private static string? NoteOnLink(EstateSnapshot snapshot) => snapshot.Link.State switch
    {
        LinkState.Down => $"since {Clock(snapshot.Link.Since)}",
        LinkState.Unknown when snapshot.Datacenters.Any(d => d.State == DatacenterState.Down) => "cannot be judged while a datacenter is down",
        LinkState.Unknown => "cannot be judged from here yet",
        _ => null,
    };

    /// <summary>A time on the wall: the screen's local time, to the minute.</summary>
    public static string Clock(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);

    public bool IsStale(DateTimeOffset now) => now - AsOf > StaleAfter;

    public static string Word(DatacenterState state) => state switch
    {
        DatacenterState.Up => "UP",
        DatacenterState.Degraded => "DEGRADED",
        DatacenterState.Down => "DOWN",
        DatacenterState.Unreachable => "UNREACHABLE",
        _ => "UNKNOWN",
    };

    public static string Word(LinkState state) => state switch
    {
        LinkState.Up => "LINK UP",
        LinkState.Down => "LINK DOWN",
        _ => "LINK UNKNOWN",
    };

    /// <summary>The tone class: colour is never the only signal, each tone comes with a word and an icon.</summary>
    public static string Tone(DatacenterState state) => state switch
    {
        DatacenterState.Up => "ok",
        DatacenterState.Degraded => "warn",
        DatacenterState.Down or DatacenterState.Unreachable => "bad",
        _ => "unknown",
    };

    public static string Tone(LinkState state) => state switch
    {
        LinkState.Up => "ok",
        LinkState.Down => "bad",
        _ => "unknown",
    };

    public static string Tone(GuardrailDecision decision) => decision switch
    {
        GuardrailDecision.Block => "bad",
        GuardrailDecision.Warn => "warn",
        _ => "ok",
    };

    /// <summary>An SVG path (24×24) per tone, the same Material icons the rest of the console uses.</summary>
    public static string Icon(string tone) => tone switch
    {
        "ok" => Icons.Material.Filled.CheckCircle,
        "warn" => Icons.Material.Filled.Warning,
        "bad" => Icons.Material.Filled.Cancel,
        _ => Icons.Material.Filled.Help,
    };

    private static readonly Dictionary<string, MarkupString> IconMarkup = new[] { "ok", "warn", "bad", "unknown" }
        .ToDictionary(t => t, t => new MarkupString($"<svg class=\"wall-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\">{Icon(t)}</svg>"));

    /// <summary>
    /// The icon as one piece of markup (a 24×24 inline SVG sized by the text around it), built once per tone: on a
    /// screen that renders every second, a markup frame costs less than a component per icon (see BENCHMARKS.md,
    /// "Wall screens").
    /// </summary>
    public static MarkupString IconSvg(string tone) => IconMarkup.TryGetValue(tone, out var markup) ? markup : IconMarkup["unknown"];

    /// <summary>The sparkline's drawing area, in SVG user units.</summary>
    public const int SparklineWidth = 300;
    public const int SparklineHeight = 60;

    /// <summary>
    /// A request-rate sparkline as SVG polyline point lists: one per run of steps with data, nothing across a gap (a
    /// gap is never drawn as zero). A lone point is drawn as a short flat stroke.
    /// </summary>
    public static IReadOnlyList<string> SparklineRuns(IReadOnlyList<double?> values, double max)
    {
        var runs = new List<string>();
        if (values.Count == 0)
            return runs;
        var step = values.Count == 1 ? 0 : (double)SparklineWidth / (values.Count - 1);
        var top = max > 0 ? max : 1;
        var run = new System.Text.StringBuilder();
        var points = 0;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value)
            {
                if (points > 0)
                    runs.Add(Single(run, points));
                run.Clear();
                points = 0;
                continue;
            }
            var y = SparklineHeight - Math.Clamp(value / top, 0, 1) * (SparklineHeight - 4) - 2;
            run.Append(CultureInfo.InvariantCulture, $"{i * step:0.#},{y:0.#} ");
            points++;
        }
        if (points > 0)
            runs.Add(Single(run, points));
        return runs;

        static string Single(System.Text.StringBuilder run, int points)
        {
            var text = run.ToString().TrimEnd();
            if (points > 1)
                return text;
            var parts = text.Split(',');
            var x = double.Parse(parts[0], CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, x - 3):0.#},{parts[1]} {x + 3:0.#},{parts[1]}");
        }
    }

    public static string GuardrailHeadline(GuardrailDecision decision) => decision switch
    {
        GuardrailDecision.Block => "Deployments BLOCKED",
        GuardrailDecision.Warn => "Deployments need confirmation",
        _ => "Deployments allowed",
    };
}

/// <summary>A datacenter's requests per second per minute (null: a gap) and the end of the last stretch in which its traffic was read.</summary>
public sealed record WallRates(IReadOnlyList<double?> PerMinute, DateTimeOffset? CollectedUntil);

/// <summary>
/// How many of one kind of component are up, and how many cannot be judged from here: "0/4 up" of a datacenter this
/// console cannot reach would claim four are down, which nobody saw.
/// </summary>
public sealed record WallCount(int Up, int Unknown, int Total)
{
    public static WallCount Of(IEnumerable<ComponentStatus> components)
    {
        int up = 0, unknown = 0, total = 0;
        foreach (var component in components)
        {
            total++;
            if (component.State == ComponentState.Up)
                up++;
            else if (component.State == ComponentState.Unknown)
                unknown++;
        }
        return new WallCount(up, unknown, total);
    }

    /// <summary>Nothing of this kind could be judged: the count is shown as "?", not as a number up.</summary>
    public bool AllUnknown => Total > 0 && Unknown == Total;

    /// <summary>Some are known not to be up.</summary>
    public bool Short => Up + Unknown < Total;
}

/// <summary>
/// One datacenter on the wall: its state in one word with its tone, a sentence that agrees with the scenario headline,
/// what is up of each kind, and its request rate per minute (null: a gap).
/// </summary>
public sealed record WallDatacenter(
    string Id,
    string Name,
    DatacenterState State,
    bool IsConsoleDatacenter,
    string Word,
    string Tone,
    string? Sentence,
    WallCount Instances,
    WallCount Nodes,
    WallCount AdminNodeManagers,
    IReadOnlyList<double?> RequestsPerSecond,
    /// <summary>"as seen by the console in dc2, 10:46:33" when the counts are the peer console's, not this one's.</summary>
    string? SeenBy = null,
    /// <summary>What the counts mean when none could be judged from here; null when they are what they say.</summary>
    string? CountsNote = null,
    /// <summary>The end of the last stretch in which this console read the datacenter's traffic.</summary>
    DateTimeOffset? CollectedUntil = null,
    /// <summary>The request rate the console in that datacenter reports, when this one is cut off from it and it is the witness.</summary>
    double? PeerRate = null)
{
    /// <summary>
    /// The current request rate: the newest minute with data, only while this console reads the datacenter's traffic.
    /// A datacenter that is down or cut off from here shows "no data since hh:mm" instead, never an old figure.
    /// </summary>
    public double? LatestRate => Collecting ? RequestsPerSecond.LastOrDefault(r => r is not null) : PeerRate;

    /// <summary>The rate shown is the peer console's, not read by this one.</summary>
    public bool RateFromPeer => !Collecting && PeerRate is not null;

    /// <summary>The traffic is being read: the datacenter answers this console and one of the last two minutes has data.</summary>
    public bool Collecting =>
        State is not (DatacenterState.Down or DatacenterState.Unreachable)
        && RequestsPerSecond.Count > 0 && RequestsPerSecond.Skip(Math.Max(0, RequestsPerSecond.Count - 2)).Any(r => r is not null);

    /// <summary>In place of the rate when there is none: "no data since 14:02" (the screen's local time), or "no data".</summary>
    public string NoDataText => CollectedUntil is { } until ? $"no data since {WallScreen.Clock(until)}" : "no data";

    public static WallDatacenter Of(DatacenterSnapshot dc, EstateSnapshot snapshot, WallRates? rates)
    {
        var console = snapshot.ConsoleDatacenter;
        var instances = WallCount.Of(dc.GatewayInstances);
        var nodes = WallCount.Of(dc.CassandraNodes);
        var anms = WallCount.Of(dc.AdminNodeManagers);
        // Unreachable with the link known to be down: a witness (the load balancer or the console over there) sees it
        // serving, which is what the scenario headline says; the card says the same, and that it is cut off from here.
        var serving = dc.State == DatacenterState.Unreachable && (dc.SeenBy is not null || snapshot.Link.State == LinkState.Down);
        var pool = snapshot.LoadBalancer is { State: ComponentState.Up } lb
            ? lb.Pools.FirstOrDefault(p => string.Equals(p.DatacenterId, dc.Id, StringComparison.OrdinalIgnoreCase))
            : null;
        var sentence = dc.State switch
        {
            DatacenterState.Unreachable when dc.SeenBy is not null => $"Cut off from {console}; its own console sees it serving.",
            DatacenterState.Unreachable when serving && pool is { Serving: true } =>
                $"Cut off from {console}; the load balancer sees it serving ({pool.HealthyDestinations}/{pool.Destinations} healthy).",
            DatacenterState.Unreachable when serving => $"Cut off from {console}; seen serving by a witness.",
            DatacenterState.Unreachable => $"Not reachable from {console}: down or cut off, no witness can tell yet.",
            DatacenterState.Down when pool is { Serving: false } => "Nothing answers; the load balancer sends its traffic elsewhere.",
            DatacenterState.Down => "Nothing in it answers.",
            _ => dc.Reason,
        };
        var peerTraffic = dc.SeenBy is not null && snapshot.Peer?.Evidence is { } view
            && string.Equals(view.Datacenter, dc.Id, StringComparison.OrdinalIgnoreCase) ? view.Traffic : null;
        var allUnknown = instances.AllUnknown && nodes.AllUnknown && anms.AllUnknown;
        return new WallDatacenter(
            dc.Id, dc.Name, dc.State, string.Equals(dc.Id, console, StringComparison.OrdinalIgnoreCase),
            serving ? "SERVING" : WallScreen.Word(dc.State),
            serving ? "warn" : WallScreen.Tone(dc.State),
            sentence,
            instances, nodes, anms,
            rates?.PerMinute ?? [],
            dc.SeenBy?.Label,
            allUnknown ? $"Counts unknown: no probe from {console} reaches it." : null,
            rates?.CollectedUntil,
            peerTraffic?.RequestsPerSecond);
    }
}

/// <summary>The worst scenario in force, in one line: what it is and the first thing to do.</summary>
public sealed record WallScenario(string Key, ScenarioSeverity Severity, string Title, string Action)
{
    public static WallScenario Of(FailoverScenario scenario)
    {
        var first = scenario.Runbook.OrderBy(s => s.Order).FirstOrDefault();
        return new WallScenario(scenario.Key, scenario.Severity, scenario.Title, first?.Text ?? scenario.WhatHappens);
    }
}
