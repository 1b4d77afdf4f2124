using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Estate;
using ApimConsole.Monitoring.LoadBalancer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ApimConsole.Monitoring.Tests.LoadBalancer;

/// <summary>
/// A load balancer's management interface over HTTPS with a certificate from a private CA: trusted through
/// <c>Estate:LoadBalancer:CaFile</c> (that CA only, host name checked) or <c>AcceptAnyServerCertificate</c>, refused
/// otherwise, and the basic-auth credentials sent.
/// </summary>
public sealed class WitnessTlsTests : IAsyncLifetime
{
    private const string Csv = "# pxname,svname,status\nbe_dc1,dc1-gw1,UP\nbe_dc1,BACKEND,UP\nbe_dc2,dc2-gw1,DOWN\nbe_dc2,BACKEND,DOWN\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("witness-tls-").FullName;
    private WebApplication _server = null!;
    private string? _authorization;

    private string CaFile => Path.Combine(_folder, "ca.pem");
    private string OtherCaFile => Path.Combine(_folder, "other-ca.pem");
    private int Port { get; set; }

    public async Task InitializeAsync()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Witness test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(CaFile, ca.ExportCertificatePem());
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=Someone else's CA", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(OtherCaFile, other.ExportCertificatePem());

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        // Through PKCS#12 so the server certificate carries a private key Kestrel can use.
        var leaf = X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(leafKey).Export(X509ContentType.Pkcs12, "t"), "t");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(leaf)));
        _server = builder.Build();
        _server.Run(context =>
        {
            _authorization = context.Request.Headers.Authorization;
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync(Csv);
        });
        await _server.StartAsync();
        Port = new Uri(_server.Urls.First()).Port;
    }

    private LoadBalancerOptions Options(Action<LoadBalancerOptions> configure)
    {
        var options = new LoadBalancerOptions
        {
            Kind = LoadBalancerKinds.HaproxyCsv,
            StatusUrl = $"https://localhost:{Port}/stats",
            Username = "witness",
            Password = "secret",
            Datacenters =
            {
                ["dc1"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc1"] },
                ["dc2"] = new LoadBalancerDatacenterOptions { Pools = ["be_dc2"] },
            },
        };
        configure(options);
        return options;
    }

    private static async Task<IReadOnlyList<LoadBalancerPool>> ReadAsync(LoadBalancerOptions options)
    {
        using var http = LoadBalancerWitnesses.CreateHttpClient(options, TimeSpan.FromSeconds(5));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await LoadBalancerWitnesses.Create(options, ["dc1", "dc2"], http).ReadPoolsAsync(cts.Token);
    }

    private static readonly LoadBalancerPool[] Expected = [new("dc1", true, 1, 1), new("dc2", false, 0, 1)];

    [Fact]
    public async Task CaFile_TrustsThatCa_AndSendsTheCredentials()
    {
        Assert.Equal(Expected, await ReadAsync(Options(o => o.CaFile = CaFile)));
        Assert.Equal("Basic d2l0bmVzczpzZWNyZXQ=", _authorization); // witness:secret
    }

    [Fact]
    public async Task AcceptAnyServerCertificate_Reads() =>
        Assert.Equal(Expected, await ReadAsync(Options(o => o.AcceptAnyServerCertificate = true)));

    [Fact]
    public async Task NoTrust_AnotherCa_OrTheWrongHostName_AreRefused()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => ReadAsync(Options(_ => { })));
        await Assert.ThrowsAsync<HttpRequestException>(() => ReadAsync(Options(o => o.CaFile = OtherCaFile)));
        // The right CA, but the certificate names localhost, not 127.0.0.1.
        await Assert.ThrowsAsync<HttpRequestException>(() => ReadAsync(Options(o =>
        {
            o.CaFile = CaFile;
            o.StatusUrl = $"https://127.0.0.1:{Port}/stats";
        })));
    }

    [Fact]
    public async Task CaFileThatIsNotPem_StopsStartNamingTheKey()
    {
        var garbage = Path.Combine(_folder, "garbage.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate");
        var estate = new EstateOptions
        {
            Name = "tls",
            ConsoleDatacenter = "dc1",
            Datacenters = [new() { Id = "dc1", AdminNodeManager = new() { Urls = ["https://anm.dc1.test"] } }, new() { Id = "dc2", AdminNodeManager = new() { Urls = ["https://anm.dc2.test"] } }],
            LoadBalancer = Options(o => o.CaFile = garbage),
        };
        Assert.Contains($"Estate:LoadBalancer:CaFile '{garbage}' holds no PEM certificate.", EstateFileChecks.Validate(estate));
        estate.LoadBalancer.CaFile = CaFile;
        Assert.Empty(EstateFileChecks.Validate(estate));
        Assert.Empty(ConsoleOptionsValidator.Validate(estate));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
