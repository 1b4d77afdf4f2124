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
    string? LinkReason,
    WallScenario? Scenario,
    int OtherScenarios,
    GuardrailDecision Guardrail,
    double SparklineMax)
{
    /// <summary>An estate state older than this is shown as stale: the console stopped hearing from its status engine.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(15);

    /// <summary>Each datacenter's requests per second per minute of the last 10 minutes, by datacenter id: all a screen keeps of a traffic report.</summary>
    public static IReadOnlyDictionary<string, double?[]> Rates(TrafficReport traffic) =>
        traffic.Datacenters.ToDictionary(d => d.Id, d => d.View.Series.Points.Select(p => p.RequestsPerSecond).ToArray(), StringComparer.OrdinalIgnoreCase);

    public static WallScreen Build(EstateSnapshot snapshot, GuardrailState guardrail, IReadOnlyDictionary<string, double?[]>? rates, DateTimeOffset now)
    {
        var scenarios = snapshot.Scenarios.At(now);
        var datacenters = snapshot.Datacenters.Select(dc =>
        {
            IReadOnlyList<double?> rate = rates?.GetValueOrDefault(dc.Id) ?? [];
            var instances = dc.GatewayInstances.ToList();
            return new WallDatacenter(
                dc.Id, dc.Name, dc.State, string.Equals(dc.Id, snapshot.ConsoleDatacenter, StringComparison.OrdinalIgnoreCase), dc.Reason,
                instances.Count(i => i.State == ComponentState.Up), instances.Count,
                dc.CassandraNodes.Count(n => n.State == ComponentState.Up), dc.CassandraNodes.Count,
                dc.AdminNodeManagers.Count(a => a.State == ComponentState.Up), dc.AdminNodeManagers.Count,
                rate,
                dc.SeenBy?.Label);
        }).ToList();
        var worst = scenarios.FirstOrDefault();
        var max = datacenters.SelectMany(d => d.RequestsPerSecond).Where(r => r is not null).Select(r => r!.Value).DefaultIfEmpty(0).Max();
        return new WallScreen(snapshot.AsOf, snapshot.EstateName, datacenters, snapshot.Link.State, snapshot.Link.Reason,
            worst is null ? null : WallScenario.Of(worst), Math.Max(0, scenarios.Count - 1), guardrail.Worst, max);
    }

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

/// <summary>One datacenter on the wall: its state, what is up of each kind, and its request rate per minute (null: a gap).</summary>
public sealed record WallDatacenter(
    string Id,
    string Name,
    DatacenterState State,
    bool IsConsoleDatacenter,
    string? Reason,
    int InstancesUp,
    int Instances,
    int NodesUp,
    int Nodes,
    int AdminNodeManagersUp,
    int AdminNodeManagers,
    IReadOnlyList<double?> RequestsPerSecond,
    /// <summary>"as seen by the console in dc2, 10:46:33" when the counts are the peer console's, not this one's.</summary>
    string? SeenBy = null)
{
    /// <summary>The newest minute with data, for the big number beside the sparkline.</summary>
    public double? LatestRate => RequestsPerSecond.LastOrDefault(r => r is not null);
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
