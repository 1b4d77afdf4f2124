using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ApimConsole.Web.Tests.Live;
using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Web.Tests.Security;

/// <summary>
/// Issue #19 point 7: while one datacenter's ANM hangs, <c>GET /api/deployments/versions</c> answers within the read
/// timeout with the other datacenter's versions and a reason for the hung one; once the status engine reports that ANM
/// Down, it is not asked at all.
/// </summary>
public sealed class HungAnmVersionsTests
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task AHungAnm_CostsAtMostTheReadTimeout_AndOnceKnownDown_IsNotAsked()
    {
        await using var lab = new LabConsoleFactory();
        await using var console = lab.WithWebHostBuilder(b => b.UseSetting("Deployments:ReadTimeout", "00:00:02"));
        using var client = console.CreateClient();
        var fault = await client.PostAsync("/api/lab/faults", new StringContent("{\"target\":\"dc2/anm\",\"action\":\"hang\"}", Encoding.UTF8, "application/json"));
        fault.EnsureSuccessStatusCode();

        var watch = Stopwatch.StartNew();
        var versions = await client.GetFromJsonAsync<JsonElement>("/api/deployments/versions");
        var elapsed = watch.Elapsed;
        // Generous: the bound is the read timeout; the margin is for a shared, loaded machine, not a speed claim.
        Assert.True(elapsed < ReadTimeout + TimeSpan.FromSeconds(4), $"answered after {elapsed.TotalSeconds:0.0} s");
        var reason = versions.GetProperty("unread").GetProperty("dc2").GetString();
        Assert.True(reason!.Contains("no answer within 2 s") || reason.Contains("not asked"), reason);
        Assert.False(versions.GetProperty("unread").TryGetProperty("dc1", out _), versions.ToString());
        Assert.Contains("dc1", versions.GetProperty("groups").ToString());

        await HardeningSupport.WaitForAsync(async () =>
        {
            var estate = await client.GetFromJsonAsync<JsonElement>("/api/estate");
            return estate.GetProperty("datacenters").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dc2")
                .GetProperty("adminNodeManagers").EnumerateArray().All(a => string.Equals(a.GetProperty("state").GetString(), "Down", StringComparison.OrdinalIgnoreCase));
        }, TimeSpan.FromSeconds(60), "dc2's ANM is Down in the estate");
        var known = await client.GetFromJsonAsync<JsonElement>("/api/deployments/versions");
        Assert.StartsWith("not asked: the ANM is Down", known.GetProperty("unread").GetProperty("dc2").GetString());
        Assert.Contains("dc1", known.GetProperty("groups").ToString());
    }
}
