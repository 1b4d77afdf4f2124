using System.Buffers.Binary;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>
/// Reads v4 response frames from a stream. The body length is checked against the limit before anything is allocated
/// for it, so a server claiming a 2 GB body costs nothing; a short read is a truncated frame, never a hang past the
/// caller's cancellation.
/// </summary>
public sealed class CqlFrameReader(Stream stream, int maxBodyBytes)
{
    public const int ExpectedProtocolVersion = 4;

    private readonly byte[] _header = new byte[CqlFrameHeader.Size];

    public int MaxBodyBytes { get; } = maxBodyBytes > 0 ? maxBodyBytes : throw new ArgumentOutOfRangeException(nameof(maxBodyBytes));

    public async Task<CqlFrame> ReadAsync(CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
            throw new CqlProtocolException("connection closed by server");
        if (read == _header.Length && IsOlderVersionError(_header, out var olderVersion, out var errorLength, out var alreadyRead))
            throw new CqlProtocolException(await RefusalAsync(olderVersion, errorLength, alreadyRead, cancellationToken).ConfigureAwait(false));
        var header = ParseHeader(_header.AsSpan(0, read), MaxBodyBytes);
        var body = new byte[header.BodyLength];
        read = await stream.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < body.Length)
            throw new CqlProtocolException($"truncated frame: connection closed after {read} of {body.Length} body bytes");
        return new CqlFrame(header, body);
    }

    /// <summary>
    /// An ERROR response framed in an older version (v1 to v3): how a node that does not speak v4 refuses it
    /// ("Invalid or unsupported protocol version"). v1 and v2 frames have an 8-byte header (one-byte stream id), so
    /// the ninth byte read is already the first of the body.
    /// </summary>
    private bool IsOlderVersionError(ReadOnlySpan<byte> header, out int version, out int length, out int alreadyRead)
    {
        version = header[0] & 0x7F;
        (length, alreadyRead) = (0, 0);
        if ((header[0] & 0x80) == 0 || version is < 1 or >= ExpectedProtocolVersion)
            return false;
        var shortHeader = version is 1 or 2;
        var opcode = header[shortHeader ? 3 : 4];
        length = BinaryPrimitives.ReadInt32BigEndian(header[(shortHeader ? 4 : 5)..]);
        alreadyRead = shortHeader ? 1 : 0;
        return opcode == (byte)CqlOpcode.Error && length >= alreadyRead && length <= MaxBodyBytes;
    }

    private async Task<string> RefusalAsync(int version, int length, int alreadyRead, CancellationToken cancellationToken)
    {
        var body = new byte[length];
        if (alreadyRead == 1)
            body[0] = _header[8];
        var read = alreadyRead + await stream.ReadAtLeastAsync(body.AsMemory(alreadyRead), length - alreadyRead, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < length)
            return $"wrong protocol version: server answered with v{version}, expected v{ExpectedProtocolVersion} (an ERROR cut short after {read} of {length} bytes)";
        try
        {
            var error = new CqlBodyReader(body).Error();
            return $"the node refuses protocol v{ExpectedProtocolVersion} (answered in v{version}): {error}";
        }
        catch (CqlProtocolException)
        {
            return $"wrong protocol version: server answered with v{version}, expected v{ExpectedProtocolVersion} (an unreadable ERROR)";
        }
    }

    /// <summary>Validates a response header: direction, version v4, a known opcode, a body length within the limit.</summary>
    public static CqlFrameHeader ParseHeader(ReadOnlySpan<byte> bytes, int maxBodyBytes)
    {
        // A TLS record (alert or handshake, protocol 3.x) where a frame should be: the node wants client encryption.
        if (bytes.Length >= 3 && bytes[0] is >= 0x14 and <= 0x17 && bytes[1] == 0x03 && bytes[2] <= 0x04)
            throw new CqlProtocolException("the node answered in TLS (a TLS record instead of a CQL frame): it requires client encryption; set Estate:Datacenters:N:Cassandra:Tls:Enabled");
        if (bytes.Length < CqlFrameHeader.Size)
            throw new CqlProtocolException($"truncated frame: connection closed after {bytes.Length} of {CqlFrameHeader.Size} header bytes");
        var version = bytes[0];
        if ((version & 0x80) == 0)
            throw new CqlProtocolException($"malformed frame: version byte 0x{version:X2} is not a response");
        if ((version & 0x7F) != ExpectedProtocolVersion)
            throw new CqlProtocolException($"wrong protocol version: server answered with v{version & 0x7F}, expected v{ExpectedProtocolVersion}");
        var opcode = bytes[4];
        if (opcode > (byte)CqlOpcode.AuthSuccess || opcode == 0x04)
            throw new CqlProtocolException($"malformed frame: unknown opcode 0x{opcode:X2}");
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes[5..]);
        if (length < 0)
            throw new CqlProtocolException($"malformed frame: negative body length {length}");
        if (length > maxBodyBytes)
            throw new CqlProtocolException($"oversized frame: body of {length} bytes exceeds the limit of {maxBodyBytes} bytes");
        return new CqlFrameHeader(version, bytes[1], BinaryPrimitives.ReadInt16BigEndian(bytes[2..]), (CqlOpcode)opcode, length);
    }
}
