using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using ApimConsole.Core.Configuration;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>The certificates <see cref="CassandraTlsOptions"/> names, loaded.</summary>
public sealed record CassandraTlsMaterial(X509Certificate2Collection? TrustedCertificates, X509Certificate2? ClientCertificate, bool CheckHostName);

/// <summary>
/// Loads the files of <see cref="CassandraTlsOptions"/>, for the probe and for <see cref="EstateFileChecks"/>, which
/// tells an operator at start that a certificate file is missing or unreadable instead of letting every node show Down
/// later. Every message names the configuration key.
/// </summary>
public static class CassandraTlsFiles
{
    /// <summary>The loaded material, or null with <paramref name="errors"/> naming each problem under <paramref name="key"/>.</summary>
    /// <param name="key">The options' key, e.g. <c>Estate:Datacenters:0:Cassandra:Tls</c>.</param>
    public static CassandraTlsMaterial? TryLoad(CassandraTlsOptions tls, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        X509Certificate2Collection? trusted = null;
        X509Certificate2? client = null;

        if (!string.IsNullOrWhiteSpace(tls.CaFile) && FileExists(errors, $"{key}:CaFile", tls.CaFile))
        {
            try
            {
                trusted = new X509Certificate2Collection();
                trusted.ImportFromPemFile(tls.CaFile);
                if (trusted.Count == 0)
                    errors.Add($"{key}:CaFile '{tls.CaFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                errors.Add($"{key}:CaFile '{tls.CaFile}' could not be read as PEM certificates: {e.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(tls.ClientKeyFile) && string.IsNullOrWhiteSpace(tls.ClientCertificateFile))
            errors.Add($"{key}:ClientKeyFile is set but {key}:ClientCertificateFile is not: set the certificate the key belongs to.");
        if (!string.IsNullOrWhiteSpace(tls.ClientCertificateFile) && FileExists(errors, $"{key}:ClientCertificateFile", tls.ClientCertificateFile)
            && (string.IsNullOrWhiteSpace(tls.ClientKeyFile) || FileExists(errors, $"{key}:ClientKeyFile", tls.ClientKeyFile)))
        {
            client = LoadClientCertificate(tls, key, errors);
        }

        return errors.Count == before ? new CassandraTlsMaterial(trusted, client, tls.CheckHostName) : null;
    }

    private static bool FileExists(List<string> errors, string key, string path)
    {
        if (File.Exists(path))
            return true;
        errors.Add($"{key}: the file '{path}' does not exist (working folder {Environment.CurrentDirectory}).");
        return false;
    }

    private static X509Certificate2? LoadClientCertificate(CassandraTlsOptions tls, string key, List<string> errors)
    {
        var file = tls.ClientCertificateFile!;
        var password = string.IsNullOrEmpty(tls.ClientCertificatePassword) ? null : tls.ClientCertificatePassword;
        try
        {
            X509Certificate2 certificate;
            if (!LooksLikePem(file))
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(file, password);
            }
            else
            {
                var keyFile = string.IsNullOrWhiteSpace(tls.ClientKeyFile) ? null : tls.ClientKeyFile;
                using var pem = password is null
                    ? X509Certificate2.CreateFromPemFile(file, keyFile)
                    : X509Certificate2.CreateFromEncryptedPemFile(file, password, keyFile);
                // A PEM key is ephemeral; TLS stacks want a key they can hand to the handshake, as from a PFX.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            if (!certificate.HasPrivateKey)
            {
                errors.Add($"{key}:ClientCertificateFile '{file}' has no private key: add it to the file, or set {key}:ClientKeyFile.");
                certificate.Dispose();
                return null;
            }
            return certificate;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            errors.Add($"{key}:ClientCertificateFile '{file}' could not be loaded as a PEM certificate with its key or a PFX file"
                + (password is null ? "" : " (with the password given)") + $": {e.Message}");
            return null;
        }
    }

    private static bool LooksLikePem(string file)
    {
        Span<byte> start = stackalloc byte[64];
        using var stream = File.OpenRead(file);
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.ASCII.GetString(start[..read]).Contains("-----BEGIN", StringComparison.Ordinal);
    }
}
