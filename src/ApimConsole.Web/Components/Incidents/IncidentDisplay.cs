using MudBlazor;

namespace ApimConsole.Web.Components.Incidents;

/// <summary>Words and colours for incidents, in one place.</summary>
public static class IncidentDisplay
{
    /// <summary>A duration as an operator reads it: <c>45 s</c>, <c>12 min 05 s</c>, <c>2 h 05 min</c>, <c>10 d 3 h</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
            span = TimeSpan.Zero;
        return span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds} s"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min {span.Seconds:00} s"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h {span.Minutes:00} min"
            : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss");

    public static Color SeverityColor(string severity) => severity == "Critical" ? Color.Error : Color.Warning;

    /// <summary>What an outage took down, in one line: how many down, how many cut off, and which.</summary>
    public static string Consequences(IReadOnlyList<ApimConsole.Web.Incidents.ConsequenceView> consequences)
    {
        var down = consequences.Count(c => c.State == ApimConsole.Web.Incidents.Consequence.Down);
        var unreachable = consequences.Count - down;
        var parts = new List<string>();
        if (down > 0)
            parts.Add($"{down} component{(down == 1 ? "" : "s")} down");
        if (unreachable > 0)
            parts.Add($"{unreachable} cut off (unreachable, not known down)");
        return "Took " + string.Join(", ", parts) + ": " + string.Join(", ", consequences.Select(c => c.Key).Distinct().Take(8))
            + (consequences.Count > 8 ? ", …" : "");
    }

    public static string Action(string action) => action == "replace" ? "replace the node" : "nodetool repair";
}
