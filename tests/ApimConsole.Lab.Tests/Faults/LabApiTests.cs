using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ApimConsole.Lab.Api;
using ApimConsole.Lab.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace ApimConsole.Lab.Tests.Faults;

public sealed class LabApiTests : IAsyncLifetime
{
    private LabEstate _lab = null!;
    private WebApplication _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _lab = await LabTestHost.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _host = builder.Build();
        _host.MapLabApi(_lab);
        await _host.StartAsync();
        _client = LabTestHost.Client();
        _client.BaseAddress = new Uri(_host.Urls.First());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _lab.DisposeAsync();
    }

    [Fact]
    public async Task PostFault_AppliesIt_GetShowsIt_DeleteHealsAll()
    {
        using var post = await _client.PostAsJsonAsync("/api/lab/faults", new { target = "dc1/instance-2", action = "down" });
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using var postLink = await _client.PostAsJsonAsync("/api/lab/faults", new { target = "LINK", action = "Hang" });
        Assert.Equal(HttpStatusCode.OK, postLink.StatusCode);

        var state = await LabTestHost.GetJsonAsync(_client, "/api/lab");
        var faults = state.GetProperty("faults").EnumerateArray().ToDictionary(f => f.GetProperty("target").GetString()!, f => f.GetProperty("action").GetString());
        Assert.Equal("down", faults["dc1/instance-2"]);
        Assert.Equal("hang", faults["link"]);
        Assert.Equal(2, state.GetProperty("log").GetArrayLength());
        Assert.Equal(2, state.GetProperty("endpoints").GetProperty("datacenters").GetArrayLength());
        Assert.Null(await LabTestHost.TryGetStatusAsync(LabTestHost.Client(timeout: TimeSpan.FromSeconds(2)), LabTestHost.TrafficUrl(_lab, "dc1", "instance-2") + "/healthcheck"));

        using var delete = await _client.DeleteAsync("/api/lab/faults");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var healed = await LabTestHost.GetJsonAsync(_client, "/api/lab");
        Assert.Equal(0, healed.GetProperty("faults").GetArrayLength());
        Assert.Equal(["down", "hang", "heal"], _lab.Faults.Log().Select(e => e.Action));
    }

    [Theory]
    [InlineData("{\"target\":\"dc3\",\"action\":\"down\"}", "dc3")]
    [InlineData("{\"target\":\"dc1/instance-9\",\"action\":\"down\"}", "instance-9")]
    [InlineData("{\"target\":\"dc1/cassandra-4\",\"action\":\"down\"}", "cassandra-4")]
    [InlineData("{\"target\":\"dc1/anm\",\"action\":\"explode\"}", "explode")]
    [InlineData("{\"target\":\"dc1\",\"action\":\"drain\"}", "drain")]
    [InlineData("{\"action\":\"down\"}", "target is required")]
    [InlineData("{\"target\":\"dc2\"", "not valid JSON")]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("null", "Expected")]
    public async Task BadFaultRequest_Is400WithAClearMessage_AndChangesNothing(string body, string expectedInMessage)
    {
        _lab.Faults.Apply("dc1/anm", "slow");
        var logBefore = _lab.Faults.Log().Count;
        var faultsBefore = _lab.Faults.Active;

        using var response = await _client.PostAsync("/api/lab/faults", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Contains(expectedInMessage, error, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(logBefore, _lab.Faults.Log().Count);
        Assert.Equal(faultsBefore, _lab.Faults.Active);
    }

    [Fact]
    public async Task AcceptedTargets_AreTheDocumentedOnes()
    {
        foreach (var target in new[] { "dc2", "link", "dc1/instance-2", "dc1/cassandra-3", "dc1/anm" })
        {
            using var response = await _client.PostAsJsonAsync("/api/lab/faults", new { target, action = "down" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(5, _lab.Faults.Active.Count);
    }
}
