using System.Buffers.Binary;

namespace ApimConsole.Lab.Cassandra;

/// <summary>A compressed frame body that cannot be decompressed: truncated, malformed, or larger than allowed.</summary>
public sealed class CqlCompressionException(string message) : Exception(message);

/// <summary>
/// Frame body compression of CQL native protocol v3/v4 (doc/native_protocol_v4.spec, section 5 "Compression"),
/// negotiated by STARTUP's COMPRESSION option. Both codecs are written here from their format descriptions (no
/// package): LZ4 is the body's uncompressed length as a 4-byte big-endian [int] followed by one LZ4 block; Snappy is
/// the raw Snappy format (a varint length preamble, then literals and copies), no framing.
/// </summary>
public abstract class CqlFrameCompressor
{
    public static readonly CqlFrameCompressor Lz4 = new Lz4FrameCompressor();
    public static readonly CqlFrameCompressor Snappy = new SnappyFrameCompressor();

    /// <summary>The COMPRESSION value of STARTUP that selects this codec.</summary>
    public abstract string Name { get; }

    public abstract byte[] Compress(ReadOnlySpan<byte> body);

    /// <summary>Refuses anything malformed and any body that would be over <paramref name="maxLength"/> bytes, before allocating it.</summary>
    public abstract byte[] Decompress(ReadOnlySpan<byte> compressed, int maxLength);

    /// <summary>The codec for a STARTUP COMPRESSION value (case-insensitive, as Cassandra lower-cases it); null if unknown.</summary>
    public static CqlFrameCompressor? ForName(string name) => name.ToLowerInvariant() switch
    {
        "lz4" => Lz4,
        "snappy" => Snappy,
        _ => null,
    };

    private sealed class Lz4FrameCompressor : CqlFrameCompressor
    {
        public override string Name => "lz4";

        public override byte[] Compress(ReadOnlySpan<byte> body)
        {
            var output = new byte[4 + Lz4Block.MaxCompressedLength(body.Length)];
            BinaryPrimitives.WriteInt32BigEndian(output, body.Length);
            var written = Lz4Block.Encode(body, output.AsSpan(4));
            return output.AsSpan(0, 4 + written).ToArray();
        }

        public override byte[] Decompress(ReadOnlySpan<byte> compressed, int maxLength)
        {
            if (compressed.Length < 4)
                throw new CqlCompressionException("LZ4 body shorter than its 4-byte length");
            var length = BinaryPrimitives.ReadInt32BigEndian(compressed);
            if (length < 0 || length > maxLength)
                throw new CqlCompressionException($"LZ4 body claims {length} uncompressed bytes, over the limit of {maxLength}");
            // An LZ4 byte yields at most 255 bytes (a match length byte): a bigger claim is a lie, refused before allocating.
            if (length > (long)(compressed.Length - 4) * 255 + 16)
                throw new CqlCompressionException($"LZ4 body claims {length} uncompressed bytes, more than its {compressed.Length - 4} bytes can hold");
            return Lz4Block.Decode(compressed[4..], length);
        }
    }

    private sealed class SnappyFrameCompressor : CqlFrameCompressor
    {
        public override string Name => "snappy";

        public override byte[] Compress(ReadOnlySpan<byte> body) => SnappyRaw.Encode(body);

        public override byte[] Decompress(ReadOnlySpan<byte> compressed, int maxLength) => SnappyRaw.Decode(compressed, maxLength);
    }
}

/// <summary>
/// The LZ4 block format: sequences of a token (literal length in the high nibble, match length − 4 in the low one,
/// 15 meaning "more in the following bytes, each 255 adding on"), the literals, a 2-byte little-endian offset (1 to
/// 65535) and the match; the last sequence has literals only. The encoder is greedy with a hash of 4-byte prefixes
/// and keeps the format's end rules (the last 5 bytes are literals, no match starts in the last 12).
/// </summary>
public static class Lz4Block
{
    private const int MinMatch = 4;
    private const int LastLiterals = 5;
    private const int MatchFindLimit = 12;
    private const int MaxOffset = 65535;
    private const int HashBits = 12;

    public static int MaxCompressedLength(int length) => length + length / 255 + 16;

    public static int Encode(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var op = 0;
        var anchor = 0;
        if (input.Length >= MatchFindLimit + 1)
        {
            Span<int> table = stackalloc int[1 << HashBits];
            table.Fill(-1);
            var matchLimit = input.Length - LastLiterals; // a match may not run into the last 5 bytes
            var ip = 0;
            while (ip <= input.Length - MatchFindLimit)
            {
                var sequence = BinaryPrimitives.ReadUInt32LittleEndian(input[ip..]);
                var hash = (int)((sequence * 2654435761u) >> (32 - HashBits));
                var candidate = table[hash];
                table[hash] = ip;
                if (candidate < 0 || ip - candidate > MaxOffset || BinaryPrimitives.ReadUInt32LittleEndian(input[candidate..]) != sequence)
                {
                    ip++;
                    continue;
                }
                var length = MinMatch;
                while (ip + length < matchLimit && input[candidate + length] == input[ip + length])
                    length++;
                op = WriteSequence(output, op, input[anchor..ip], ip - candidate, length);
                ip += length;
                anchor = ip;
            }
        }
        return WriteSequence(output, op, input[anchor..], 0, 0);
    }

