using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Core.Configuration;
using ApimConsole.Core.Peer;
using ApimConsole.Monitoring.Cassandra;

namespace ApimConsole.Monitoring;

/// <summary>
/// The start-up checks of configuration that names files: each datacenter's Cassandra TLS files, the load balancer
/// witness's and the peer console's CA files. They read the disk, so they live here and not in Core's
/// <see cref="ConsoleOptionsValidator"/> (which checks what the operator wrote, without I/O); the host runs both, and
/// every message names its key.
/// </summary>
public static class EstateFileChecks
{
    public static IReadOnlyList<string> Validate(EstateOptions estate)
    {
        ArgumentNullException.ThrowIfNull(estate);
        var errors = new List<string>();
        for (var i = 0; i < estate.Datacenters.Count; i++)
        {
            var tls = estate.Datacenters[i].Cassandra.Tls;
            if (tls.Enabled)
                CassandraTlsFiles.TryLoad(tls, $"{EstateOptions.SectionName}:Datacenters:{i}:Cassandra:Tls", errors);
        }
        var caFile = estate.LoadBalancer.CaFile;
        if (!string.IsNullOrWhiteSpace(caFile))
        {
            const string key = "Estate:LoadBalancer:CaFile";
            if (!File.Exists(caFile))
                errors.Add($"{key} '{caFile}' does not exist.");
            else if (ReadCertificates(caFile) is { } problem)
                errors.Add($"{key} '{caFile}' {problem}.");
        }
        return errors;
    }

    public static IReadOnlyList<string> Validate(PeerOptions peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return !string.IsNullOrWhiteSpace(peer.CaFile) && !File.Exists(peer.CaFile)
            ? [$"Peer:CaFile '{peer.CaFile}' does not exist."]
            : [];
    }

    /// <summary>Null when the file holds at least one PEM certificate, else what is wrong with it.</summary>
    private static string? ReadCertificates(string path)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            return certificates.Count > 0 ? null : "holds no PEM certificate";
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"cannot be read as PEM certificates: {e.Message}";
        }
    }
}
