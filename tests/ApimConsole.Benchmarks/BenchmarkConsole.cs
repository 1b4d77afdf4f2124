using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ApimConsole.Benchmarks;

/// <summary>The real console with its embedded lab and default probe settings, on a temporary store.</summary>
internal sealed class BenchmarkConsole(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    private readonly string _data = Directory.CreateTempSubdirectory("apimconsole-bench-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Lab:Enabled", "true");
        builder.UseSetting("Storage:SqlitePath", Path.Combine(_data, "console.db"));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Auth:BootstrapAdminToken", BootstrapToken);
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
    }

    /// <summary>The Administrator API token every client of this console sends.</summary>
    public const string BootstrapToken = "benchmark-bootstrap-admin-token-0123456789";

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BootstrapToken);
    }

    public async Task<JsonElement> EstateAsync()
    {
        using var client = CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/api/estate");
    }

    public async Task FaultAsync(string target, string action, double? probability = null)
    {
        using var client = CreateClient();
        object body = probability is null ? new { target, action } : new { target, action, probability };
        (await client.PostAsJsonAsync("/api/lab/faults", body)).EnsureSuccessStatusCode();
    }

    public async Task HealAsync()
    {
        using var client = CreateClient();
        (await client.DeleteAsync("/api/lab/faults")).EnsureSuccessStatusCode();
    }

    public async Task<JsonElement> LabAsync()
    {
        using var client = CreateClient();
        return await client.GetFromJsonAsync<JsonElement>("/api/lab");
    }
}

internal static class EstateReading
{
    public static IEnumerable<(string Key, string State)> Components(this JsonElement estate) =>
        estate.GetProperty("datacenters").EnumerateArray().SelectMany(dc =>
        {
            var id = dc.GetProperty("id").GetString();
            return dc.GetProperty("adminNodeManagers").EnumerateArray()
                .Concat(dc.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("instances").EnumerateArray()))
                .Concat(dc.GetProperty("cassandraNodes").EnumerateArray())
                .Select(c => ($"{id}/{c.GetProperty("id").GetString()}", c.GetProperty("state").GetString()!));
        });

    public static string? StateOf(this JsonElement estate, string key) =>
        estate.Components().Where(c => c.Key == key).Select(c => c.State).FirstOrDefault();
}
