using System.Net;
using System.Net.Sockets;
using ApimConsole.Web.Tests.Live;
using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Web.Tests.Metrics;

/// <summary>The console with its embedded lab on real Kestrel, with a scrape token: what a real Prometheus scrapes.</summary>
public sealed class ScrapedLabConsoleFactory : LabConsoleFactory
{
    public const string ScrapeToken = "scrape-token-of-the-live-test-0123456789abcdef";

    public ScrapedLabConsoleFactory()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port));
        StartServer();
    }

    public int Port { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Metrics:Token", ScrapeToken);
        // Listens where UseKestrel says, not also at the shipped Urls (which Kestrel would override with a warning).
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "");
    }
}

/// <summary>
/// A real Prometheus scrapes the console (and loads the shipped rules) while the lab has a fault in force: PromQL over
/// Prometheus' HTTP API sees the fault in the console's series, and the shipped alert goes pending.
/// </summary>
public sealed class PrometheusScrapeLiveTests(ScrapedLabConsoleFactory console) : IClassFixture<ScrapedLabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp(), Settle, "every component up");
    }

    public Task DisposeAsync() => console.HealAsync();

    private string Configuration() => $"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files:
          - {Path.Combine(Tools.DeployFolder, "apimconsole-rules.yml")}
        scrape_configs:
          - job_name: apimconsole
            metrics_path: /metrics
            authorization:
              type: Bearer
              credentials: {ScrapedLabConsoleFactory.ScrapeToken}
            static_configs:
              - targets: ["127.0.0.1:{console.Port}"]
        """;

    [PrometheusFact]
    public async Task AFaultInTheLab_IsInPrometheus_AndTheShippedAlertGoesPending()
    {
        await using var prometheus = await PrometheusServer.StartAsync(Configuration());

        // Scraped with the token, and every component seen up.
        await Until(prometheus, "up{job=\"apimconsole\"} == 1", r => r.Count == 1, "the console scraped (up == 1)");
        await Until(prometheus, "sum(apimconsole_component_state{state=\"up\"})", r => r.Count == 1 && r[0].Value >= 14, "every component up in Prometheus");
        Assert.Empty(await prometheus.QueryAsync("apimconsole_component_state{datacenter=\"dc2\",component=\"instance-2\",state=\"down\"} == 1"));

        (await console.FaultAsync("dc2/instance-2", "down")).EnsureSuccessStatusCode();

        var down = await Until(prometheus, "apimconsole_component_state{datacenter=\"dc2\",component=\"instance-2\",state=\"down\"} == 1",
            r => r.Count == 1, "dc2/instance-2 down in Prometheus");
        Assert.Equal("gateway_instance", down[0].Labels["kind"]);
        await Until(prometheus, "apimconsole_scenarios{kind=\"gateway_instance_down\",datacenter=\"dc2\"}", r => r.Count == 1 && r[0].Value == 1,
            "the scenario in force in Prometheus");
        // The shipped rule holds at once and waits its 5 minutes: pending, for this instance only.
        var alerts = await Until(prometheus, "ALERTS{alertname=\"ApimConsoleComponentDown\"}", r => r.Count == 1, "ApimConsoleComponentDown pending");
        Assert.Equal("instance-2", alerts[0].Labels["component"]);
        Assert.Equal("pending", alerts[0].Labels["alertstate"]);
        // The engine's probes, timed: a histogram per kind and datacenter.
        Assert.NotEmpty(await prometheus.QueryAsync("apimconsole_probe_duration_seconds_count{kind=\"cassandra_node\",datacenter=\"dc2\",outcome=\"success\"} > 0"));

        await console.HealAsync();
        await Until(prometheus, "apimconsole_component_state{datacenter=\"dc2\",component=\"instance-2\",state=\"up\"} == 1", r => r.Count == 1,
            "dc2/instance-2 up again in Prometheus");
    }

    private static async Task<IReadOnlyList<Sample>> Until(PrometheusServer prometheus, string promql, Func<IReadOnlyList<Sample>, bool> holds, string what)
    {
        try
        {
            return await Eventually.Until(() => prometheus.QueryAsync(promql), holds, TimeSpan.FromSeconds(30), $"{what}: {promql}",
                every: TimeSpan.FromMilliseconds(250));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\nTargets: {await prometheus.TargetsAsync()}\nPrometheus log:\n{prometheus.Log}", ex);
        }
    }
}
