using ApimConsole.Core.Estate;
using MudBlazor;

namespace ApimConsole.Web.Components.Estate;

/// <summary>Colours, icons and words for states, in one place so every view says the same thing the same way.</summary>
public static class StateDisplay
{
    public static Color Color(ComponentState state) => state switch
    {
        ComponentState.Up => MudBlazor.Color.Success,
        ComponentState.Down => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    public static Color Color(DatacenterState state) => state switch
    {
        DatacenterState.Up => MudBlazor.Color.Success,
        DatacenterState.Degraded => MudBlazor.Color.Warning,
        DatacenterState.Down => MudBlazor.Color.Error,
        DatacenterState.Unreachable => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    public static Color Color(LinkState state) => state switch
    {
        LinkState.Up => MudBlazor.Color.Success,
        LinkState.Down => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Warning,
    };

    public static string Icon(ComponentState state) => state switch
    {
        ComponentState.Up => Icons.Material.Filled.CheckCircle,
        ComponentState.Down => Icons.Material.Filled.Cancel,
        _ => Icons.Material.Filled.Help,
    };

    /// <summary>nodetool status's two letters: U/D for up/down (? when unknown), N for normal.</summary>
    public static string NodetoolStatus(ComponentState state) => state switch
    {
        ComponentState.Up => "UN",
        ComponentState.Down => "DN",
        _ => "?N",
    };

    public static string Since(DateTimeOffset since, DateTimeOffset now)
    {
        if (since == default)
            return "";
        var age = now - since;
        var ago = age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)} s"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours} h {age.Minutes} min"
            : $"{(int)age.TotalDays} d";
        return $"since {since.ToLocalTime():HH:mm:ss} ({ago})";
    }

    public static string Short(Guid? id) => id is null ? "–" : id.Value.ToString()[..8];
}
