using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ApimConsole.Lab.Cassandra;

/// <summary>Opcodes of CQL native protocol v4 (spec section 2.4).</summary>
internal enum CqlOpcode : byte
{
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

/// <summary>Error codes the lab node answers with (spec section 9).</summary>
internal static class CqlErrorCode
{
    public const int ServerError = 0x0000;
    public const int ProtocolError = 0x000A;
    public const int BadCredentials = 0x0100;
    public const int SyntaxError = 0x2000;
    public const int Unauthorized = 0x2100;
    public const int Invalid = 0x2200;
    public const int Unprepared = 0x2500;
}

/// <summary>A request the node cannot make sense of; answered with an ERROR of <see cref="Code"/>.</summary>
internal class CqlRequestException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>Builds a frame body in the notations of spec section 3.</summary>
internal sealed class CqlBodyWriter
{
    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, Length);

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
        return Short((ushort)bytes.Length).Raw(bytes);
    }

    public CqlBodyWriter StringList(IReadOnlyCollection<string> values)
    {
        Short((ushort)values.Count);
        foreach (var value in values)
            String(value);
        return this;
    }

    public CqlBodyWriter StringMultimap(IReadOnlyDictionary<string, string[]> map)
    {
        Short((ushort)map.Count);
        foreach (var (key, values) in map)
            String(key).StringList(values);
        return this;
    }

    /// <summary>[bytes]: an [int] length then the bytes; null is length -1.</summary>
    public CqlBodyWriter Bytes(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
            return Int(-1);
        return Int(value.Length).Raw(value);
    }

    public CqlBodyWriter ShortBytes(ReadOnlySpan<byte> value) => Short((ushort)value.Length).Raw(value);
}

/// <summary>Reads a request body with bounds checks; anything short or out of range is a protocol error.</summary>
internal ref struct CqlBodyReader(ReadOnlySpan<byte> body)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _position;

    public readonly int Remaining => _body.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new CqlRequestException(CqlErrorCode.ProtocolError, "Malformed request: body too short");
        var span = _body.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte Byte() => Take(1)[0];

    public ushort Short() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int Int() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long Long() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public string String() => Encoding.UTF8.GetString(Take(Short()));

    public string LongString() => Encoding.UTF8.GetString(Take(Int()));

    public ReadOnlySpan<byte> ShortBytes() => Take(Short());

    public ReadOnlySpan<byte> Raw(int count) => Take(count);

    /// <summary>[bytes]/[value]: null (-1) and not-set (-2) come back empty.</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        var length = Int();
        if (length < -2)
            throw new CqlRequestException(CqlErrorCode.ProtocolError, "Malformed request: negative value length");
        return length < 0 ? [] : Take(length);
    }

    public Dictionary<string, string> StringMap()
    {
        var count = Short();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            map[String()] = String();
        return map;
    }

    public List<string> StringList()
    {
        var count = Short();
        var list = new List<string>(Math.Min((int)count, 64));
        for (var i = 0; i < count; i++)
            list.Add(String());
        return list;
    }

    public void SkipBytesMap()
    {
        var count = Short();
        for (var i = 0; i < count; i++)
        {
            _ = String();
            _ = Bytes();
        }
    }
}

/// <summary>CQL column types (spec section 4.2.5.2 [option] ids) and their value serialization (section 6).</summary>
internal sealed record CqlType(ushort Id, CqlType? Element = null, CqlType? Value = null)
{
    public static readonly CqlType Boolean = new(0x0004);
    public static readonly CqlType Blob = new(0x0003);
    public static readonly CqlType Int = new(0x0009);
    public static readonly CqlType BigInt = new(0x0002);
    public static readonly CqlType Timestamp = new(0x000B);
    public static readonly CqlType Uuid = new(0x000C);
    public static readonly CqlType Text = new(0x000D);
    public static readonly CqlType Inet = new(0x0010);
    public static readonly CqlType SetOfText = new(0x0022, Text);
    public static readonly CqlType ListOfText = new(0x0020, Text);
    public static readonly CqlType MapOfTextText = new(0x0021, Text, Text);
    public static readonly CqlType MapOfUuidBlob = new(0x0021, Uuid, Blob);

    public void WriteOption(CqlBodyWriter writer)
    {
        writer.Short(Id);
        Element?.WriteOption(writer);
        Value?.WriteOption(writer);
    }

    /// <summary>Serializes <paramref name="value"/> as a [bytes] cell (null → -1).</summary>
    public void WriteCell(CqlBodyWriter writer, object? value)
    {
        if (value is null)
        {
            writer.Int(-1);
            return;
        }
        var cell = new CqlBodyWriter();
        WriteValue(cell, value);
        writer.Bytes(cell.Written.Span);
    }

    /// <summary>A bound value of this type, as <see cref="WriteCell"/> would have written it; scalars only.</summary>
    public object ReadValue(byte[] bytes)
    {
        try
        {
            return Id switch
            {
                0x0004 when bytes.Length == 1 => bytes[0] != 0,
                0x0009 when bytes.Length == 4 => BinaryPrimitives.ReadInt32BigEndian(bytes),
                0x0002 or 0x000B when bytes.Length == 8 => BinaryPrimitives.ReadInt64BigEndian(bytes),
                0x000C when bytes.Length == 16 => new Guid(bytes, bigEndian: true),
                0x000D => new UTF8Encoding(false, true).GetString(bytes),
                0x0010 when bytes.Length is 4 or 16 => new IPAddress(bytes),
                0x0003 => bytes,
                _ => throw new CqlRequestException(CqlErrorCode.Invalid, $"Invalid value of {bytes.Length} bytes for a column of type 0x{Id:X4}"),
            };
        }
        catch (DecoderFallbackException)
        {
            throw new CqlRequestException(CqlErrorCode.Invalid, "Invalid UTF-8 in a bound text value");
        }
    }

    private void WriteValue(CqlBodyWriter writer, object value)
    {
        switch (Id)
        {
            case 0x0004:
                writer.Byte((bool)value ? (byte)1 : (byte)0);
                break;
            case 0x0009:
                writer.Int((int)value);
                break;
            case 0x0002:
            case 0x000B:
                Span<byte> longBytes = stackalloc byte[8];
                BinaryPrimitives.WriteInt64BigEndian(longBytes, (long)value);
                writer.Raw(longBytes);
                break;
            case 0x000C:
                Span<byte> uuid = stackalloc byte[16];
                ((Guid)value).TryWriteBytes(uuid, bigEndian: true, out _);
                writer.Raw(uuid);
                break;
            case 0x000D:
                writer.Raw(Encoding.UTF8.GetBytes((string)value));
                break;
            case 0x0010:
                writer.Raw(((IPAddress)value).GetAddressBytes());
                break;
            case 0x0003:
                writer.Raw((byte[])value);
                break;
            case 0x0020 or 0x0022:
                var items = (IReadOnlyList<object>)value;
                writer.Int(items.Count);
                foreach (var item in items)
                    Element!.WriteCell(writer, item);
                break;
            case 0x0021:
                var entries = (IReadOnlyList<KeyValuePair<object, object>>)value;
                writer.Int(entries.Count);
                foreach (var (key, entry) in entries)
                {
                    Element!.WriteCell(writer, key);
                    Value!.WriteCell(writer, entry);
                }
                break;
            default:
                throw new InvalidOperationException($"No serializer for CQL type 0x{Id:X4}");
        }
    }
}
