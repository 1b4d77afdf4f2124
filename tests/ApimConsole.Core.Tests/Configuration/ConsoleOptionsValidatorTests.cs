using ApimConsole.Core.Configuration;

namespace ApimConsole.Core.Tests.Configuration;

public sealed class ConsoleOptionsValidatorTests
{
    private static EstateOptions ValidEstate() => new()
    {
        Name = "Test estate",
        ConsoleDatacenter = "dc1",
        Datacenters =
        [
            new DatacenterOptions
            {
                Id = "dc1", Name = "Frankfurt",
                AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc1.test:8090"] },
                Cassandra = new CassandraOptions { ContactPoints = ["cass1.dc1.test", "cass2.dc1.test:9142", "[::1]:9042"] },
            },
            new DatacenterOptions
            {
                Id = "dc2", Name = "Amsterdam",
                AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc2.test:8090"] },
                Logs = new TraceLogOptions { Url = "http://logs.dc2.test/trace/" },
            },
        ],
    };

    [Fact]
    public void ValidEstate_HasNoErrors() => Assert.Empty(ConsoleOptionsValidator.Validate(ValidEstate()));

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("00:06:00")]
    public void LoadBalancerHealthCheckLagOutOfRange_NamesTheKey(string lag)
    {
        var estate = ValidEstate();
        estate.LoadBalancer.HealthCheckLag = TimeSpan.Parse(lag, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(ConsoleOptionsValidator.Validate(estate), e => e.StartsWith("Estate:LoadBalancer:HealthCheckLag must be between 0 and 5 minutes", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingDatacenterId_NamesItsIndex()
    {
        var estate = ValidEstate();
        estate.Datacenters[1].Id = " ";
        Assert.Contains("Estate:Datacenters:1:Id is required.", ConsoleOptionsValidator.Validate(estate));
    }

    [Fact]
    public void DuplicateDatacenterId_IsRejectedIgnoringCase()
    {
        var estate = ValidEstate();
        estate.Datacenters[1].Id = "DC1";
        Assert.Contains(ConsoleOptionsValidator.Validate(estate), e => e.StartsWith("Estate:Datacenters:1:Id 'DC1' is used by another datacenter"));
    }

    [Theory]
    [InlineData("anm.dc1.test:8090")]
    [InlineData("ftp://anm.dc1.test")]
    [InlineData("/api")]
    public void AnmUrlThatIsNotAbsoluteHttp_NamesTheUrlKey(string url)
    {
        var estate = ValidEstate();
        estate.Datacenters[0].AdminNodeManager.Urls.Add(url);
        Assert.Contains($"Estate:Datacenters:0:AdminNodeManager:Urls:1 '{url}' is not an absolute http(s) URL.", ConsoleOptionsValidator.Validate(estate));
    }

    [Fact]
    public void DatacenterWithoutAnmUrls_IsAnError()
    {
        var estate = ValidEstate();
        estate.Datacenters[1].AdminNodeManager.Urls.Clear();
        Assert.Contains("Estate:Datacenters:1:AdminNodeManager:Urls must list at least one URL.", ConsoleOptionsValidator.Validate(estate));
    }

    [Fact]
    public void ConsoleDatacenterNotAmongTheIds_ListsTheIds()
    {
        var estate = ValidEstate();
        estate.ConsoleDatacenter = "dc3";
        Assert.Contains("Estate:ConsoleDatacenter 'dc3' is not the id of a configured datacenter (dc1, dc2).", ConsoleOptionsValidator.Validate(estate));
    }

    [Fact]
    public void BadCassandraContactPoint_NamesItsKey()
    {
        var estate = ValidEstate();
        estate.Datacenters[0].Cassandra.ContactPoints.Add("host:notaport");
        Assert.Contains(ConsoleOptionsValidator.Validate(estate), e => e.StartsWith("Estate:Datacenters:0:Cassandra:ContactPoints:3 "));
    }

    [Fact]
    public void LogsWithBothDirectoryAndUrl_IsRejected()
    {
        var estate = ValidEstate();
        estate.Datacenters[1].Logs.Directory = "/mnt/dc2-trace";
        Assert.Contains("Estate:Datacenters:1:Logs: set either Directory or Url, not both.", ConsoleOptionsValidator.Validate(estate));
    }

    [Fact]
    public void DefaultProbes_AreValid() => Assert.Empty(ConsoleOptionsValidator.Validate(new ProbeOptions()));

    [Fact]
    public void FastIntervalLongerThanInterval_NamesProbesFastInterval()
    {
        var probes = new ProbeOptions { FastInterval = TimeSpan.FromSeconds(2) };
        Assert.Contains(ConsoleOptionsValidator.Validate(probes), e => e.StartsWith("Probes:FastInterval"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void FallOutOfRange_NamesProbesFall(int fall) =>
        Assert.Contains(ConsoleOptionsValidator.Validate(new ProbeOptions { Fall = fall }), e => e.StartsWith("Probes:Fall"));

    [Fact]
    public void DefaultStorage_IsValid() => Assert.Empty(ConsoleOptionsValidator.Validate(new StorageOptions()));

    [Fact]
    public void UnknownProvider_NamesStorageProvider() =>
        Assert.Contains("Storage:Provider 'Oracle' is unknown: use 'Sqlite' or 'SqlServer'.",
            ConsoleOptionsValidator.Validate(new StorageOptions { Provider = "Oracle" }));

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("00:05:00.001")]
    [InlineData("01:00:00")]
    public void BusyTimeoutOutOfRange_NamesStorageBusyTimeout(string value)
    {
        var errors = ConsoleOptionsValidator.Validate(new StorageOptions { BusyTimeout = TimeSpan.Parse(value) });
        Assert.Contains($"Storage:BusyTimeout must be more than 0 and at most 5 minutes, not {TimeSpan.Parse(value)}.", errors);
    }

    [Theory]
    [InlineData("00:00:00.001", 1)]
    [InlineData("00:00:00.200", 1)]
    [InlineData("00:00:01", 1)]
    [InlineData("00:00:02.500", 3)]
    [InlineData("00:00:05", 5)]
    [InlineData("00:05:00", 300)]
    public void BusyTimeoutInRange_IsValid_AndBecomesWholeSecondsRoundedUp(string value, int seconds)
    {
        var storage = new StorageOptions { BusyTimeout = TimeSpan.Parse(value) };
        Assert.Empty(ConsoleOptionsValidator.Validate(storage));
        Assert.Equal(seconds, storage.BusyTimeoutSeconds);
    }

    [Fact]
    public void SqlServerWithoutConnectionString_NamesStorageConnectionString() =>
        Assert.Contains("Storage:ConnectionString is required when Storage:Provider is SqlServer.",
            ConsoleOptionsValidator.Validate(new StorageOptions { Provider = "SqlServer" }));
}
