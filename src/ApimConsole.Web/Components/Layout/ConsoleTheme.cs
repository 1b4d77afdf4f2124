using MudBlazor;

namespace ApimConsole.Web.Components.Layout;

/// <summary>
/// The console's look: calm neutrals so that state colours (green up, red down, amber degraded) are the only loud
/// thing on a wall screen; a compact type scale so that two datacenters fit side by side.
/// </summary>
public static class ConsoleTheme
{
    private static readonly string[] Sans = ["Inter", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5f99",
            Secondary = "#455a64",
            Tertiary = "#00838f",
            Success = "#2e7d32",
            Warning = "#c77700",
            Error = "#c62828",
            Info = "#0277bd",
            AppbarBackground = "#14263a",
            AppbarText = "#e8eef5",
            Background = "#f3f5f8",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            DrawerText = "#1d2733",
            TextPrimary = "#1d2733",
            TextSecondary = "#52606d",
            LinesDefault = "#dde3ea",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#64a8e8",
            Secondary = "#90a4ae",
            Tertiary = "#4dd0e1",
            Success = "#66bb6a",
            Warning = "#ffb74d",
            Error = "#ef5350",
            Info = "#4fc3f7",
            AppbarBackground = "#0d1620",
            AppbarText = "#dce6f0",
            Background = "#111a24",
            Surface = "#18232f",
            DrawerBackground = "#141e29",
            DrawerText = "#c9d4df",
            TextPrimary = "#dce6f0",
            TextSecondary = "#93a3b3",
            LinesDefault = "#2a3746",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Sans, FontSize = "0.875rem" },
            H6 = new H6Typography { FontFamily = Sans, FontSize = "1.05rem", FontWeight = "600" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "4px", AppbarHeight = "56px", DrawerWidthLeft = "220px" },
    };
}
