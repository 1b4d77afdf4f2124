namespace ApimConsole.Web.Components.Layout;

/// <summary>
/// The light/dark choice remembered per browser in a cookie. A cookie rather than localStorage because the server
/// reads it while prerendering, so a dark-theme operations room never sees a white flash on load.
/// </summary>
public static class ThemePreference
{
    public const string CookieName = "apimconsole-theme";
    public const string Dark = "dark";
    public const string Light = "light";

    /// <summary>True for dark, false for light, null when this browser never chose (follow the system).</summary>
    public static bool? Parse(string? cookie) => cookie switch
    {
        Dark => true,
        Light => false,
        _ => null,
    };
}
