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

    /// <summary>
    /// One line for a start that failed because the address is taken, e.g. "ApimConsole cannot start: the address
    /// http://127.0.0.1:5080 is in use by another program. Stop it, or pass another address: --urls http://127.0.0.1:5181".
    /// </summary>
    public static string AddressInUseMessage(IOException bindFailure)
    {
        ArgumentNullException.ThrowIfNull(bindFailure);
        // Kestrel says "Failed to bind to address http://127.0.0.1:5080: address already in use."
        const string Prefix = "Failed to bind to address ";
        var message = bindFailure.Message;
        var address = message.StartsWith(Prefix, StringComparison.Ordinal) && message.IndexOf(": ", Prefix.Length, StringComparison.Ordinal) is var end and > 0
            ? message[Prefix.Length..end]
            : null;
        var example = "http://127.0.0.1:5181";
        if (address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri))
            example = $"{uri.Scheme}://{uri.Host}:{(uri.Port == 5181 ? 5182 : 5181)}";
        return $"ApimConsole cannot start: the address {address ?? "it was given"} is in use by another program. " +
            $"Stop that program, or pass another address: --urls {example} (or set Urls in appsettings.json).";
    }

    /// <summary>
    /// The first of <paramref name="urls"/> (the <c>Urls</c> setting, ';'-separated) whose loopback or wildcard port is
    /// already taken by another program, or null. Checked before anything starts, so a newcomer whose port is busy
    /// reads one line and nothing is set up for a start that cannot happen (the catch around Run covers the race).
    /// </summary>
    public static string? FindAddressInUse(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || uri.Port <= 0)
                continue;
            var address = uri.Host switch
            {
                "localhost" => System.Net.IPAddress.Loopback,
                _ when System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) => ip,
                _ => null,
            };
            if (address is null)
                continue;
            var listener = new System.Net.Sockets.TcpListener(address, uri.Port);
            try
            {
                listener.Start();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return url;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Not ours to judge (an address this host does not have, say): Kestrel will say what is wrong.
            }
            finally
            {
                listener.Stop();
            }
        }
        return null;
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
