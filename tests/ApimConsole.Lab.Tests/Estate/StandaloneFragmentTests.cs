using System.Text;
using ApimConsole.Lab.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ApimConsole.Lab.Tests.Estate;

public sealed class StandaloneFragmentTests
{
    [Fact]
    public async Task PrintedFragment_ReadBackAsAppsettings_GivesEveryKeyTheEmbeddedLabGivesTheConsole_LogsUrlIncluded()
    {
        await using var lab = await LabTestHost.StartAsync();
        var expected = lab.ToConsoleConfiguration();

        var json = LabProgram.ConsoleFragmentJson(expected);
        var read = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build()
            .AsEnumerable().Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);

        Assert.Equal(expected.Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase),
            read.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase));
        for (var i = 0; i < lab.Endpoints.Datacenters.Count; i++)
        {
            var logsUrl = read[$"Estate:Datacenters:{i}:Logs:Url"];
            Assert.Equal(lab.Endpoints.Datacenters[i].LogsUrl, logsUrl);
            Assert.StartsWith("http://127.0.0.1:", logsUrl);
        }
        // Lists come out as JSON arrays, as an operator writes them in appsettings.json.
        Assert.Contains("\"Datacenters\": [", json);
        Assert.Contains("\"Urls\": [", json);
    }
}
