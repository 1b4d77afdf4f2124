using ApimConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace ApimConsole.Web.Tests.Configuration;

/// <summary>
/// Configuration keys the other start-up tests do not try: a wrong value stops the console at start with a message
/// that names the key, before anything listens or is stored.
/// </summary>
public sealed class ConfigurationBadInputTests
{
    private static async Task<Exception> StartFailsWith(string key, string value)
    {
        await using var settings = new ConsoleTestHost(new Dictionary<string, string?> { [key] = value });
        var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        TestHostLogging.Filter(builder.Logging, testServer: false);
        builder.AddApimConsole();
        await using var app = builder.Build();
        app.UseApimConsole();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.False(File.Exists(settings.DatabaseFile), $"{key}={value}: the store was created although start failed");
        return error;
    }

    [Theory]
    [InlineData("Estate:Datacenters:0:Gateways:TrafficPort", "70000", "Estate:Datacenters:0:Gateways:TrafficPort must be between 1 and 65535")]
    [InlineData("Estate:Datacenters:0:Gateways:TrafficScheme", "ftp", "Estate:Datacenters:0:Gateways:TrafficScheme must be 'http' or 'https'")]
    [InlineData("Estate:Datacenters:0:Cassandra:ContactPoints:0", "cassandra-1:99999", "Estate:Datacenters:0:Cassandra:ContactPoints:0 'cassandra-1:99999' is not host or host:port")]
    [InlineData("Estate:Datacenters:0:Logs:TimeZone", "Mars/Olympus_Mons", "Estate:Datacenters:0:Logs:TimeZone: 'Mars/Olympus_Mons' is not a time zone")]
    [InlineData("Estate:Datacenters:0:Id", "dc 1; drop", "Estate:Datacenters:0:Id 'dc 1; drop' may contain only letters, digits")]
    [InlineData("Estate:Datacenters:0:Logs:Url", "ftp://logs.dc1.test/", "Estate:Datacenters:0:Logs:Url 'ftp://logs.dc1.test/' is not an absolute http(s) URL")]
    [InlineData("Estate:LoadBalancer:StatusUrl", "lb.test/pools", "Estate:LoadBalancer:StatusUrl 'lb.test/pools' is not an absolute http(s) URL")]
    [InlineData("Estate:LoadBalancer:Kind", "Nginx", "Estate:LoadBalancer:Kind 'Nginx' is unknown: use one of Lab, HaproxyCsv, HaproxyJson, F5, NginxPlus, Citrix")]
    [InlineData("Estate:LoadBalancer:Kind", "HaproxyCsv", "Estate:LoadBalancer:StatusUrl is required when Estate:LoadBalancer:Kind is HaproxyCsv")]
    [InlineData("Estate:Name", " ", "Estate:Name is required")]
    [InlineData("Probes:Fall", "0", "Probes:Fall must be between 1 and 100")]
    [InlineData("Traffic:PollInterval", "00:00:00.001", "Traffic:PollInterval must be between 100 ms and 5 minutes")]
    [InlineData("Traffic:MaxTransactionsPerPoll", "5000", "Traffic:MaxTransactionsPerPoll must be between 1 and 1000")]
    [InlineData("Traffic:RequestTimeout", "02:00:00", "Traffic:RequestTimeout must be between 50 ms and 1 minute")]
    [InlineData("Storage:BusyTimeout", "00:00:00", "Storage:BusyTimeout must be more than 0 and at most 5 minutes")]
    [InlineData("Storage:BusyTimeout", "00:30:00", "Storage:BusyTimeout must be more than 0 and at most 5 minutes")]
    public async Task WrongValue_StopsStart_NamingTheKey(string key, string value, string message)
    {
        var error = await StartFailsWith(key, value);

        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("Estate:Datacenters:0:Gateways:TrafficPort", "eighty", "Estate:Datacenters:0:Gateways:TrafficPort: 'eighty' is not a number")]
    [InlineData("Estate:Datacenters:1:Gateways:TrafficPort", "8o8o", "Estate:Datacenters:1:Gateways:TrafficPort: '8o8o' is not a number")]
    [InlineData("Probes:Timeout", "soon", "Probes:Timeout: 'soon' is not a duration")]
    [InlineData("Probes:Fall", "four", "Probes:Fall: 'four' is not a number")]
    [InlineData("Traffic:PollInterval", "5 seconds", "Traffic:PollInterval: '5 seconds' is not a duration")]
    [InlineData("Logs:BufferCapacity", "lots", "Logs:BufferCapacity: 'lots' is not a number")]
    [InlineData("Estate:LoadBalancer:HealthCheckLag", "2s", "Estate:LoadBalancer:HealthCheckLag: '2s' is not a duration")]
    [InlineData("Estate:LoadBalancer:Timeout", "soon", "Estate:LoadBalancer:Timeout: 'soon' is not a duration")]
    public async Task ValueOfTheWrongType_StopsStart_NamingTheKeyAndValue(string key, string value, string message)
    {
        var error = await StartFailsWith(key, value);

        Assert.Contains(message, error.Message);
        // The binder's own complaint, or a dropped entry's, never reaches the operator instead.
        Assert.DoesNotContain("is not the id of a configured datacenter", error.Message);
    }

    [Theory]
    [InlineData("Lab:Enabled", "maybe", "Lab:Enabled: 'maybe' is not true or false")]
    [InlineData("Lab:TrafficRatePerSecond", "fast", "Lab:TrafficRatePerSecond: 'fast' is not a number")]
    public async Task LabValueOfTheWrongType_StopsStart_NamingTheKeyAndValue(string key, string value, string message)
    {
        // The lab's section is read while the console is being added (the lab starts before the host is built).
        await using var settings = new ConsoleTestHost(new Dictionary<string, string?> { [key] = value });
        var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        var error = Assert.ThrowsAny<Exception>(() => builder.AddApimConsole());

        Assert.Contains(message, error.Message);
        Assert.False(File.Exists(settings.DatabaseFile));
    }

    [Fact]
    public async Task StorageValueOfTheWrongType_StopsStart_NamingTheKeyAndValue()
    {
        // The storage section is read while the console is being added (the store is registered from it).
        await using var settings = new ConsoleTestHost(new Dictionary<string, string?> { ["Storage:BusyTimeout"] = "5s" });
        var builder = WebApplication.CreateBuilder(ConsoleHostDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(settings.Settings);
        var error = Assert.ThrowsAny<Exception>(() => builder.AddApimConsole());

        Assert.Contains("Storage:BusyTimeout: '5s' is not a duration", error.Message);
        Assert.False(File.Exists(settings.DatabaseFile));
    }
}
