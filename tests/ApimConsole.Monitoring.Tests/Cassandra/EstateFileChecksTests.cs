using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Core.Configuration;

using ApimConsole.Monitoring;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring.Tests.Cassandra;

/// <summary><c>Estate:Datacenters:N:Cassandra:Tls</c>: the files it names are loaded at start, and every problem names its key.</summary>
public sealed class EstateFileChecksTests : IDisposable
{
    private const string Key = "Estate:Datacenters:0:Cassandra:Tls";
    private readonly string _folder = Directory.CreateTempSubdirectory("cassandra-tls-validator-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EstateOptions Estate(CassandraTlsOptions tls) => new()
    {
        Name = "Test estate",
        ConsoleDatacenter = "dc1",
        Datacenters =
        [
            new DatacenterOptions
            {
                Id = "dc1",
                AdminNodeManager = new AdminNodeManagerOptions { Urls = ["https://anm.dc1.test:8090"] },
                Cassandra = new CassandraOptions { ContactPoints = ["cass1.dc1.test"], Tls = tls },
            },
        ],
    };

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void TlsOff_IgnoresTheFiles()
    {
        var errors = EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = false, CaFile = "/nowhere/ca.pem" }));

        Assert.Empty(errors);
    }

    [Fact]
    public void TlsOnWithTheSystemStore_IsValid() =>
        Assert.Empty(EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true })));

    [Fact]
    public void MissingCaFile_NamesTheKeyAndThePath()
    {
        var missing = Path.Combine(_folder, "no-such-ca.pem");

        var errors = EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, CaFile = missing }));

        var error = Assert.Single(errors);
        Assert.StartsWith($"{Key}:CaFile: the file '{missing}' does not exist", error);
    }

    [Fact]
    public void CaFileWithoutACertificate_IsRefused()
    {
        var notPem = Write("ca.pem", "this is not a certificate\n");

        var error = Assert.Single(EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, CaFile = notPem })));

        Assert.StartsWith($"{Key}:CaFile '{notPem}'", error);
    }

    [Fact]
    public void PemCa_IsLoaded()
    {
        using var ca = SelfSigned("Test CA");
        var file = Write("ca.pem", ca.ExportCertificatePem());
        var errors = new List<string>();

        var material = CassandraTlsFiles.TryLoad(new CassandraTlsOptions { Enabled = true, CaFile = file, CheckHostName = false }, Key, errors);

        Assert.Empty(errors);
        Assert.Equal("CN=Test CA", Assert.Single(material!.TrustedCertificates!).Subject);
        Assert.False(material.CheckHostName);
        Assert.Null(material.ClientCertificate);
    }

    [Fact]
    public void MissingClientCertificateFile_NamesTheKey()
    {
        var missing = Path.Combine(_folder, "client.pfx");

        var error = Assert.Single(EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, ClientCertificateFile = missing })));

        Assert.StartsWith($"{Key}:ClientCertificateFile: the file '{missing}' does not exist", error);
    }

    [Fact]
    public void ClientKeyWithoutCertificate_IsRefused()
    {
        var key = Write("client.key", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");

        var error = Assert.Single(EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, ClientKeyFile = key })));

        Assert.StartsWith($"{Key}:ClientKeyFile is set but {Key}:ClientCertificateFile is not", error);
    }

    [Fact]
    public void PemClientCertificateWithoutItsKey_SaysToAddTheKey()
    {
        using var client = SelfSigned("apim-console");
        var file = Write("client.pem", client.ExportCertificatePem());

        var error = Assert.Single(EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, ClientCertificateFile = file })));

        Assert.StartsWith($"{Key}:ClientCertificateFile '{file}'", error);
    }

    [Fact]
    public void PemClientCertificateAndKeyInTwoFiles_AreLoaded()
    {
        using var client = SelfSigned("apim-console");
        var certificate = Write("client.pem", client.ExportCertificatePem());
        var key = Write("client.key", client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var errors = new List<string>();

        var material = CassandraTlsFiles.TryLoad(new CassandraTlsOptions { Enabled = true, ClientCertificateFile = certificate, ClientKeyFile = key }, Key, errors);

        Assert.Empty(errors);
        Assert.True(material!.ClientCertificate!.HasPrivateKey);
        Assert.Equal("CN=apim-console", material.ClientCertificate.Subject);
    }

    [Fact]
    public void PfxWithItsPassword_IsLoaded_AndWithAWrongPassword_IsRefusedNamingTheKey()
    {
        using var client = SelfSigned("apim-console");
        var pfx = WriteBytes("client.pfx", client.Export(X509ContentType.Pkcs12, "right"));
        var errors = new List<string>();

        var material = CassandraTlsFiles.TryLoad(new CassandraTlsOptions { Enabled = true, ClientCertificateFile = pfx, ClientCertificatePassword = "right" }, Key, errors);
        var wrong = EstateFileChecks.Validate(Estate(new CassandraTlsOptions { Enabled = true, ClientCertificateFile = pfx, ClientCertificatePassword = "wrong" }));

        Assert.Empty(errors);
        Assert.True(material!.ClientCertificate!.HasPrivateKey);
        Assert.StartsWith($"{Key}:ClientCertificateFile '{pfx}' could not be loaded as a PEM certificate with its key or a PFX file (with the password given)", Assert.Single(wrong));
    }

    [Fact]
    public void LoadBalancerCaFile_MissingOrNotPem_NamesTheKey()
    {
        var missing = Path.Combine(_folder, "no-lb-ca.pem");
        var notPem = Write("lb-ca.pem", "not a certificate\n");
        var estate = Estate(new CassandraTlsOptions());

        estate.LoadBalancer.CaFile = missing;
        Assert.Equal($"Estate:LoadBalancer:CaFile '{missing}' does not exist.", Assert.Single(EstateFileChecks.Validate(estate)));
        estate.LoadBalancer.CaFile = notPem;
        Assert.StartsWith($"Estate:LoadBalancer:CaFile '{notPem}' holds no PEM certificate", Assert.Single(EstateFileChecks.Validate(estate)));
    }

    [Fact]
    public void PeerCaFile_Missing_NamesTheKey()
    {
        var missing = Path.Combine(_folder, "no-peer-ca.pem");
        Assert.Equal($"Peer:CaFile '{missing}' does not exist.", Assert.Single(EstateFileChecks.Validate(new ApimConsole.Core.Peer.PeerOptions { CaFile = missing })));
        Assert.Empty(EstateFileChecks.Validate(new ApimConsole.Core.Peer.PeerOptions()));
    }

}
