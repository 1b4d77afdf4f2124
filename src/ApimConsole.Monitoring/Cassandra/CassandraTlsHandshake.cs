using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ApimConsole.Core.Configuration;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>A TLS handshake that failed, with a reason an operator can act on.</summary>
public sealed class CassandraTlsException(string message) : Exception(message);

/// <summary>
/// The client side of a CQL connection's TLS (Cassandra's <c>client_encryption_options</c>): TLS 1.2 or 1.3, the node's
/// certificate checked against the configured CA (or the system store) and, unless switched off, against the host
/// the console connects to; the client certificate offered when the node asks for one. When the handshake fails,
/// <see cref="AuthenticateAsync"/> throws <see cref="CassandraTlsException"/> saying why in the operator's terms.
/// </summary>
internal sealed class CassandraTlsHandshake(string host, CassandraTlsMaterial material)
{
    private string? _verdict;
    private FirstBytesStream? _wire;

    /// <summary>The node sent a CertificateRequest (it runs with <c>require_client_auth</c>, or asks optionally).</summary>
    public bool ServerAskedForCertificate { get; private set; }

    public async Task<Stream> AuthenticateAsync(Stream network, CancellationToken cancellationToken)
    {
        _wire = new FirstBytesStream(network);
        var ssl = new SslStream(_wire, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(certificate as X509Certificate2, chain, errors),
            LocalCertificateSelectionCallback = (_, _, _, _, _) =>
            {
                ServerAskedForCertificate = true;
                return material.ClientCertificate!;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new CassandraTlsException(Explain(e));
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The reason when <paramref name="failure"/> (on the first exchange after the handshake) is the node refusing the
    /// connection because no client certificate came; null otherwise.
    /// </summary>
    public string? RefusedForWantOfAClientCertificate(Exception failure)
    {
        if (material.ClientCertificate is not null || failure is OperationCanceledException)
            return null;
        var brokenOff = failure is IOException or AuthenticationException
            || (failure is CqlProtocolException p && p.Message.StartsWith("connection closed", StringComparison.Ordinal));
        return brokenOff && ServerAskedForCertificate ? ClientCertificateReason : null;
    }

    private const string ClientCertificateReason =
        "server asks for a client certificate (require_client_auth): set Estate:Datacenters:N:Cassandra:Tls:ClientCertificateFile";

    private string Explain(Exception e)
    {
        if (_verdict is not null)
            return _verdict;
        if (_wire!.First is { } first && !IsTlsRecordType(first))
        {
            return (first & 0x7F) is >= 1 and <= 6 && (first & 0x80) != 0
                ? $"the node does not speak TLS (it answered in clear: a CQL v{first & 0x7F} frame)"
                : $"the node does not speak TLS (it answered in clear: first byte 0x{first:X2})";
        }
        if (material.ClientCertificate is null && ServerAskedForCertificate)
            return ClientCertificateReason;
        if (_wire.First is null)
            return $"TLS handshake failed: the node closed the connection without answering ({Innermost(e)})";
        return $"TLS handshake failed: {Innermost(e)}";
    }

    private static string Innermost(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (!messages.Contains(current.Message))
                messages.Add(current.Message);
        }
        return string.Join(": ", messages);
    }

    /// <summary>TLS record content types: change_cipher_spec, alert, handshake, application_data.</summary>
    private static bool IsTlsRecordType(byte first) => first is >= 20 and <= 23;

    private bool Validate(X509Certificate2? certificate, X509Chain? systemChain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            _verdict = "TLS handshake failed: the node presented no certificate";
            return false;
        }

        if (material.TrustedCertificates is { Count: > 0 } trusted)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            // Intermediates the node sent with its certificate.
            if (systemChain is not null)
            {
                foreach (var element in systemChain.ChainElements)
                {
                    if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                        chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            if (!chain.Build(certificate))
            {
                _verdict = $"certificate not trusted: {Statuses(chain)} ({certificate.Subject}, issued by {certificate.Issuer}; not signed by a CA of Cassandra:Tls:CaFile)";
                return false;
            }
        }
        else if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            _verdict = $"certificate not trusted: {(systemChain is null ? "chain errors" : Statuses(systemChain))} ({certificate.Subject}, issued by {certificate.Issuer}; not trusted by the system store: set Cassandra:Tls:CaFile)";
            return false;
        }

        if (material.CheckHostName && !certificate.MatchesHostname(host, allowWildcards: true, allowCommonName: true))
        {
            _verdict = $"certificate name mismatch: the node presented {Names(certificate)}, expected {host}";
            return false;
        }
        return true;
    }

    private static string Statuses(X509Chain chain)
    {
        var statuses = chain.ChainStatus
            .Where(s => s.Status != X509ChainStatusFlags.NoError)
            .Select(s => string.IsNullOrWhiteSpace(s.StatusInformation) ? s.Status.ToString() : $"{s.Status} ({s.StatusInformation.Trim()})")
            .Distinct()
            .ToList();
        return statuses.Count == 0 ? "the chain does not end at a trusted CA" : string.Join(", ", statuses);
    }

    private static string Names(X509Certificate2 certificate)
    {
        var names = new List<string> { certificate.Subject };
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames().Select(d => "DNS:" + d));
                names.AddRange(san.EnumerateIPAddresses().Select(a => "IP:" + a));
            }
        }
        return names.Count == 1 ? names[0] : $"{names[0]} (SAN {string.Join(", ", names.Skip(1))})";
    }

    /// <summary>Passes everything through and keeps the first byte the node sent: TLS or not.</summary>
    private sealed class FirstBytesStream(Stream inner) : Stream
    {
        public byte? First { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0 && First is null)
                First = buffer.Span[0];
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            if (read > 0 && First is null)
                First = buffer[offset];
            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
