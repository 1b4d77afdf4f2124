using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ApimConsole.Lab.Cassandra;

/// <summary>
/// Makes the certificates a TLS lab needs (a CA, node certificates, client certificates) with
/// <see cref="CertificateRequest"/>: ECDSA P-256, valid from a day before <paramref name="now"/> for a year.
/// For the lab and its tests only; nothing here is meant for a real estate.
/// </summary>
public static class LabCertificates
{
    public static X509Certificate2 CreateAuthority(string commonName, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return Reloaded(certificate);
    }

    /// <summary>A certificate signed by <paramref name="authority"/>, for a server (with the given SAN) or a client.</summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, string commonName, DateTimeOffset now, bool server,
        IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? addresses = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        var any = false;
        foreach (var name in dnsNames ?? [])
        {
            san.AddDnsName(name);
            any = true;
        }
        foreach (var address in addresses ?? [])
        {
            san.AddIpAddress(address);
            any = true;
        }
        if (any)
            request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(authority, now.AddDays(-1), now.AddYears(1).AddDays(-1), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reloaded(withKey);
    }

    /// <summary>The certificate with its private key in PEM: certificate first, then the PKCS#8 key.</summary>
    public static string ToPemWithKey(X509Certificate2 certificate)
    {
        var key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("The certificate has no private key.");
        return certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    // Through PKCS#12 so the key is one every TLS stack of the platform can use (not an ephemeral one).
    private static X509Certificate2 Reloaded(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
