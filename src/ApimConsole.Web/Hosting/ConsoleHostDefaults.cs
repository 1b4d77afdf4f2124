namespace ApimConsole.Web.Hosting;

/// <summary>
/// The console reads the top-level appsettings.json and serves the top-level wwwroot/. From a clone that is the
/// repository root (found by walking up to ApimConsole.sln); from a published folder it is the folder itself.
/// </summary>
public static class ConsoleHostDefaults
{
    public static WebApplicationOptions CreateOptions(string[] args)
    {
        var root = FindContentRoot();
        return new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = root,
            WebRootPath = Path.Combine(root, "wwwroot"),
            ApplicationName = typeof(ConsoleHostDefaults).Assembly.GetName().Name,
        };
    }

    public static string FindContentRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("APIMCONSOLE_ROOT");
        if (!string.IsNullOrWhiteSpace(explicitRoot))
            return Path.GetFullPath(explicitRoot);

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ApimConsole.sln")))
                    return dir.FullName;
            }
        }
        // Published: appsettings.json and wwwroot/ sit beside the executable.
        return AppContext.BaseDirectory;
    }
}
