using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>
/// A real Prometheus (Debian's <c>/usr/bin/prometheus</c>) started as a child process on 127.0.0.1 with a temporary
/// configuration and storage folder, asked over its HTTP API, and killed when disposed.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly Queue<string> _log = new();

    private PrometheusServer(Process process, string folder, Uri url)
    {
        _process = process;
        _folder = folder;
        Url = url;
        Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Url { get; }

    public HttpClient Client { get; }

    /// <summary>The binary, or null when Prometheus is not installed.</summary>
    public static string? Binary => Tools.Find("prometheus");

    /// <summary>Starts Prometheus with <paramref name="configuration"/> (prometheus.yml text) and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string configuration)
    {
        var folder = Directory.CreateTempSubdirectory("apimconsole-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, configuration);
        var port = FreePort();
        var start = new ProcessStartInfo(Binary ?? throw new InvalidOperationException("prometheus is not installed"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[]
                 {
                     $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                 })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}"));
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await Eventually.Until(async () => !process.HasExited && await server.ReadyAsync(), TimeSpan.FromSeconds(60),
                "Prometheus ready (/-/ready)", every: TimeSpan.FromMilliseconds(100));
        }
        catch (Exception ex)
        {
            var log = server.Log;
            await server.DisposeAsync();
            throw new InvalidOperationException($"Prometheus did not start: {ex.Message}\n{log}", ex);
        }
        return server;
    }

    /// <summary>What Prometheus logged (the last lines), for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log); }
    }

    /// <summary>An instant PromQL query (<c>/api/v1/query</c>): the result vector's samples, labels and value.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string promql)
    {
        using var response = await Client.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{promql}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal("vector", data.GetProperty("resultType").GetString());
        return data.GetProperty("result").EnumerateArray().Select(r => new Sample(
            r.GetProperty("metric").EnumerateObject().FirstOrDefault(p => p.Name == "__name__").Value.ValueKind == JsonValueKind.String
                ? r.GetProperty("metric").GetProperty("__name__").GetString()! : "",
            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>The scrape targets' health as Prometheus last saw it (<c>/api/v1/targets</c>), for failure messages.</summary>
    public async Task<string> TargetsAsync()
    {
        try
        {
            return await Client.GetStringAsync("/api/v1/targets?state=active");
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await Client.GetAsync("/-/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 50)
                _log.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still being closed: a temporary folder left behind harms nothing.
        }
    }
}

/// <summary>Debian's Prometheus binaries and the repository's deploy/prometheus folder.</summary>
public static class Tools
{
    public static string? Find(string name) =>
        new[] { "/usr/bin", "/usr/local/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>The repository's <c>deploy/prometheus</c>, found above the test's output folder.</summary>
    public static string DeployFolder { get; } = FindDeployFolder();

    private static string FindDeployFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var folder = Path.Combine(dir.FullName, "deploy", "prometheus");
            if (Directory.Exists(folder))
                return folder;
        }
        throw new InvalidOperationException($"no deploy/prometheus above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that needs Prometheus' binaries: skipped, saying how to install them, only when they are absent.</summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (Tools.Find("prometheus") is null || Tools.Find("promtool") is null)
            Skip = "prometheus/promtool are not installed: bash tests/run.sh installs them from Debian (apt-get install prometheus)";
    }
}
