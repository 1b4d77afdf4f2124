using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ApimConsole.Web.Tests.Live;

/// <summary>
/// The real console with its embedded lab (the shipped default), on its own temporary store. The lab binds real
/// loopback ports and the console probes it over HTTP and CQL, exactly as it would a real estate.
/// </summary>
public class LabConsoleFactory : WebApplicationFactory<Program>
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("apimconsole-live-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting is visible to Program before the host is built, where the lab is started.
        builder.UseSetting("Lab:Enabled", "true");
        builder.UseSetting("Lab:TrafficRatePerSecond", "10");
        builder.UseSetting("Storage:Provider", "Sqlite");
        builder.UseSetting("Storage:SqlitePath", Path.Combine(_dataDirectory, "console.db"));
        TestAuth.Configure(builder);
        TestHostLogging.Configure(builder);
    }

    /// <summary>Every client of this console is the bootstrap Administrator token (see <see cref="TestAuth"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        TestAuth.Authorize(client);
    }

    public async Task<JsonElement> EstateAsync()
    {
        using var client = CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/api/estate");
    }

    /// <summary>Polls <c>/api/estate</c> until <paramref name="condition"/> holds, failing with the last state seen.</summary>
    public async Task<JsonElement> WaitForEstateAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        return await Eventually.Until(EstateAsync, condition, timeout, $"{what} (/api/estate)", every: TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Polls <c>/api/scenarios</c> until a scenario with <paramref name="key"/> is in force, and returns it.</summary>
    public async Task<JsonElement> WaitForScenarioAsync(string key, TimeSpan timeout)
    {
        using var client = CreateClient();
        var scenarios = await Eventually.Until(() => client.GetFromJsonAsync<JsonElement>("/api/scenarios"),
            last => last.GetProperty("scenarios").EnumerateArray().Any(s => s.GetProperty("key").GetString() == key), timeout,
            $"scenario {key} (/api/scenarios)", every: TimeSpan.FromMilliseconds(100));
        return scenarios.GetProperty("scenarios").EnumerateArray().First(s => s.GetProperty("key").GetString() == key);
    }

    public async Task<HttpResponseMessage> FaultAsync(string target, string action)
    {
        using var client = CreateClient();
        return await client.PostAsJsonAsync("/api/lab/faults", new { target, action });
    }

    public async Task HealAsync()
    {
        using var client = CreateClient();
        (await client.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; a temp folder left behind harms nothing.
        }
    }
}

/// <summary>Reading the estate JSON the way an API client would.</summary>
public static class EstateJsonReading
{
    public static JsonElement Datacenter(this JsonElement estate, string id) =>
        estate.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);

    public static string State(this JsonElement element) => element.GetProperty("state").GetString()!;

    public static IEnumerable<JsonElement> Components(this JsonElement datacenter) =>
        datacenter.GetProperty("adminNodeManagers").EnumerateArray()
            .Concat(datacenter.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("instances").EnumerateArray()))
            .Concat(datacenter.GetProperty("cassandraNodes").EnumerateArray());

    public static JsonElement? Component(this JsonElement estate, string key)
    {
        var slash = key.IndexOf('/');
        var dc = estate.Datacenter(key[..slash]);
        foreach (var c in dc.Components())
        {
            if (c.GetProperty("id").GetString() == key[(slash + 1)..])
                return c;
        }
        return null;
    }

    public static string? ComponentState(this JsonElement estate, string key) => estate.Component(key)?.State();

    public static bool AllUp(this JsonElement estate) =>
        estate.GetProperty("link").State() == "Up"
        && estate.GetProperty("datacenters").EnumerateArray().All(d =>
            d.State() == "Up" && d.GetProperty("groups").GetArrayLength() == 2 && d.Components().All(c => c.State() == "Up"));
}
