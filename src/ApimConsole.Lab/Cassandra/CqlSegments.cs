using System.Buffers.Binary;

namespace ApimConsole.Lab.Cassandra;

/// <summary>
/// Protocol v5 framing (doc/native_protocol_v5.spec, section 2): once the answer to STARTUP has gone out, envelopes
/// travel inside segments. A segment is a little-endian header (3 bytes: payload length in bits 0-16, self-contained
/// flag in bit 17; with LZ4 compression 5 bytes: compressed length in bits 0-16, uncompressed length in bits 17-33,
/// 0 when the payload was left uncompressed, self-contained flag in bit 34), a CRC24 of that header (3 bytes), the
/// payload (at most 128 KiB - 1; compressed as a bare LZ4 block), and a CRC32 of the payload (4 bytes). A
/// self-contained segment holds whole envelopes; a bigger envelope is cut over several segments that are not.
/// </summary>
public static class CqlSegments
{
    public const int MaxPayloadLength = 128 * 1024 - 1;

    private const int Crc24Init = 0x875060;
    private const int Crc24Poly = 0x1974F0B;
    private static readonly uint[] Crc32Table = BuildCrc32Table();
    // The payload CRC32 starts as if these 4 bytes had been hashed first.
    private static readonly uint Crc32Initial = Crc32Update(0xFFFFFFFFu, [0xFA, 0x2D, 0x55, 0xCA]);

    /// <summary>CRC24 of the low <paramref name="length"/> bytes of <paramref name="data"/>, least significant first.</summary>
    public static int Crc24(ulong data, int length)
    {
        var crc = Crc24Init;
        for (var n = 0; n < length; n++)
        {
            crc ^= (int)(data & 0xFF) << 16;
            data >>= 8;
            for (var i = 0; i < 8; i++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                    crc ^= Crc24Poly;
            }
        }
        return crc;
    }

    /// <summary>The payload CRC32 (the standard CRC-32, primed with FA 2D 55 CA).</summary>
    public static uint Crc32(ReadOnlySpan<byte> payload) => ~Crc32Update(Crc32Initial, payload);

    private static uint Crc32Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            crc = Crc32Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrc32Table()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>One envelope as segments: one self-contained segment when it fits, else pieces that are not.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> envelope, bool lz4) => Wrap(envelope, lz4, out _);

    /// <summary>As <see cref="Wrap(ReadOnlySpan{byte}, bool)"/>; <paramref name="compressed"/>: some segment went out compressed.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> envelope, bool lz4, out bool compressed)
    {
        compressed = false;
        var output = new MemoryStream(envelope.Length + 16);
        var selfContained = envelope.Length <= MaxPayloadLength;
        var offset = 0;
        do
        {
            var piece = envelope.Slice(offset, Math.Min(MaxPayloadLength, envelope.Length - offset));
            compressed |= WriteSegment(output, piece, selfContained, lz4);
            offset += piece.Length;
        }
        while (offset < envelope.Length);
        return output.ToArray();
    }

    private static bool WriteSegment(MemoryStream output, ReadOnlySpan<byte> payload, bool selfContained, bool lz4)
    {
        var compressed = false;
        ulong header;
        int headerLength;
        ReadOnlySpan<byte> written = payload;
        if (lz4)
        {
            var block = new byte[Lz4Block.MaxCompressedLength(payload.Length)];
            var length = Lz4Block.Encode(payload, block);
            // Not worth it: sent as it is, uncompressed length 0.
            compressed = length < payload.Length;
            if (compressed)
                written = block.AsSpan(0, length);
            header = (uint)written.Length | ((ulong)(uint)(compressed ? payload.Length : 0) << 17) | (selfContained ? 1UL << 34 : 0UL);
            headerLength = 5;
        }
        else
        {
            header = (uint)payload.Length | (selfContained ? 1UL << 17 : 0UL);
            headerLength = 3;
        }
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, header);
        output.Write(bytes[..headerLength]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)Crc24(header, headerLength));
        output.Write(bytes[..3]);
        output.Write(written);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Crc32(written));
        output.Write(bytes[..4]);
        return compressed;
    }

    /// <summary>
    /// Reads segments from <paramref name="inner"/> and serves their payloads as one stream of envelope bytes (so the
    /// envelope reader needs no change). A CRC mismatch or a malformed segment is an <see cref="IOException"/>: the
    /// stream can no longer be trusted, and the node closes the connection, as Cassandra does.
    /// </summary>
    public sealed class ReadStream(Stream inner, bool lz4, Action? compressedSegmentRead = null) : Stream
    {
        private byte[] _payload = [];
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_position == _payload.Length)
            {
                if (!await NextSegmentAsync(cancellationToken).ConfigureAwait(false))
                    return 0;
            }
            var count = Math.Min(buffer.Length, _payload.Length - _position);
            _payload.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        private async Task<bool> NextSegmentAsync(CancellationToken token)
        {
            var headerLength = lz4 ? 5 : 3;
            var head = new byte[headerLength + 3];
            if (await inner.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, token).ConfigureAwait(false) < head.Length)
                return false;
            Span<byte> wide = stackalloc byte[8];
            head.AsSpan(0, headerLength).CopyTo(wide);
            var header = BinaryPrimitives.ReadUInt64LittleEndian(wide);
            var crc = head[headerLength] | (head[headerLength + 1] << 8) | (head[headerLength + 2] << 16);
            if (crc != Crc24(header, headerLength))
                throw new IOException("CRC24 mismatch on a v5 segment header");
            var length = (int)(header & MaxPayloadLength);
            var uncompressed = lz4 ? (int)((header >> 17) & MaxPayloadLength) : 0;
            var payload = new byte[length];
            await inner.ReadExactlyAsync(payload, token).ConfigureAwait(false);
            var trailer = new byte[4];
            await inner.ReadExactlyAsync(trailer, token).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != Crc32(payload))
                throw new IOException("CRC32 mismatch on a v5 segment payload");
            if (uncompressed > 0)
            {
                try
                {
                    payload = Lz4Block.Decode(payload, uncompressed);
                    compressedSegmentRead?.Invoke();
                }
                catch (CqlCompressionException e)
                {
                    throw new IOException($"Cannot decompress a v5 segment: {e.Message}", e);
                }
            }
            _payload = payload;
            _position = 0;
            return true;
        }
    }
}
