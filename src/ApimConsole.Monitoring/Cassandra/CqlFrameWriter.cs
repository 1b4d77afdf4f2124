using System.Buffers.Binary;
using System.Text;

namespace ApimConsole.Monitoring.Cassandra;

/// <summary>Builds a frame body in the notations of spec section 3.</summary>
public sealed class CqlBodyWriter
{
    private byte[] _buffer = new byte[128];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    private Span<byte> Take(int count)
    {
        if (Length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }

    public CqlBodyWriter Byte(byte value) { Take(1)[0] = value; return this; }

    public CqlBodyWriter Short(ushort value) { BinaryPrimitives.WriteUInt16BigEndian(Take(2), value); return this; }

    public CqlBodyWriter Int(int value) { BinaryPrimitives.WriteInt32BigEndian(Take(4), value); return this; }

    public CqlBodyWriter Raw(ReadOnlySpan<byte> bytes) { bytes.CopyTo(Take(bytes.Length)); return this; }

    public CqlBodyWriter String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > ushort.MaxValue)
            throw new ArgumentException("A [string] holds at most 65535 bytes.", nameof(value));
        return Short((ushort)bytes.Length).Raw(bytes);
    }

    public CqlBodyWriter LongString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return Int(bytes.Length).Raw(bytes);
    }

    public CqlBodyWriter StringMap(IReadOnlyDictionary<string, string> map)
    {
        Short((ushort)map.Count);
        foreach (var (key, value) in map)
            String(key).String(value);
        return this;
    }

    public CqlBodyWriter Bytes(ReadOnlySpan<byte> value) => Int(value.Length).Raw(value);
}

/// <summary>Frames requests: a v4 request header (version 0x04) with the body length.</summary>
public static class CqlFrameWriter
{
    public static byte[] Frame(short stream, CqlOpcode opcode, ReadOnlySpan<byte> body, byte version = 0x04)
    {
        var frame = new byte[CqlFrameHeader.Size + body.Length];
        frame[0] = version;
        frame[1] = 0;
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), stream);
        frame[4] = (byte)opcode;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), body.Length);
        body.CopyTo(frame.AsSpan(CqlFrameHeader.Size));
        return frame;
    }

    public static byte[] Options(short stream) => Frame(stream, CqlOpcode.Options, []);

    public static byte[] Startup(short stream) =>
        Frame(stream, CqlOpcode.Startup, new CqlBodyWriter().StringMap(new Dictionary<string, string> { ["CQL_VERSION"] = "3.0.0" }).Written);

    /// <summary>SASL PLAIN for the PasswordAuthenticator: NUL user NUL password.</summary>
    public static byte[] PlainAuthResponse(short stream, string username, string password)
    {
        var token = Encoding.UTF8.GetBytes("\0" + username + "\0" + password);
        return Frame(stream, CqlOpcode.AuthResponse, new CqlBodyWriter().Bytes(token).Written);
    }

    /// <summary>QUERY at consistency ONE with no values and no paging options.</summary>
    public static byte[] Query(short stream, string statement) =>
        Frame(stream, CqlOpcode.Query, new CqlBodyWriter().LongString(statement).Short(0x0001).Byte(0).Written);
}