    private static int WriteSequence(Span<byte> output, int op, ReadOnlySpan<byte> literals, int offset, int matchLength)
    {
        var token = op++;
        var literalNibble = Math.Min(literals.Length, 15);
        op = WriteLength(output, op, literals.Length, 15);
        literals.CopyTo(output[op..]);
        op += literals.Length;
        var matchNibble = 0;
        if (matchLength > 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(output[op..], (ushort)offset);
            op += 2;
            matchNibble = Math.Min(matchLength - MinMatch, 15);
            op = WriteLength(output, op, matchLength - MinMatch, 15);
        }
        output[token] = (byte)((literalNibble << 4) | matchNibble);
        return op;
    }

    /// <summary>The bytes after the token for a length whose nibble is 15: runs of 255, then the rest.</summary>
    private static int WriteLength(Span<byte> output, int op, int length, int nibbleMax)
    {
        if (length < nibbleMax)
            return op;
        var rest = length - nibbleMax;
        while (rest >= 255)
        {
            output[op++] = 255;
            rest -= 255;
        }
        output[op++] = (byte)rest;
        return op;
    }

    /// <summary>Decodes one block into exactly <paramref name="length"/> bytes; anything that reads or writes out of bounds is refused.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> input, int length)
    {
        var output = new byte[length];
        var ip = 0;
        var op = 0;
        while (true)
        {
            if (ip >= input.Length)
                throw new CqlCompressionException("LZ4 block ends before its last sequence");
            var token = input[ip++];
            var literals = ReadLength(input, ref ip, token >> 4);
            if (literals > input.Length - ip || literals > length - op)
                throw new CqlCompressionException("LZ4 literals run past the end of the block or of the declared length");
            input.Slice(ip, literals).CopyTo(output.AsSpan(op));
            ip += literals;
            op += literals;
            if (ip == input.Length)
                break; // the last sequence: literals only
            if (input.Length - ip < 2)
                throw new CqlCompressionException("LZ4 block truncated in a match offset");
            var offset = BinaryPrimitives.ReadUInt16LittleEndian(input[ip..]);
            ip += 2;
            if (offset == 0 || offset > op)
                throw new CqlCompressionException($"LZ4 match offset {offset} points outside the decoded data");
            var match = ReadLength(input, ref ip, token & 0x0F) + MinMatch;
            if (match > length - op)
                throw new CqlCompressionException("LZ4 match runs past the declared length");
            var from = op - offset;
            if (offset >= match)
                output.AsSpan(from, match).CopyTo(output.AsSpan(op));
            else
                for (var i = 0; i < match; i++)
                    output[op + i] = output[from + i]; // overlapping: repeats the last `offset` bytes
            op += match;
        }
        if (op != length)
            throw new CqlCompressionException($"LZ4 block decodes to {op} bytes, not the declared {length}");
        return output;
    }

    private static int ReadLength(ReadOnlySpan<byte> input, ref int ip, int nibble)
    {
        var length = nibble;
        if (nibble != 15)
            return length;
        byte next;
        do
        {
            if (ip >= input.Length)
                throw new CqlCompressionException("LZ4 block truncated in a length");
            next = input[ip++];
            length += next;
            // Bounded by the input: a length over int range cannot be backed by the bytes of a frame anyway.
            if (length > 1 << 30)
                throw new CqlCompressionException("LZ4 length out of range");
        }
        while (next == 255);
        return length;
    }
}

/// <summary>
/// The raw Snappy format: the uncompressed length as a little-endian base-128 varint, then elements whose tag's low
/// two bits say literal (00; length − 1 in the tag's upper six bits, or in 1-4 following bytes for 60-63), copy with
/// a 1-byte offset (01; length 4-11, an 11-bit offset), copy with a 2-byte offset (10) or a 4-byte offset (11; length
/// 1-64 in the upper six bits). The encoder is greedy like the LZ4 one and writes 1- and 2-byte-offset copies.
/// </summary>
public static class SnappyRaw
{
    private const int HashBits = 12;

