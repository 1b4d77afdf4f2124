using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ApimConsole.Monitoring.Tests.Logs;

/// <summary>
/// A real nginx from Debian serving a folder with <c>autoindex on; autoindex_format json;</c> on 127.0.0.1, started by
/// the test with its own prefix and configuration (never the system service). <c>/html/</c> serves the same folder as
/// nginx's default HTML listing, to prove the console's error on the wrong format.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _prefix;

    private NginxServer(Process process, string prefix, int port, string root)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
        Root = root;
    }

    /// <summary>The nginx binary, or null when it is not installed.</summary>
    public static string? Binary { get; } =
        new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
        ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "nginx")).FirstOrDefault(File.Exists);

    public const string MissingMessage = "nginx is not installed: bash tests/run.sh installs it from Debian (apt-get install nginx-light)";

    public int Port { get; }
    public string Root { get; }
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");
    public Uri HtmlUrl => new($"http://127.0.0.1:{Port}/html/");

    public static async Task<NginxServer> StartAsync(string root)
    {
        var binary = Binary ?? throw new InvalidOperationException(MissingMessage);
        var prefix = Directory.CreateTempSubdirectory("nginx-test-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var config = Path.Combine(prefix, "nginx.conf");
            // Root starts workers as 'nobody', who cannot read a 0700 temp folder: keep them as root in that case.
            var user = Environment.UserName == "root" ? "user root;" : "";
            await File.WriteAllTextAsync(config, $$"""
                {{user}}
                daemon off;
                master_process off;
                worker_processes 1;
                pid {{prefix}}/nginx.pid;
                error_log {{prefix}}/logs/error.log warn;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path {{prefix}}/tmp/body;
                    proxy_temp_path {{prefix}}/tmp/proxy;
                    fastcgi_temp_path {{prefix}}/tmp/fastcgi;
                    uwsgi_temp_path {{prefix}}/tmp/uwsgi;
                    scgi_temp_path {{prefix}}/tmp/scgi;
                    server {
                        listen 127.0.0.1:{{port}};
                        location / {
                            root {{root}};
                            autoindex on;
                            autoindex_format json;
                        }
                        location /html/ {
                            alias {{root}}/;
                            autoindex on;
                        }
                    }
                }
                """);
            var process = Process.Start(new ProcessStartInfo(binary)
            {
                ArgumentList = { "-p", prefix + "/", "-c", config },
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var server = new NginxServer(process, prefix, port, root);
            if (await server.WaitUntilListeningAsync())
                return server;
            var log = File.Exists(Path.Combine(prefix, "logs", "error.log")) ? await File.ReadAllTextAsync(Path.Combine(prefix, "logs", "error.log")) : "";
            var stderr = process.HasExited ? await process.StandardError.ReadToEndAsync() : "";
            await server.StopProcessAsync();
            if (attempt >= 5 || !(log + stderr).Contains("Address already in use", StringComparison.Ordinal))
                throw new InvalidOperationException($"nginx did not start: {stderr} {log}");
        }
    }

    /// <summary>True once nginx accepts a connection; false when it exits first (the caller reads why).</summary>
    private Task<bool> WaitUntilListeningAsync() =>
        Eventually.Until(AcceptsAsync, accepts => accepts || _process.HasExited, TimeSpan.FromSeconds(15),
            $"nginx to listen on port {Port} or exit", every: TimeSpan.FromMilliseconds(25));

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StopProcessAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        Directory.Delete(_prefix, recursive: true);
    }
}

/// <summary>A fact that needs nginx: skipped, saying how to install it, only when the binary is absent.</summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (NginxServer.Binary is null)
            Skip = NginxServer.MissingMessage;
    }
}
