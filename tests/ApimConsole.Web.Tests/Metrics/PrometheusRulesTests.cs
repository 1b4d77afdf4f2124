using System.Diagnostics;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>The shipped deploy/prometheus files, checked by Prometheus' own promtool.</summary>
public sealed class PrometheusRulesTests
{
    private static async Task<(int Exit, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Tools.Find("promtool")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Tools.DeployFolder,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    [PrometheusFact]
    public async Task TheRules_PassPromtoolCheckRules()
    {
        var (exit, output) = await PromtoolAsync("check", "rules", "apimconsole-rules.yml");
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS: 15 rules found", output, StringComparison.Ordinal);
    }

    [PrometheusFact]
    public async Task TheRules_PassTheirUnitTests()
    {
        // Feeds series as the console exposes them: a component down fires after 5 minutes, an unknown one never as down,
        // the link, an unreachable datacenter, a failing or absent scrape, the guardrail, a witness, the outbox.
        var (exit, output) = await PromtoolAsync("test", "rules", "apimconsole-rules.test.yml");
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [PrometheusFact]
    public async Task TheExampleScrapeConfig_IsValidPrometheusConfiguration()
    {
        // Syntax only: its token and CA files are the operator's (they do not exist here).
        var (exit, output) = await PromtoolAsync("check", "config", "--syntax-only", "prometheus-scrape.example.yml");
        Assert.True(exit == 0, output);
    }
}
