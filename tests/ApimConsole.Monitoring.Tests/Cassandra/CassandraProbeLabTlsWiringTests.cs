using ApimConsole.Core.Configuration;
using ApimConsole.Lab;
using ApimConsole.Monitoring.Cassandra;
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
}
