using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace ApimConsole.Benchmarks.Tests;

/// <summary>What one run of the benchmark runner did: its exit code and everything it wrote.</summary>
public sealed record BenchmarkRun(string CommandLine, int ExitCode, string Output, TimeSpan Took)
{
    public override string ToString() => $"`{CommandLine}` exited with {ExitCode} after {Took.TotalSeconds:0.0} s; its output:\n{Output}";
}

/// <summary>
/// Runs <c>dotnet ApimConsole.Benchmarks.dll &lt;command&gt; ...</c> as a child process from the repository's root, as
/// BENCHMARKS.md does (<c>dotnet run --project tests/ApimConsole.Benchmarks -- ...</c> runs the same dll). At most
/// <see cref="Concurrency"/> runs at once: each hosts a console with its embedded lab (loopback addresses, ephemeral
/// ports and temporary folders of its own, so runs do not share anything), and their waits overlap.
/// </summary>
public static class BenchmarkProcess
{
    /// <summary>Runs at once. Every run is mostly waiting (soaks, flaps, probes), so four share 2 cores with margin.</summary>
    public const int Concurrency = 4;

    private static readonly SemaphoreSlim Slots = new(Concurrency);

    public static string Dll { get; } = typeof(BenchmarkProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BenchmarksDll").Value!;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static async Task<BenchmarkRun> RunAsync(TimeSpan timeout, params string[] args)
    {
        Assert.True(File.Exists(Dll), $"the benchmark runner is not built at {Dll} (the test project builds it through its ProjectReference)");
        await Slots.WaitAsync();
        try
        {
            return await RunUnthrottledAsync(timeout, args);
        }
        finally
        {
            Slots.Release();
        }
    }

    private static async Task<BenchmarkRun> RunUnthrottledAsync(TimeSpan timeout, string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        var commandLine = "dotnet ApimConsole.Benchmarks.dll " + string.Join(' ', args);
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is null)
                return;
            lock (output)
                output.AppendLine(line);
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // The runner and its own children (subscribers, browser, lab, sizes) go together.
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            string text;
            lock (output)
                text = output.ToString();
            Assert.Fail($"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s and was killed; its output:\n{text}");
        }
        // WaitForExitAsync has also waited for the end of both streams: every line is in.
        lock (output)
            return new BenchmarkRun(commandLine, process.ExitCode, output.ToString(), clock.Elapsed);
    }

    /// <summary>The dotnet host running these tests (dotnet test sets DOTNET_HOST_PATH), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ApimConsole.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no ApimConsole.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Assertions on a run's output.</summary>
public static class BenchmarkAssert
{
    /// <summary>Exit code 0, no line saying FAIL, and a line matching each pattern (regular expressions, multiline).</summary>
    public static void Succeeded(BenchmarkRun run, params string[] resultLines)
    {
        Assert.True(run.ExitCode == 0, $"expected exit code 0: {run}");
        Assert.False(run.Output.Contains("FAIL:", StringComparison.Ordinal), $"a line says FAIL: {run}");
        foreach (var pattern in resultLines)
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(run.Output, pattern, System.Text.RegularExpressions.RegexOptions.Multiline),
                $"no line matches /{pattern}/: {run}");
    }
}
