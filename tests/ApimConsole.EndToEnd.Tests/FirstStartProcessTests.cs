using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ApimConsole.EndToEnd.Tests;

/// <summary>
/// The console as a newcomer starts it: its own process (the built ApimConsole.Web.dll), the shipped appsettings.json,
/// a temp store. What it prints when its port is busy, and when the one-time administrator password is told.
/// </summary>
public sealed class FirstStartProcessTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("apimconsole-firststart-").FullName;

    [Fact]
    public async Task BusyPort_EndsStartInOneLine_NamingThePortAndWhatToDo_AndUsesUpNoPassword()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var run = await RunAsync($"http://127.0.0.1:{port}", stopWhen: null, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains($"http://127.0.0.1:{port} is in use", line);
        Assert.Contains("--urls", line);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr); // no stack trace anywhere
        Assert.DoesNotContain("FIRST START", run.Stdout);
        // Nothing was set up for a start that could not happen: no store, so the first real start still creates admin.
        Assert.False(File.Exists(Path.Combine(_data, "store.db")));
    }

    [Fact]
    public async Task FirstStart_TellsThePasswordOnlyOnceTheConsoleListens()
    {
        var port = FreePort();
        var run = await RunAsync($"http://127.0.0.1:{port}", stopWhen: "FIRST START", TimeSpan.FromSeconds(90));

        var listening = run.Stdout.IndexOf("Now listening on: http://127.0.0.1:" + port, StringComparison.Ordinal);
        var told = run.Stdout.IndexOf("FIRST START", StringComparison.Ordinal);
        Assert.True(told >= 0, "FIRST START was never printed:\n" + run.Stdout + run.Stderr);
        Assert.True(listening >= 0 && listening < told, "the password was told before the console listened:\n" + run.Stdout);
    }

    private sealed record Run(int? ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the console until it exits, or until <paramref name="stopWhen"/> appears in its output (then kills it).</summary>
    private async Task<Run> RunAsync(string urls, string? stopWhen, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(WebDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(urls);
        info.ArgumentList.Add("--Storage:SqlitePath");
        info.ArgumentList.Add(Path.Combine(_data, "store.db"));
        info.ArgumentList.Add("--Lab:TrafficRatePerSecond");
        info.ArgumentList.Add("0");
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__Console__FormatterName"] = "simple";

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stdout)
                stdout.AppendLine(e.Data);
            if (stopWhen is not null && e.Data.Contains(stopWhen, StringComparison.Ordinal))
                seen.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await Task.WhenAny(process.WaitForExitAsync(deadline.Token), seen.Task.WaitAsync(deadline.Token));
        }
        catch (OperationCanceledException)
        {
        }
        int? exitCode = null;
        if (process.HasExited)
        {
            await process.WaitForExitAsync(); // drains the output
            exitCode = process.ExitCode;
        }
        else
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (stdout)
        lock (stderr)
            return new Run(exitCode, stdout.ToString(), stderr.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ApimConsole.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("ApimConsole.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The console as built for this test run (same configuration as the tests: Debug or Release).</summary>
    private static string WebDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), "src", "ApimConsole.Web", "bin", configuration, "net10.0", "ApimConsole.Web.dll");
        Assert.True(File.Exists(dll), dll + " is missing: build the solution first");
        return dll;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
