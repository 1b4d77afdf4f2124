using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Cassandra;
using ApimConsole.Monitoring.Tests.Hostile;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary>
/// <c>Lab:CassandraTls</c> end to end: the lab's nodes speak TLS, and the configuration the lab hands a console
/// (<see cref="LabEstate.ToConsoleConfiguration"/>) binds, validates and lets the probe reach every node.
/// </summary>
public sealed class CassandraProbeLabTlsWiringTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LabWithCassandraTls_PointsTheConsoleAtIt_AndEveryNodeIsUp(bool requireClientCertificate)
    {
        await using var lab = await LabEstate.StartAsync(
            new LabOptions
            {
                TrafficRatePerSecond = 0,
                WriteTraceFiles = false,
                CassandraNodesPerDatacenter = 1,
                CassandraTls = new LabCassandraTlsOptions { Enabled = true, RequireClientCertificate = requireClientCertificate },
            },
            NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(lab.ToConsoleConfiguration()).Build();
        var estate = configuration.GetSection(EstateOptions.SectionName).Get<EstateOptions>()!;
        estate.Name = "lab";

        Assert.Empty(ConsoleOptionsValidator.Validate(estate));
        Assert.Equal(2, estate.Datacenters.Count);
        foreach (var dc in estate.Datacenters)
        {
            var tls = dc.Cassandra.Tls;
            Assert.True(tls.Enabled);
            Assert.True(tls.CheckHostName);
            Assert.Equal(requireClientCertificate, tls.ClientCertificateFile is not null);
            var errors = new List<string>();
            var material = CassandraTlsFiles.TryLoad(tls, "Estate:Datacenters:N:Cassandra:Tls", errors);
            Assert.Empty(errors);
            foreach (var contactPoint in dc.Cassandra.ContactPoints)
            {
                Assert.True(HostPort.TryParse(contactPoint, 9042, out var endpoint));
                var withTls = await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(endpoint, dc.Cassandra.Username, dc.Cassandra.Password, material),
                    TimeSpan.FromSeconds(5), CancellationToken.None);
                var inClear = await new CassandraProbe().ProbeAsync(new CassandraProbeRequest(endpoint, dc.Cassandra.Username, dc.Cassandra.Password),
                    TimeSpan.FromSeconds(1), CancellationToken.None);

                Assert.True(withTls.Success, $"{contactPoint}: {withTls.Failure}");
                Assert.False(inClear.Success);
            }
        }
    }

    [Fact]
    public async Task StatusEngine_WithTheLabsTlsConfiguration_SeesEveryCassandraNodeUp_AndWithoutTls_Down()
    {
        await using var lab = await LabEstate.StartAsync(
            new LabOptions
            {
                TrafficRatePerSecond = 0,
                WriteTraceFiles = false,
                CassandraNodesPerDatacenter = 2,
                CassandraTls = new LabCassandraTlsOptions { Enabled = true, RequireClientCertificate = true },
            },
            NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(lab.ToConsoleConfiguration()).Build();
        var estate = configuration.GetSection(EstateOptions.SectionName).Get<EstateOptions>()!;
        var dc1 = estate.Datacenters[0];
        var dc2 = estate.Datacenters[1];
        dc2.Cassandra.Tls = new CassandraTlsOptions();

        await using var engine = await HostileEngine.StartAsync(dc1, dc2);
        var snapshot = await engine.WaitForAsync(
            s => s.AllComponents().Count(c => c.Key.Contains("cassandra", StringComparison.Ordinal) && c.State != ComponentState.Unknown) == 4
                && s.AllComponents().Any(c => c.Key.StartsWith("dc2/cassandra", StringComparison.Ordinal) && c.State == ComponentState.Down)
                && s.AllComponents().Where(c => c.Key.StartsWith("dc1/cassandra", StringComparison.Ordinal)).All(c => c.State == ComponentState.Up),
            "dc1's Cassandra nodes Up over TLS and dc2's (configured without TLS) Down");

        var cassandra = snapshot.AllComponents().Where(c => c.Key.Contains("cassandra", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, cassandra.Count(c => c.Key.StartsWith("dc1/", StringComparison.Ordinal) && c.State == ComponentState.Up));
        Assert.Contains(cassandra, c => c.Key.StartsWith("dc2/", StringComparison.Ordinal) && c.State == ComponentState.Down
            && c.Reason!.Contains("waiting for SUPPORTED", StringComparison.Ordinal));
    }
}
