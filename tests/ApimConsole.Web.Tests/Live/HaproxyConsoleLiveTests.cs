using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Web.Tests.Live;

/// <summary>The console with its embedded lab on a real HAProxy (<c>Lab:LoadBalancer = Haproxy</c>).</summary>
public sealed class HaproxyLabConsoleFactory : LabConsoleFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Lab:LoadBalancer", "Haproxy");
    }
}

/// <summary>
/// The whole console (host, configuration checks, status engine, classifier, API) with HAProxy's stats CSV as its only
/// witness, configured by the lab exactly as an operator would: a cut link and a datacenter down are told apart.
/// </summary>
public sealed class HaproxyConsoleLiveTests(HaproxyLabConsoleFactory console) : IClassFixture<HaproxyLabConsoleFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Detect = TimeSpan.FromSeconds(15);

    public async Task InitializeAsync()
    {
        await console.HealAsync();
        await console.WaitForEstateAsync(e => e.AllUp() && WitnessServingBoth(e), Settle, "every component up and HAProxy serving both datacenters");
    }

    public Task DisposeAsync() => console.HealAsync();

    private static bool WitnessServingBoth(System.Text.Json.JsonElement estate) =>
        estate.GetProperty("loadBalancer") is { ValueKind: System.Text.Json.JsonValueKind.Object } lb
        && lb.State() == "Up"
        && lb.GetProperty("pools").EnumerateArray().Count(p => p.GetProperty("serving").GetBoolean()) == 2;

    [HaproxyFact]
    public async Task LinkDown_IsNamedFromHaproxysView()
    {
        (await console.FaultAsync("link", "down")).EnsureSuccessStatusCode();
        await console.WaitForScenarioAsync("InterDatacenterLinkDown", Detect);
        var estate = await console.EstateAsync();
        Assert.Equal("Unreachable", estate.Datacenter("dc2").State());
        Assert.True(WitnessServingBoth(estate), "HAProxy still sees dc2 serving with the link cut");
    }

    [HaproxyFact]
    public async Task DatacenterDown_IsNamedFromHaproxysView_NotALinkProblem()
    {
        (await console.FaultAsync("dc2", "down")).EnsureSuccessStatusCode();
        await console.WaitForScenarioAsync("DatacenterDown:dc2", Detect);
        var estate = await console.EstateAsync();
        Assert.NotEqual("Down", estate.GetProperty("link").State());
        var dc2Pool = estate.GetProperty("loadBalancer").GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("datacenterId").GetString() == "dc2");
        Assert.False(dc2Pool.GetProperty("serving").GetBoolean());
    }
}

/// <summary>A fact that needs haproxy: skipped, saying how to install it, only when the binary is absent.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public HaproxyFactAttribute()
    {
        var found = new[] { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy" }.Any(File.Exists)
            || (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(p => File.Exists(Path.Combine(p, "haproxy")));
        if (!found)
            Skip = "haproxy is not installed: bash tests/run.sh installs it from Debian (apt-get install haproxy)";
    }
}