    public static byte[] Encode(ReadOnlySpan<byte> input)
    {
        var output = new byte[5 + input.Length + input.Length / 6 + 16];
        var op = 0;
        var length = (uint)input.Length;
        while (length >= 0x80)
        {
            output[op++] = (byte)(length | 0x80);
            length >>= 7;
        }
        output[op++] = (byte)length;

        var anchor = 0;
        if (input.Length >= 8)
        {
            Span<int> table = stackalloc int[1 << HashBits];
            table.Fill(-1);
            var ip = 0;
            while (ip + 4 <= input.Length)
            {
                var sequence = BinaryPrimitives.ReadUInt32LittleEndian(input[ip..]);
                var hash = (int)((sequence * 0x1E35A7BDu) >> (32 - HashBits));
                var candidate = table[hash];
                table[hash] = ip;
                if (candidate < 0 || ip - candidate > 65535 || BinaryPrimitives.ReadUInt32LittleEndian(input[candidate..]) != sequence)
                {
                    ip++;
                    continue;
                }
                var matched = 4;
                while (ip + matched < input.Length && input[candidate + matched] == input[ip + matched])
                    matched++;
                op = WriteLiteral(output, op, input[anchor..ip]);
                var offset = ip - candidate;
                ip += matched;
                anchor = ip;
                while (matched > 0)
                {
                    // Copies of 64 at most; leave at least 4 for the last one when it would fit a 1-byte-offset copy.
                    var chunk = matched > 64 ? (matched - 64 < 4 ? 60 : 64) : matched;
                    if (chunk is >= 4 and <= 11 && offset < 2048)
                    {
                        output[op++] = (byte)(0x01 | ((chunk - 4) << 2) | ((offset >> 8) << 5));
                        output[op++] = (byte)offset;
                    }
                    else
                    {
                        output[op++] = (byte)(0x02 | ((chunk - 1) << 2));
                        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(op), (ushort)offset);
                        op += 2;
                    }
                    matched -= chunk;
                }
            }
        }
        op = WriteLiteral(output, op, input[anchor..]);
        return output.AsSpan(0, op).ToArray();
    }

    private static int WriteLiteral(byte[] output, int op, ReadOnlySpan<byte> literal)
    {
        if (literal.IsEmpty)
            return op;
        var n = literal.Length - 1;
        if (n < 60)
            output[op++] = (byte)(n << 2);
        else
        {
            var bytes = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
            output[op++] = (byte)((59 + bytes) << 2);
            for (var i = 0; i < bytes; i++)
                output[op++] = (byte)(n >> (8 * i));
        }
        literal.CopyTo(output.AsSpan(op));
        return op + literal.Length;
    }

    public static byte[] Decode(ReadOnlySpan<byte> input, int maxLength)
    {
        var ip = 0;
        ulong declared = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (ip >= input.Length || shift > 28)
                throw new CqlCompressionException("Snappy length preamble truncated or too long");
            var b = input[ip++];
            declared |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                break;
        }
        if (declared > (ulong)maxLength)
            throw new CqlCompressionException($"Snappy body claims {declared} uncompressed bytes, over the limit of {maxLength}");
        // The densest element is a 3-byte copy of 64 bytes: a bigger claim is a lie, refused before allocating.
        if (declared > (ulong)(input.Length - ip) * 22)
            throw new CqlCompressionException($"Snappy body claims {declared} uncompressed bytes, more than its {input.Length - ip} bytes can hold");
        var length = (int)declared;
        var output = new byte[length];
        var op = 0;
        while (ip < input.Length)
        {
            var tag = input[ip++];
            int count, offset;
            switch (tag & 0x03)
            {
                case 0:
                    count = tag >> 2;
                    if (count >= 60)
                    {
                        var bytes = count - 59;
                        if (input.Length - ip < bytes)
                            throw new CqlCompressionException("Snappy literal length truncated");
                        long n = 0;
                        for (var i = 0; i < bytes; i++)
                            n |= (long)input[ip + i] << (8 * i);
                        ip += bytes;
                        if (n + 1 > length - op)
                            throw new CqlCompressionException("Snappy literal runs past the declared length");
                        count = (int)n;
                    }
                    count++;
                    if (count > input.Length - ip || count > length - op)
                        throw new CqlCompressionException("Snappy literal runs past the end of the input or of the declared length");
                    input.Slice(ip, count).CopyTo(output.AsSpan(op));
                    ip += count;
                    op += count;
                    continue;
                case 1:
                    if (ip >= input.Length)
                        throw new CqlCompressionException("Snappy copy truncated");
                    count = 4 + ((tag >> 2) & 0x07);
                    offset = ((tag >> 5) << 8) | input[ip++];
                    break;
                case 2:
                    if (input.Length - ip < 2)
                        throw new CqlCompressionException("Snappy copy truncated");
                    count = 1 + (tag >> 2);
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(input[ip..]);
                    ip += 2;
                    break;
                default:
                    if (input.Length - ip < 4)
                        throw new CqlCompressionException("Snappy copy truncated");
                    count = 1 + (tag >> 2);
                    var wide = BinaryPrimitives.ReadUInt32LittleEndian(input[ip..]);
                    ip += 4;
                    offset = wide > int.MaxValue ? int.MaxValue : (int)wide;
                    break;
            }
            if (offset == 0 || offset > op)
                throw new CqlCompressionException($"Snappy copy offset {offset} points outside the decoded data");
            if (count > length - op)
                throw new CqlCompressionException("Snappy copy runs past the declared length");
            var from = op - offset;
            for (var i = 0; i < count; i++)
                output[op + i] = output[from + i];
            op += count;
        }
        if (op != length)
            throw new CqlCompressionException($"Snappy body decodes to {op} bytes, not the declared {length}");
        return output;
    }
}
