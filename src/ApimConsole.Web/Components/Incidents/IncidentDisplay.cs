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

    public static string Action(string action) => action == "replace" ? "replace the node" : "nodetool repair";
}
