using System.Diagnostics;
using Xunit.Abstractions;

namespace ApimConsole.Lab.Tests.Cassandra;

/// <summary>
/// Runs a script with Debian's /usr/bin/python3 (where python3-cassandra, python3-lz4 and python3-snappy are
/// installed): the independent clients the lab's CQL nodes and codecs are checked against. Fails the test, never
/// skips it, when python or a module is missing.
/// </summary>
internal static class DebianPython
{
    public const string Python = "/usr/bin/python3";
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A script copied beside the tests (<c>Cassandra/&lt;name&gt;</c>).</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Cassandra", name);

    /// <summary>
    /// Runs <paramref name="script"/> with <paramref name="args"/>; its output (stdout then stderr) goes to
    /// <paramref name="log"/>. A script that exits 3 printing <c>MISSING-DRIVER</c> fails the test with
    /// <paramref name="installHint"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string installHint, ITestOutputHelper? log, string script, params string[] args)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: {installHint}");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"python did not finish within {ProcessTimeout.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }
        var output = await stdout + await stderr;
        log?.WriteLine(output);
        if (process.ExitCode == 3 && output.Contains("MISSING-DRIVER", StringComparison.Ordinal))
            Assert.Fail($"a python module is missing for {Python}: {installHint}\n{output}");
        return (process.ExitCode, output);
    }
}
